#include <algorithm>
#include <orgscim/plugin/invitations/module.hpp>
#include <orgscim/plugin/orgs/invitation_directory.hpp>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/service.hpp>
#include <orgscim/scim/text.hpp>

namespace orgscim::plugin::orgs {

namespace {

namespace inv = invitations;

// Provisioning secrets ("token:<id>") and OAuth clients ("client:<id>") act for their org.
bool is_credential(std::string_view actor) {
    return actor.starts_with("token:") || actor.starts_with("client:");
}

// SCIM filter string literal; refuses what would need escaping rather than escaping it.
std::optional<std::string> quoted(std::string_view s) {
    if (s.empty() || s.find_first_of("\"\\") != std::string_view::npos) return std::nullopt;
    return "\"" + std::string(s) + "\"";
}

std::string first_email(const boost::json::object& attrs) {
    const auto* emails = attrs.if_contains("emails");
    if (!emails || !emails->is_array()) return {};
    std::string first;
    for (const auto& e : emails->as_array()) {
        if (!e.is_object()) continue;
        const auto* v = e.as_object().if_contains("value");
        if (!v || !v->is_string()) continue;
        const auto* p = e.as_object().if_contains("primary");
        if (p && p->is_bool() && p->as_bool()) return std::string(v->as_string());
        if (first.empty()) first = std::string(v->as_string());
    }
    return first;
}

}  // namespace

invitation_directory::invitation_directory(directory_service& svc,
                                           scim::resource_store& resources,
                                           const scim::schema_registry& reg)
    : svc_(svc),
      resources_(resources),
      users_(reg.find_by_endpoint("Users")),
      groups_(reg.find_by_endpoint("Groups")) {}

std::optional<inv::org_view> invitation_directory::find_org(std::string_view org_id) {
    auto o = svc_.store().get_org(org_id);
    if (!o) return std::nullopt;
    inv::org_view v;
    v.id = o->id;
    v.name = o->name;
    v.status = o->status;
    v.parent_id = o->parent_id.value_or("");
    v.policy = inv::org_policy_from_settings(o->settings);
    v.managed_by = o->managed_by.value_or("");
    return v;
}

std::vector<scim::resource_record> invitation_directory::matching(std::string_view org_id,
                                                                  const scim::resource_type* type,
                                                                  const std::string& filter,
                                                                  std::int64_t limit) {
    if (!type) return {};
    auto f = scim::parse_filter(filter);
    if (!f || !scim::bind(**f, *type)) return {};
    scim::list_request lr;
    lr.filter = f->get();
    lr.limit = limit;
    lr.fetch = {false, false};
    auto r = resources_.list(org_id, *type, lr);
    if (!r) return {};
    return std::move(r->items);
}

std::vector<scim::resource_record> invitation_directory::users_with_email(std::string_view org_id,
                                                                          std::string_view email) {
    auto q = quoted(email);
    if (!q) return {};
    return matching(org_id, users_, "emails.value eq " + *q, 10);
}

bool invitation_directory::is_member(std::string_view org_id, std::string_view email) {
    return !users_with_email(org_id, email).empty();
}

std::optional<std::string> invitation_directory::role_id(std::string_view org_id,
                                                         std::string_view role) {
    auto all = svc_.roles(actor::cli(), org_id);
    if (!all) return std::nullopt;
    for (const auto& r : *all) {
        if (r.id == role || scim::iequals(r.name, role)) return r.id;
    }
    return std::nullopt;
}

bool invitation_directory::role_exists(std::string_view org_id, std::string_view role) {
    return role_id(org_id, role).has_value();
}

std::optional<std::string> invitation_directory::group_id(std::string_view org_id,
                                                          std::string_view group) {
    if (!groups_) return std::nullopt;
    scim::fetch_options none{false, false};
    if (auto g = resources_.get(org_id, *groups_, group, none)) return g->id;
    auto q = quoted(group);
    if (!q) return std::nullopt;
    auto found = matching(org_id, groups_, "displayName eq " + *q, 1);
    if (found.empty()) return std::nullopt;
    return found.front().id;
}

bool invitation_directory::group_exists(std::string_view org_id, std::string_view group) {
    return group_id(org_id, group).has_value();
}

std::optional<identity_record> invitation_directory::parent_identity(
    std::string_view child_org_id, const inv::verified_identity& who) {
    auto child = svc_.store().get_org(child_org_id);
    if (!child || !child->parent_id) return std::nullopt;
    auto pu = find_parent_user(child_org_id, who.email);
    if (!pu) return std::nullopt;
    auto home = svc_.store().find_identity_by_home_user(*child->parent_id, pu->id);
    if (!home) return std::nullopt;
    return std::move(*home);
}

scim::result<std::string> invitation_directory::user_for(std::string_view org_id,
                                                         const inv::verified_identity& who) {
    if (!users_) return scim::error::internal();
    auto found = users_with_email(org_id, who.email);
    if (!found.empty()) return found.front().id;
    // Applications read the org's people from /Users, and SCIM Groups hold Users: the invitee
    // becomes one, named by the invited email (the one address the org knows for them).
    scim::write_set w;
    w.attrs["userName"] = who.email;
    if (!who.display_name.empty()) w.attrs["displayName"] = who.display_name;
    w.attrs["emails"] = boost::json::array{
        boost::json::object{{"value", who.email}, {"type", "work"}, {"primary", true}}};
    w.attrs["active"] = true;
    auto made = resources_.create(org_id, *users_, w);
    if (made) return made->id;
    if (made.error() != store_errc::conflict) return scim::to_scim_error(made.error(), "User");
    // userName taken by a User without that email: that User is the person's account here.
    auto q = quoted(who.email);
    auto taken =
        q ? matching(org_id, users_, "userName eq " + *q, 1) : std::vector<scim::resource_record>{};
    if (taken.empty()) return scim::to_scim_error(made.error(), "User");
    return taken.front().id;
}

std::optional<actor> invitation_directory::person(std::string_view key) {
    const auto bar = key.rfind('|');
    if (bar == std::string_view::npos || bar == 0 || bar + 1 == key.size()) return std::nullopt;
    auto a = svc_.person(key.substr(0, bar), key.substr(bar + 1), {});
    if (!a) return std::nullopt;
    return std::move(*a);
}

bool invitation_directory::can_grant(std::string_view org_id,
                                     std::string_view actor_key,
                                     std::string_view role) {
    auto id = role_id(org_id, role);
    if (!id) return false;
    if (is_credential(actor_key)) return true;
    auto who = person(actor_key);
    if (!who) return false;
    auto perms = svc_.permissions(*who, org_id);
    if (!perms || !perms->has(permission::invite)) return false;
    auto all = svc_.roles(actor::cli(), org_id);
    if (!all) return false;
    for (const auto& r : *all) {
        if (r.id == *id) return check_grant(*perms, std::span<const orgs::role>(&r, 1)).has_value();
    }
    return false;
}

bool invitation_directory::inviter_active(std::string_view org_id, std::string_view inviter) {
    if (is_credential(inviter)) return true;
    auto who = person(inviter);
    if (!who) return false;
    auto perms = svc_.permissions(*who, org_id);
    return perms && perms->has(permission::invite);
}

std::string invitation_directory::inviter_name(std::string_view actor) {
    if (is_credential(actor)) return {};
    const auto bar = actor.rfind('|');
    if (bar == std::string_view::npos) return {};
    auto i = svc_.store().find_identity_by_subject(actor.substr(0, bar), actor.substr(bar + 1));
    return i ? i->display : std::string();
}

std::optional<inv::parent_user> invitation_directory::find_parent_user(
    std::string_view child_org_id, std::string_view user_name_or_email) {
    auto child = svc_.store().get_org(child_org_id);
    if (!child || !child->parent_id || !users_) return std::nullopt;
    const std::string& parent = *child->parent_id;
    auto q = quoted(user_name_or_email);
    if (!q) return std::nullopt;
    auto found = matching(parent, users_, "userName eq " + *q + " or emails.value eq " + *q, 2);
    if (found.size() != 1) return std::nullopt;  // none, or ambiguous
    const auto& u = found.front();
    inv::parent_user pu;
    pu.id = u.id;
    if (const auto* n = u.attrs.if_contains("userName"); n && n->is_string())
        pu.user_name = std::string(n->as_string());
    pu.email = scim::fold_case(first_email(u.attrs));
    if (auto ident = svc_.store().find_identity_by_home_user(parent, u.id);
        ident && ident->issuer && ident->subject) {
        pu.identity_key = *ident->issuer + "|" + *ident->subject;
    }
    return pu;
}

scim::result<inv::grant_report> invitation_directory::grant(
    std::string_view org_id,
    const inv::verified_identity& who,
    std::string_view membership_kind,
    const std::vector<std::string>& roles,
    const std::vector<std::string>& groups) {
    auto kind = parse_membership_kind(membership_kind);
    if (!kind || *kind == membership_kind::inherited) {
        return scim::error::bad_request(scim::scim_type::invalid_value, "membership kind");
    }
    inv::grant_report report;
    member_grant g;
    for (const auto& r : roles) {
        if (auto id = role_id(org_id, r))
            g.roles.push_back(*id);
        else
            report.missing_roles.push_back(r);
    }
    auto user = user_for(org_id, who);
    if (!user) return user.error();
    g.user_ref = *user;
    std::vector<std::pair<std::string, std::string>> group_ids;  // (as invited, id)
    for (const auto& name : groups) {
        if (auto id = group_id(org_id, name))
            group_ids.emplace_back(name, *id);
        else
            report.missing_groups.push_back(name);
    }

    identity_record ident;
    if (auto found = svc_.store().find_identity_by_subject(who.issuer, who.subject)) {
        ident = std::move(*found);
    } else if (auto home = parent_identity(org_id, who);
               *kind == membership_kind::invited && home) {
        // A user of the parent, provisioned there by its IdP, signing in for the first time:
        // their verified email proved who they are, so the OIDC identity is bound to them now.
        ident = std::move(*home);
        if (!ident.issuer || !ident.subject) {
            ident.issuer = who.issuer;
            ident.subject = who.subject;
            identity_record bound;
            auto w = svc_.store().write([&](directory_tx& tx) -> store_result<void> {
                auto put = tx.put_identity(ident);
                if (!put) return put.error();
                bound = *put;
                return {};
            });
            if (w) ident = std::move(bound);
        }
    } else {
        ident.issuer = who.issuer;
        ident.subject = who.subject;
        ident.home_org = std::string(org_id);
        ident.display = who.display_name.empty() ? who.email : who.display_name;
    }
    // If a membership exists already, keep its roles and add the invited ones.
    if (!ident.id.empty()) {
        if (auto m = svc_.store().get_membership(org_id, ident.id)) {
            for (const auto& r : m->roles) {
                if (std::find(g.roles.begin(), g.roles.end(), r) == g.roles.end())
                    g.roles.push_back(r);
            }
            g.override_inherited = m->override_inherited;
        }
    }
    actor by = actor::cli();
    by.subject = "invitation:" + who.key();
    if (ident.id.empty() && ident.home_org == org_id) ident.home_user_id = *user;
    auto put = svc_.put_member(by, org_id, std::move(ident), *kind, g);
    if (!put) return put.error();
    for (const auto& [name, id] : group_ids) {
        auto added = resources_.update(
            org_id, *groups_, id, std::nullopt, {false, false},
            [&](const scim::resource_record& cur) -> scim::result<scim::write_set> {
                scim::write_set w;
                w.attrs = cur.attrs;
                w.add_members.push_back(*user);
                return w;
            });
        // Deleted between the lookup and now: reported like a group that never existed.
        if (!added) report.missing_groups.push_back(name);
    }
    return report;
}

std::vector<std::string> invitation_directory::access_manager_emails(std::string_view org_id) {
    std::vector<std::string> out;
    auto members = svc_.store().members(org_id);
    auto all = svc_.roles(actor::cli(), org_id);
    if (!members || !all || !users_) return out;
    for (const auto& m : *members) {
        std::vector<role> held;
        for (const auto& id : m.roles) {
            for (const auto& r : *all)
                if (r.id == id) held.push_back(r);
        }
        if (!is_access_manager(held)) continue;
        auto ident = svc_.store().get_identity(m.identity_id);
        if (!ident || !ident->home_user_id) continue;
        auto u = resources_.get(ident->home_org, *users_, *ident->home_user_id, {false, false});
        if (!u) continue;
        auto e = scim::fold_case(first_email(u->attrs));
        if (!e.empty() && std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    }
    return out;
}

std::vector<inv::company_choice> invitation_directory::manageable_companies(
    const inv::verified_identity& who, std::string_view msp_org_id) {
    std::vector<inv::company_choice> out;
    auto ident = svc_.store().find_identity_by_subject(who.issuer, who.subject);
    if (!ident) return out;
    auto a = svc_.person(who.issuer, who.subject, {});
    auto ms = svc_.store().memberships_of(ident->id);
    if (!a || !ms) return out;
    for (const auto& m : *ms) {
        auto o = svc_.store().get_org(m.org_id);
        if (!o || o->id == msp_org_id) continue;
        inv::company_choice c;
        c.org_id = o->id;
        c.name = o->name;
        auto perms = svc_.permissions(*a, o->id);
        if (!perms || !perms->covers(permission_set::all())) {
            c.reason = "notFullAdmin";
        } else if (o->managed_by) {
            c.reason = "alreadyManaged";
        } else if (o->parent_id != std::optional<std::string>(std::string(msp_org_id))) {
            // The model lets only an org's own parent manage it.
            c.reason = "notChildOfMsp";
        } else {
            c.available = true;
        }
        out.push_back(std::move(c));
    }
    return out;
}

scim::result<void> invitation_directory::set_managed_by(std::string_view company_id,
                                                        std::string_view msp_org_id,
                                                        const inv::verified_identity& who) {
    auto a = svc_.person(who.issuer, who.subject, {});
    if (!a) return a.error();
    auto o = svc_.get_org(*a, company_id);
    if (!o) return o.error();
    o->managed_by = std::string(msp_org_id);
    auto u = svc_.update_org(*a, *o, std::nullopt);
    if (!u) return u.error();
    return {};
}

scim::result<std::string> invitation_directory::create_company(std::string_view name,
                                                               const inv::verified_identity& who,
                                                               std::string_view msp_org_id) {
    // The invitation is the MSP's authority to add a child; the accepting person is its owner.
    actor by = actor::cli();
    by.subject = "invitation:" + who.key();
    org_node draft;
    draft.name = std::string(name);
    draft.parent_id = std::string(msp_org_id);
    auto made = svc_.create_org(by, std::move(draft), true);
    if (!made) return made.error();
    auto g = grant(made->id, who, "home", {std::string(builtin::full_admin)}, {});
    if (!g) return g.error();
    return made->id;
}

}  // namespace orgscim::plugin::orgs
