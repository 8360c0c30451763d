#include <orgscim/plugin/invitations/memory_directory.hpp>

namespace orgscim::plugin::invitations {

void memory_directory::add_org(org_view org) {
    std::lock_guard lk(mu_);
    auto id = org.id;
    orgs_[id].view = std::move(org);
}
void memory_directory::add_role(std::string_view org_id, std::string role, bool grantable) {
    std::lock_guard lk(mu_);
    orgs_[std::string(org_id)].roles[std::move(role)] = grantable;
}
void memory_directory::add_group(std::string_view org_id, std::string group) {
    std::lock_guard lk(mu_);
    orgs_[std::string(org_id)].groups.insert(std::move(group));
}
void memory_directory::remove_role(std::string_view org_id, std::string_view role) {
    std::lock_guard lk(mu_);
    orgs_[std::string(org_id)].roles.erase(std::string(role));
}
void memory_directory::remove_group(std::string_view org_id, std::string_view group) {
    std::lock_guard lk(mu_);
    orgs_[std::string(org_id)].groups.erase(std::string(group));
}
void memory_directory::add_member(std::string_view org_id, member m) {
    std::lock_guard lk(mu_);
    auto email = m.email;
    orgs_[std::string(org_id)].members[email] = std::move(m);
}
void memory_directory::set_full_admin(std::string_view org_id, std::string identity_key) {
    std::lock_guard lk(mu_);
    orgs_[std::string(org_id)].full_admins.insert(std::move(identity_key));
}
void memory_directory::set_access_managers(std::string_view org_id,
                                           std::vector<std::string> emails) {
    std::lock_guard lk(mu_);
    orgs_[std::string(org_id)].access_managers = std::move(emails);
}
std::optional<memory_directory::member> memory_directory::find_member(
    std::string_view org_id, std::string_view email) const {
    std::lock_guard lk(mu_);
    auto o = orgs_.find(org_id);
    if (o == orgs_.end()) return std::nullopt;
    auto m = o->second.members.find(std::string(email));
    if (m == o->second.members.end()) return std::nullopt;
    return m->second;
}

std::optional<org_view> memory_directory::find_org(std::string_view org_id) {
    std::lock_guard lk(mu_);
    auto o = orgs_.find(org_id);
    if (o == orgs_.end() || o->second.view.id.empty()) return std::nullopt;
    return o->second.view;
}
bool memory_directory::is_member(std::string_view org_id, std::string_view email) {
    std::lock_guard lk(mu_);
    auto o = orgs_.find(org_id);
    return o != orgs_.end() && o->second.members.contains(std::string(email));
}
bool memory_directory::role_exists(std::string_view org_id, std::string_view role) {
    std::lock_guard lk(mu_);
    auto o = orgs_.find(org_id);
    return o != orgs_.end() && o->second.roles.contains(std::string(role));
}
bool memory_directory::group_exists(std::string_view org_id, std::string_view group) {
    std::lock_guard lk(mu_);
    auto o = orgs_.find(org_id);
    return o != orgs_.end() && o->second.groups.contains(std::string(group));
}
bool memory_directory::can_grant(std::string_view org_id,
                                 std::string_view /*actor*/,
                                 std::string_view role) {
    std::lock_guard lk(mu_);
    auto o = orgs_.find(org_id);
    if (o == orgs_.end()) return false;
    auto r = o->second.roles.find(std::string(role));
    return r != o->second.roles.end() && r->second;
}
void memory_directory::remove_inviter(std::string inviter) {
    std::lock_guard lk(mu_);
    gone_inviters_.insert(std::move(inviter));
}
bool memory_directory::inviter_active(std::string_view /*org_id*/, std::string_view inviter) {
    std::lock_guard lk(mu_);
    return !gone_inviters_.contains(inviter);
}
std::optional<parent_user> memory_directory::find_parent_user(std::string_view child_org_id,
                                                              std::string_view name_or_email) {
    std::lock_guard lk(mu_);
    auto c = orgs_.find(child_org_id);
    if (c == orgs_.end() || c->second.view.parent_id.empty()) return std::nullopt;
    auto p = orgs_.find(c->second.view.parent_id);
    if (p == orgs_.end()) return std::nullopt;
    for (const auto& [email, m] : p->second.members) {
        if (m.kind != "home") continue;
        if (email == name_or_email || m.identity_key == name_or_email)
            return parent_user{m.identity_key, std::string(name_or_email), email, m.identity_key};
    }
    return std::nullopt;
}
scim::result<grant_report> memory_directory::grant(std::string_view org_id,
                                                   const verified_identity& who,
                                                   std::string_view membership_kind,
                                                   const std::vector<std::string>& roles,
                                                   const std::vector<std::string>& groups) {
    std::lock_guard lk(mu_);
    auto o = orgs_.find(org_id);
    if (o == orgs_.end()) return scim::error::not_found("organization not found");
    if (o->second.view.status != "active")
        return scim::error::forbidden("the organization is disabled");
    grant_report rep;
    auto& m = o->second.members[who.email];
    m.email = who.email;
    m.identity_key = who.key();
    if (m.kind.empty()) m.kind = std::string(membership_kind);
    for (const auto& r : roles) {
        if (o->second.roles.contains(r))
            m.roles.insert(r);
        else
            rep.missing_roles.push_back(r);
    }
    for (const auto& g : groups) {
        if (o->second.groups.contains(g))
            m.groups.insert(g);
        else
            rep.missing_groups.push_back(g);
    }
    return rep;
}
std::vector<std::string> memory_directory::access_manager_emails(std::string_view org_id) {
    std::lock_guard lk(mu_);
    auto o = orgs_.find(org_id);
    return o == orgs_.end() ? std::vector<std::string>{} : o->second.access_managers;
}
std::vector<company_choice> memory_directory::manageable_companies(const verified_identity& who,
                                                                   std::string_view msp_org_id) {
    std::lock_guard lk(mu_);
    std::vector<company_choice> out;
    for (const auto& [id, o] : orgs_) {
        if (id == msp_org_id) continue;
        bool member = o.members.contains(who.email) || o.full_admins.contains(who.key());
        if (!member) continue;
        company_choice c{id, o.view.name, true, {}};
        if (!o.full_admins.contains(who.key())) {
            c.available = false;
            c.reason = "notFullAdmin";
        } else if (!o.view.managed_by.empty()) {
            c.available = false;
            c.reason = "alreadyManaged";
        }
        out.push_back(std::move(c));
    }
    return out;
}
scim::result<void> memory_directory::set_managed_by(std::string_view company_id,
                                                    std::string_view msp_org_id,
                                                    const verified_identity& who) {
    std::lock_guard lk(mu_);
    auto o = orgs_.find(company_id);
    if (o == orgs_.end()) return scim::error::not_found("organization not found");
    if (!o->second.full_admins.contains(who.key()))
        return scim::error::forbidden("not a full admin of the company");
    if (!o->second.view.managed_by.empty())
        return scim::error::conflict("the company is already managed");
    o->second.view.managed_by = std::string(msp_org_id);
    return {};
}
scim::result<std::string> memory_directory::create_company(std::string_view name,
                                                           const verified_identity& who,
                                                           std::string_view /*msp_org_id*/) {
    std::lock_guard lk(mu_);
    std::string id = "company-" + std::to_string(next_company_++);
    auto& o = orgs_[id];
    o.view.id = id;
    o.view.name = std::string(name);
    o.full_admins.insert(who.key());
    o.members[who.email] = member{who.email, who.key(), "home", {}, {}};
    return id;
}

}  // namespace orgscim::plugin::invitations
