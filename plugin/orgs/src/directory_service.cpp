#include <algorithm>
#include <orgscim/plugin/orgs/directory_service.hpp>
#include <orgscim/scim/service.hpp>

namespace orgscim::plugin::orgs {

namespace {

scim::error from_store(store_errc e, std::string_view what) { return scim::to_scim_error(e, what); }

scim::error invisible(std::string_view what = "Organization") {
    return scim::error::not_found(std::string(what) + " not found");
}

std::vector<role> custom_to_roles(const std::vector<custom_role_record>& rs) {
    std::vector<role> out;
    out.reserve(rs.size());
    for (const auto& r : rs) {
        out.push_back({r.id, r.name, permission_set(r.permissions), false, false, r.org_id});
    }
    return out;
}

bool needs_custom(const std::vector<std::string>& ids) {
    return std::any_of(ids.begin(), ids.end(),
                       [](const std::string& id) { return find_builtin(id) == nullptr; });
}

// The roles a member holds in one org: direct ids plus group-mapped ids, resolved; unknown ids
// (a custom role deleted meanwhile) grant nothing.
scim::result<std::vector<role>> held_roles(directory_reader& r, const membership_record& m) {
    std::vector<std::string> ids = m.roles;
    if (m.user_ref) {
        auto groups = r.groups_of(m.org_id, *m.user_ref);
        if (!groups) return from_store(groups.error(), "Group");
        if (!groups->empty()) {
            auto mapped = r.group_roles(m.org_id);
            if (!mapped) return from_store(mapped.error(), "Role");
            for (const auto& g : *mapped) {
                if (std::find(groups->begin(), groups->end(), g.group_id) != groups->end()) {
                    ids.push_back(g.role_id);
                }
            }
        }
    }
    std::vector<role> custom;
    if (needs_custom(ids)) {
        auto c = r.custom_roles(m.org_id);
        if (!c) return from_store(c.error(), "Role");
        custom = custom_to_roles(*c);
    }
    std::vector<role> out;
    for (const auto& id : ids) {
        std::vector<std::string> one{id};
        if (auto rr = resolve_roles(one, custom)) out.push_back(rr->front());
    }
    return out;
}

member_facts facts_of(const std::vector<role>& roles, bool override_inherited) {
    member_facts f;
    f.override_inherited = override_inherited;
    for (const auto& r : roles) {
        f.granted |= r.permissions;
        if (r.suspends) f.suspended = true;
    }
    return f;
}

event_draft event(const actor& who,
                  std::string org,
                  std::string action,
                  std::string target_type,
                  std::string target_id,
                  boost::json::object detail = {}) {
    return {std::move(org),         who.subject,          who.credential_id, std::move(action),
            std::move(target_type), std::move(target_id), std::move(detail)};
}

boost::json::array to_array(const std::vector<std::string>& v) {
    boost::json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

org_shape shape_of(const org_node& o) { return {o.id, o.ancestors, o.status == "disabled"}; }

// Counts the org's direct access managers (direct and group-mapped roles, not inherited).
scim::result<std::size_t> count_managers(directory_reader& r, std::string_view org) {
    auto ms = r.members(org);
    if (!ms) return from_store(ms.error(), "Membership");
    std::size_t n = 0;
    for (const auto& m : *ms) {
        auto roles = held_roles(r, m);
        if (!roles) return roles.error();
        if (is_access_manager(*roles)) ++n;
    }
    return scim::result<std::size_t>(boost::system::in_place_value, n);
}

// Whether roles pass on to the children an org manages: some role, and not Inactive (the rule
// of the stores' member_flow).
bool passes_roles_on(const std::vector<std::string>& roles) {
    return !roles.empty() &&
           std::find(roles.begin(), roles.end(), builtin::inactive) == roles.end();
}

// Identity `id` as an inherited member of `org`, as the User stores list them: no membership
// in the org, and in its managing ancestors (up while each level is managed by its parent) the
// nearest membership that replaces or passes roles (overrideInherited or some role) passes them
// on. Group-mapped roles do not list anyone. nullopt when not.
scim::result<std::optional<membership_record>> inherited_member(directory_reader& r,
                                                                std::string_view org,
                                                                std::string_view id) {
    using none = std::optional<membership_record>;
    auto ident = r.get_identity(id);
    if (!ident) {
        if (ident.error() == store_errc::not_found) return none{};
        return from_store(ident.error(), "Identity");
    }
    auto own = r.get_membership(org, id);
    if (own) return none{};
    if (own.error() != store_errc::not_found) return from_store(own.error(), "Membership");
    auto node = r.get_org(org);
    if (!node) {
        if (node.error() == store_errc::not_found) return none{};
        return from_store(node.error(), "Organization");
    }
    std::vector<std::string> chain;  // nearest first
    while (node->managed_by && node->parent_id && *node->managed_by == *node->parent_id) {
        auto up = r.get_org(*node->parent_id);
        if (!up) return from_store(up.error(), "Organization");
        chain.push_back(up->id);
        node = std::move(up);
    }
    if (chain.empty()) return none{};
    auto ms = r.memberships_in(id, chain);
    if (!ms) return from_store(ms.error(), "Membership");
    for (const auto& level : chain) {
        auto m = std::find_if(ms->begin(), ms->end(),
                              [&](const membership_record& x) { return x.org_id == level; });
        if (m == ms->end() || (!m->override_inherited && m->roles.empty())) continue;
        if (!passes_roles_on(m->roles)) return none{};
        membership_record out;
        out.org_id = std::string(org);
        out.identity_id = ident->id;
        out.kind = membership_kind::inherited;
        out.home_org = ident->home_org;
        return std::optional<membership_record>(std::move(out));
    }
    return none{};
}

struct listed {
    membership_record m;
    bool stored = false;  ///< held by the org (invited, API-added); else inherited, computed
};

// Both kinds of listed non-home member.
scim::result<std::optional<listed>> find_listed(directory_reader& r,
                                                std::string_view org,
                                                std::string_view user_id) {
    auto stored = r.find_listed_membership(org, user_id);
    if (stored) return std::optional<listed>(listed{std::move(*stored), true});
    if (stored.error() != store_errc::not_found) return from_store(stored.error(), "Membership");
    auto inherited = inherited_member(r, org, user_id);
    if (!inherited) return inherited.error();
    if (!*inherited) return std::optional<listed>();
    return std::optional<listed>(listed{std::move(**inherited), false});
}

#define ORGS_TRY(var, expr) \
    auto var = (expr);      \
    if (!var) return var.error()

#define ORGS_TRY_STORE(var, expr, what) \
    auto var = (expr);                  \
    if (!var) return from_store(var.error(), what)

}  // namespace

actor actor::from_caller(const scim::caller& c) {
    actor a;
    a.subject = c.subject;
    a.credential_id = c.credential_id;
    a.credential_org = c.tenant;
    a.can_write = c.can_write;
    return a;
}

actor actor::cli() {
    actor a;
    a.subject = "cli";
    a.is_operator = true;
    return a;
}

scim::result<void> check_settings(const boost::json::object& settings) {
    auto bounded = [&](std::string_view key, std::int64_t lo,
                       std::int64_t hi) -> scim::result<void> {
        auto it = settings.find(key);
        if (it == settings.end()) return {};
        if (!it->value().is_int64() || it->value().as_int64() < lo || it->value().as_int64() > hi) {
            return scim::error::bad_request(scim::scim_type::invalid_value,
                                            "settings." + std::string(key) +
                                                " must be an integer from " + std::to_string(lo) +
                                                " to " + std::to_string(hi));
        }
        return {};
    };
    // The invitation policy keys read by invitations::org_policy_from_settings().
    for (auto key : {"invitationExpiryHours", "memberExpiryHours", "parentUserExpiryHours",
                     "managedCompanyExpiryHours"}) {
        if (auto r = bounded(key, 1, 8760); !r) return r;
    }
    if (auto r = bounded("resendCooldownHours", 0, 720); !r) return r;
    if (auto r = bounded("reminderBeforeHours", 0, 8760); !r) return r;
    // Per-organization email wording, read by invitations::org_policy_from_settings().
    if (auto it = settings.find("emailTemplates"); it != settings.end()) {
        auto bad = [](std::string what) {
            return scim::error::bad_request(scim::scim_type::invalid_value,
                                            "settings.emailTemplates" + what);
        };
        if (!it->value().is_object()) return bad(" must be an object");
        for (const auto& [name, one] : it->value().get_object()) {
            const std::string where = "." + std::string(name);
            if (name != "invitation" && name != "reminder" && name != "accessRequest" &&
                name != "accessGranted" && name != "accessDenied") {
                return bad(where +
                           ": unknown template (invitation, reminder, accessRequest, "
                           "accessGranted, accessDenied)");
            }
            if (!one.is_object()) return bad(where + " must be an object");
            for (const auto& [part, text] : one.get_object()) {
                if (part != "subject" && part != "text" && part != "html")
                    return bad(where + "." + std::string(part) + ": unknown (subject, text, html)");
                if (!text.is_string() || text.get_string().size() > 65536)
                    return bad(where + "." + std::string(part) +
                               " must be a string of at most 65536 bytes");
            }
        }
    }
    return {};
}

scim::result<actor> directory_service::person(std::string_view issuer,
                                              std::string_view subject,
                                              std::string_view credential_id) {
    actor a;
    a.subject = std::string(issuer) + "|" + std::string(subject);
    a.credential_id = std::string(credential_id);
    auto i = store_.find_identity_by_subject(issuer, subject);
    if (i) {
        a.identity_id = i->id;
    } else if (i.error() != store_errc::not_found) {
        return from_store(i.error(), "Identity");
    }
    return a;
}

scim::result<void> directory_service::transact(const tx_fn& fn) {
    std::optional<scim::error> refused;
    auto r = store_.write([&](directory_tx& tx) -> store_result<void> {
        auto x = fn(tx);
        if (!x) {
            refused = x.error();
            return store_errc::aborted;
        }
        return {};
    });
    if (r) return {};
    if (refused) return *refused;
    return from_store(r.error(), "Organization");
}

scim::result<permission_set> directory_service::permissions(const actor& who,
                                                            std::string_view org_id) {
    return permissions(store_, who, org_id);
}

scim::result<permission_set> directory_service::permissions(directory_reader& r,
                                                            const actor& who,
                                                            std::string_view org_id) {
    auto target = r.get_org(org_id);
    if (!target) {
        if (target.error() == store_errc::not_found) return permission_set{};
        return from_store(target.error(), "Organization");
    }
    const bool disabled = target->status == "disabled";
    if (who.is_operator) return permission_set::all();
    if (who.credential_org) {
        if (*who.credential_org != org_id) return permission_set{};
        auto p = credential_permissions(who.can_write);
        return disabled ? p & permission_set{permission::read_users} : p;
    }
    if (!who.identity_id) return permission_set{};

    // The chain root..target: the target's ancestors come with it (materialized path).
    std::vector<std::string> ids = target->ancestors;
    ids.push_back(target->id);
    auto ms = r.memberships_in(*who.identity_id, ids);
    if (!ms) return from_store(ms.error(), "Membership");
    std::vector<level> chain(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const org_node* node = &*target;
        org_node anc;
        if (i + 1 < ids.size()) {
            auto a = r.get_org(ids[i]);
            if (!a) return from_store(a.error(), "Organization");
            anc = std::move(*a);
            node = &anc;
        }
        chain[i].disabled = node->status == "disabled";
        chain[i].managed_by_parent =
            node->managed_by && node->parent_id && *node->managed_by == *node->parent_id;
        auto m = std::find_if(ms->begin(), ms->end(),
                              [&](const membership_record& x) { return x.org_id == ids[i]; });
        if (m != ms->end()) {
            auto roles = held_roles(r, *m);
            if (!roles) return roles.error();
            chain[i].member = facts_of(*roles, m->override_inherited);
        }
    }
    return effective_permissions(chain);
}

scim::result<void> directory_service::require(const actor& who,
                                              std::string_view org_id,
                                              permission p) {
    ORGS_TRY(perms, permissions(who, org_id));
    if (perms->empty()) return invisible();
    if (!perms->has(p)) {
        return scim::error::forbidden("this caller lacks the " + std::string(to_string(p)) +
                                      " permission in the organization");
    }
    return {};
}

namespace {

scim::result<void> require_in(directory_service& svc,
                              directory_reader& r,
                              const actor& who,
                              std::string_view org_id,
                              permission p) {
    ORGS_TRY(perms, svc.permissions(r, who, org_id));
    if (perms->empty()) return invisible();
    if (!perms->has(p)) {
        return scim::error::forbidden("this caller lacks the " + std::string(to_string(p)) +
                                      " permission in the organization");
    }
    return {};
}

}  // namespace

scim::result<org_node> directory_service::get_org(const actor& who, std::string_view id) {
    ORGS_TRY(perms, permissions(who, id));
    if (perms->empty()) return invisible();
    ORGS_TRY_STORE(o, store_.get_org(id), "Organization");
    return std::move(*o);
}

scim::result<std::vector<org_node>> directory_service::visible_orgs(const actor& who) {
    std::vector<org_node> out;
    if (who.is_operator) {
        ORGS_TRY_STORE(all, store_.list_orgs(), "Organization");
        return std::move(*all);
    }
    // Candidates: orgs with an own membership or the credential's org, and their descendants
    // (reached by inheritance); each is then decided like any other request.
    std::vector<std::string> roots;
    if (who.credential_org) roots.push_back(*who.credential_org);
    if (who.identity_id) {
        ORGS_TRY_STORE(ms, store_.memberships_of(*who.identity_id), "Membership");
        for (const auto& m : *ms) roots.push_back(m.org_id);
    }
    std::vector<std::string> seen;
    auto consider = [&](const org_node& o) -> scim::result<void> {
        if (std::find(seen.begin(), seen.end(), o.id) != seen.end()) return {};
        seen.push_back(o.id);
        ORGS_TRY(perms, permissions(who, o.id));
        if (!perms->empty()) out.push_back(o);
        return {};
    };
    for (const auto& id : roots) {
        auto o = store_.get_org(id);
        if (!o) continue;
        if (auto c = consider(*o); !c) return c.error();
        if (who.credential_org) continue;
        ORGS_TRY_STORE(ds, store_.descendants(id), "Organization");
        for (const auto& d : *ds) {
            if (auto c = consider(d); !c) return c.error();
        }
    }
    std::sort(out.begin(), out.end(), [](const org_node& a, const org_node& b) {
        return a.created_ms != b.created_ms ? a.created_ms < b.created_ms : a.id < b.id;
    });
    return out;
}

scim::result<org_node> directory_service::create_org(const actor& who,
                                                     org_node draft,
                                                     bool default_managed) {
    if (draft.name.empty()) {
        return scim::error::bad_request(scim::scim_type::invalid_value, "name is required");
    }
    if (auto s = check_status(draft.status); !s) return s.error();
    if (auto s = check_settings(draft.settings); !s) return s.error();
    if (!draft.parent_id && !who.is_operator) {
        return scim::error::forbidden("only the operator creates top-level organizations");
    }
    if (draft.parent_id && default_managed && !draft.managed_by) draft.managed_by = draft.parent_id;
    if (auto m = check_managed_by(draft.managed_by, draft.parent_id); !m) return m.error();
    org_node created;
    auto r = transact([&](directory_tx& tx) -> scim::result<void> {
        if (draft.parent_id) {
            if (auto ok = require_in(*this, tx, who, *draft.parent_id, permission::manage_org);
                !ok) {
                return ok.error();
            }
            ORGS_TRY_STORE(parent, tx.get_org(*draft.parent_id), "Organization");
            if (auto c = check_parent("", std::nullopt, shape_of(*parent)); !c) return c.error();
        }
        ORGS_TRY_STORE(o, tx.insert_org(draft), "Organization");
        created = *o;
        boost::json::object d{{"name", o->name}};
        if (o->parent_id) d["parent"] = *o->parent_id;
        if (o->managed_by) d["managedBy"] = *o->managed_by;
        ORGS_TRY_STORE(e1,
                       tx.append_event(event(who, o->id, "org.created", "Organization", o->id, d)),
                       "Event");
        if (o->parent_id) {
            ORGS_TRY_STORE(e2,
                           tx.append_event(event(who, *o->parent_id, "org.child_created",
                                                 "Organization", o->id, d)),
                           "Event");
        }
        return {};
    });
    if (!r) return r.error();
    return created;
}

scim::result<org_node> directory_service::update_org(const actor& who,
                                                     const org_node& changed,
                                                     std::optional<std::uint64_t> if_match) {
    if (changed.name.empty()) {
        return scim::error::bad_request(scim::scim_type::invalid_value, "name is required");
    }
    if (auto s = check_status(changed.status); !s) return s.error();
    if (auto s = check_settings(changed.settings); !s) return s.error();
    org_node written;
    auto r = transact([&](directory_tx& tx) -> scim::result<void> {
        if (auto ok = require_in(*this, tx, who, changed.id, permission::manage_org); !ok) {
            return ok.error();
        }
        ORGS_TRY_STORE(cur, tx.get_org(changed.id), "Organization");
        if (if_match && *if_match != cur->version) {
            return from_store(store_errc::version_mismatch, "Organization");
        }
        boost::json::object d;
        if (changed.parent_id != cur->parent_id) {
            if (!changed.parent_id || !cur->parent_id) {
                return scim::error::bad_request(
                    scim::scim_type::invalid_value,
                    "an organization cannot become or stop being top-level");
            }
            auto np = tx.get_org(*changed.parent_id);
            if (!np) {
                if (np.error() != store_errc::not_found) return from_store(np.error(), "Org");
                return scim::error::bad_request(scim::scim_type::invalid_value,
                                                "the new parent does not exist");
            }
            if (auto c = check_parent(changed.id, shape_of(*cur), shape_of(*np)); !c) {
                return c.error();
            }
            if (auto ok = require_in(*this, tx, who, np->id, permission::manage_org); !ok) {
                if (ok.error().status == 404) {
                    return scim::error::bad_request(scim::scim_type::invalid_value,
                                                    "the new parent does not exist");
                }
                return ok.error();
            }
            d["parent"] = *changed.parent_id;
        }
        org_node next = changed;
        // A moved org is no longer managed by its old parent; the new one needs fresh consent.
        if (next.parent_id != cur->parent_id && next.managed_by == cur->managed_by) {
            next.managed_by.reset();
        }
        if (auto mb = check_managed_by(next.managed_by, next.parent_id); !mb) return mb.error();
        if (changed.status != cur->status) d["status"] = changed.status;
        if (next.managed_by != cur->managed_by) {
            d["managedBy"] = next.managed_by ? boost::json::value(*next.managed_by)
                                             : boost::json::value(nullptr);
        }
        if (changed.name != cur->name) d["name"] = changed.name;
        if (changed.settings != cur->settings) d["settings"] = changed.settings;
        ORGS_TRY_STORE(o, tx.update_org(next, if_match), "Organization");
        written = *o;
        ORGS_TRY_STORE(
            e,
            tx.append_event(event(who, o->id, "org.updated", "Organization", o->id, std::move(d))),
            "Event");
        return {};
    });
    if (!r) return r.error();
    return written;
}

scim::result<void> directory_service::delete_org(const actor& who,
                                                 std::string_view id,
                                                 bool cascade,
                                                 std::optional<std::uint64_t> if_match) {
    return transact([&](directory_tx& tx) -> scim::result<void> {
        if (auto ok = require_in(*this, tx, who, id, permission::manage_org); !ok) return ok;
        ORGS_TRY_STORE(cur, tx.get_org(id), "Organization");
        if (if_match && *if_match != cur->version) {
            return from_store(store_errc::version_mismatch, "Organization");
        }
        if (!cur->parent_id && !who.is_operator) {
            return scim::error::forbidden("only the operator deletes top-level organizations");
        }
        ORGS_TRY_STORE(desc, tx.descendants(id), "Organization");
        if (auto c = check_delete(desc->size(), cascade); !c) return c;
        for (auto it = desc->rbegin(); it != desc->rend(); ++it) {
            if (auto ok = require_in(*this, tx, who, it->id, permission::manage_org); !ok) {
                return scim::error::forbidden(
                    "the cascade reaches an organization this caller does not manage");
            }
            ORGS_TRY_STORE(d, tx.delete_org(it->id), "Organization");
        }
        ORGS_TRY_STORE(d, tx.delete_org(id), "Organization");
        const std::string log_org = cur->parent_id ? *cur->parent_id : std::string(id);
        ORGS_TRY_STORE(
            e,
            tx.append_event(
                event(who, log_org, "org.deleted", "Organization", std::string(id),
                      {{"name", cur->name}, {"cascade", cascade}, {"descendants", desc->size()}})),
            "Event");
        return {};
    });
}

scim::result<std::vector<membership_record>> directory_service::members(const actor& who,
                                                                        std::string_view org) {
    if (auto ok = require(who, org, permission::read_users); !ok) return ok.error();
    ORGS_TRY_STORE(ms, store_.members(org), "Membership");
    return std::move(*ms);
}

scim::result<membership_record> directory_service::put_member(const actor& who,
                                                              std::string_view org,
                                                              identity_record ident,
                                                              membership_kind kind,
                                                              const member_grant& grant) {
    if (kind == membership_kind::inherited) {
        return scim::error::bad_request(scim::scim_type::invalid_value,
                                        "inherited memberships are computed, not stored");
    }
    membership_record written;
    auto r = transact([&](directory_tx& tx) -> scim::result<void> {
        ORGS_TRY(perms, permissions(tx, who, org));
        if (perms->empty()) return invisible();
        ORGS_TRY_STORE(target, tx.get_org(org), "Organization");
        ORGS_TRY_STORE(custom_rows, tx.custom_roles(org), "Role");
        const auto custom = custom_to_roles(*custom_rows);
        ORGS_TRY(new_roles, resolve_roles(grant.roles, custom));
        if (auto g = check_grant(*perms, *new_roles); !g) return g;
        if (target->status == "disabled") {
            return scim::error::forbidden("the organization is disabled");
        }

        // Find or create the identity.
        if (ident.id.empty() && ident.issuer && ident.subject) {
            auto found = tx.find_identity_by_subject(*ident.issuer, *ident.subject);
            if (found) {
                ident = *found;
            } else if (found.error() != store_errc::not_found) {
                return from_store(found.error(), "Identity");
            }
        }
        if (ident.id.empty()) {
            if (kind != membership_kind::home) {
                return scim::error::bad_request(
                    scim::scim_type::invalid_value,
                    "an invited member must be an existing identity of the parent organization");
            }
            if (!ident.issuer || !ident.subject) {
                return scim::error::bad_request(scim::scim_type::invalid_value,
                                                "a new member needs issuer and subject");
            }
            ident.home_org = std::string(org);
            ORGS_TRY_STORE(created, tx.put_identity(ident), "Identity");
            ident = *created;
        } else {
            auto found = tx.get_identity(ident.id);
            if (!found) {
                if (found.error() == store_errc::not_found) return invisible("Identity");
                return from_store(found.error(), "Identity");
            }
            ident = *found;
        }
        if (kind == membership_kind::invited) {
            // Only the immediate parent's people can be invited (WSO2's rule, S3).
            if (!target->parent_id) {
                return scim::error::bad_request(scim::scim_type::invalid_value,
                                                "a top-level organization has no parent to "
                                                "invite from");
            }
            auto pm = tx.get_membership(*target->parent_id, ident.id);
            if (!pm) {
                if (pm.error() != store_errc::not_found) return from_store(pm.error(), "Member");
                return scim::error::bad_request(
                    scim::scim_type::invalid_value,
                    "only members of the immediate parent organization can be invited");
            }
        }

        auto existing = tx.get_membership(org, ident.id);
        if (!existing && existing.error() != store_errc::not_found) {
            return from_store(existing.error(), "Membership");
        }
        std::vector<std::string> before;
        if (existing) {
            before = existing->roles;
            ORGS_TRY(old_roles, held_roles(tx, *existing));
            // Nobody demotes someone above themselves either.
            std::vector<role> direct_old;
            for (const auto& id : existing->roles) {
                std::vector<std::string> one{id};
                if (auto rr = resolve_roles(one, custom)) direct_old.push_back(rr->front());
            }
            if (!direct_old.empty()) {
                if (auto g = check_grant(*perms, direct_old); !g) return g;
            }
            membership_record after = *existing;
            after.roles = grant.roles;
            ORGS_TRY(new_held, held_roles(tx, after));
            const bool was = is_access_manager(*old_roles);
            const bool will_be = is_access_manager(*new_held);
            if (was && !will_be) {
                ORGS_TRY(n, count_managers(tx, org));
                if (auto c = check_last_access_manager(*n, was, will_be); !c) return c;
            }
        }
        membership_record m;
        m.org_id = std::string(org);
        m.identity_id = ident.id;
        m.kind = existing ? existing->kind : kind;
        m.home_org = ident.home_org;
        m.user_ref = grant.user_ref ? grant.user_ref
                     : existing
                         ? existing->user_ref
                         : (kind == membership_kind::home ? ident.home_user_id : std::nullopt);
        m.override_inherited = grant.override_inherited;
        m.roles = grant.roles;
        ORGS_TRY_STORE(w, tx.put_membership(m), "Membership");
        written = *w;
        boost::json::object d{{"kind", std::string(to_string(w->kind))},
                              {"roles", to_array(grant.roles)},
                              {"overrideInherited", grant.override_inherited}};
        if (existing) d["before"] = to_array(before);
        ORGS_TRY_STORE(e,
                       tx.append_event(event(who, std::string(org),
                                             existing ? "member.roles_changed" : "member.added",
                                             "Membership", ident.id, std::move(d))),
                       "Event");
        return {};
    });
    if (!r) return r.error();
    return written;
}

scim::result<void> directory_service::remove_member(const actor& who,
                                                    std::string_view org,
                                                    std::string_view identity_id) {
    return transact([&](directory_tx& tx) -> scim::result<void> {
        ORGS_TRY(perms, permissions(tx, who, org));
        if (perms->empty()) return invisible();
        if (!perms->has(permission::manage_access)) {
            return scim::error::forbidden("removing members needs the manageAccess permission");
        }
        auto existing = tx.get_membership(org, identity_id);
        if (!existing) {
            if (existing.error() == store_errc::not_found) return invisible("Membership");
            return from_store(existing.error(), "Membership");
        }
        ORGS_TRY_STORE(custom_rows, tx.custom_roles(org), "Role");
        const auto custom = custom_to_roles(*custom_rows);
        std::vector<role> direct_old;
        for (const auto& id : existing->roles) {
            std::vector<std::string> one{id};
            if (auto rr = resolve_roles(one, custom)) direct_old.push_back(rr->front());
        }
        if (!direct_old.empty()) {
            if (auto g = check_grant(*perms, direct_old); !g) return g;
        }
        ORGS_TRY(held, held_roles(tx, *existing));
        if (is_access_manager(*held)) {
            ORGS_TRY(n, count_managers(tx, org));
            if (auto c = check_last_access_manager(*n, true, false); !c) return c;
        }
        ORGS_TRY_STORE(d, tx.delete_membership(org, identity_id), "Membership");
        ORGS_TRY_STORE(e,
                       tx.append_event(event(who, std::string(org), "member.removed", "Membership",
                                             std::string(identity_id),
                                             {{"roles", to_array(existing->roles)}})),
                       "Event");
        return {};
    });
}

scim::result<std::optional<membership_record>> directory_service::listed_member(
    std::string_view org, std::string_view user_id) {
    auto l = find_listed(store_, org, user_id);
    if (!l) return l.error();
    if (!*l) return std::optional<membership_record>();
    return std::optional<membership_record>(std::move((*l)->m));
}

scim::result<bool> directory_service::remove_listed_member(
    const actor& who,
    std::string_view org,
    std::string_view user_id,
    const std::function<scim::result<void>()>& check) {
    bool found = false;
    auto r = transact([&](directory_tx& tx) -> scim::result<void> {
        ORGS_TRY(l, find_listed(tx, org, user_id));
        if (!*l) return {};
        if (check) {
            if (auto c = check(); !c) return c;
        }
        found = true;
        const membership_record& m = (*l)->m;
        boost::json::object d{{"kind", std::string(to_string(m.kind))},
                              {"homeOrg", m.home_org},
                              {"userId", std::string(user_id)}};
        if (!(*l)->stored) {
            // Inherited: nothing to delete; an override without roles stops the flow here.
            membership_record stop = m;
            stop.override_inherited = true;
            ORGS_TRY_STORE(w, tx.put_membership(stop), "Membership");
            d["overrideInherited"] = true;
        } else {
            // The last access manager stays, whoever asks.
            ORGS_TRY(held, held_roles(tx, m));
            if (is_access_manager(*held)) {
                ORGS_TRY(n, count_managers(tx, org));
                if (auto c = check_last_access_manager(*n, true, false); !c) return c;
            }
            d["roles"] = to_array(m.roles);
            ORGS_TRY_STORE(del, tx.delete_membership(org, m.identity_id), "Membership");
            if (m.user_ref) {
                auto u = tx.delete_user(org, *m.user_ref);
                if (!u && u.error() != store_errc::not_found) return from_store(u.error(), "User");
            }
        }
        ORGS_TRY_STORE(e,
                       tx.append_event(event(who, std::string(org), "member.removed", "Membership",
                                             m.identity_id, std::move(d))),
                       "Event");
        return {};
    });
    if (!r) return r.error();
    return scim::result<bool>(boost::system::in_place_value, found);
}

scim::result<std::vector<role>> directory_service::roles(const actor& who, std::string_view org) {
    ORGS_TRY(perms, permissions(who, org));
    if (perms->empty()) return invisible();
    std::vector<role> out(builtin_roles().begin(), builtin_roles().end());
    ORGS_TRY_STORE(c, store_.custom_roles(org), "Role");
    for (auto& r : custom_to_roles(*c)) out.push_back(std::move(r));
    return out;
}

scim::result<role> directory_service::create_role(const actor& who,
                                                  std::string_view org,
                                                  std::string name,
                                                  permission_set perms_wanted) {
    if (name.empty()) {
        return scim::error::bad_request(scim::scim_type::invalid_value, "name is required");
    }
    role out;
    auto r = transact([&](directory_tx& tx) -> scim::result<void> {
        ORGS_TRY(perms, permissions(tx, who, org));
        if (perms->empty()) return invisible();
        role candidate{{}, name, perms_wanted, false, false, std::string(org)};
        if (auto g = check_grant(*perms, std::span<const role>(&candidate, 1)); !g) return g;
        ORGS_TRY_STORE(w, tx.put_custom_role({std::string(org), {}, name, perms_wanted.mask()}),
                       "Role");
        out = {w->id, w->name, permission_set(w->permissions), false, false, w->org_id};
        ORGS_TRY_STORE(e,
                       tx.append_event(event(
                           who, std::string(org), "role.created", "Role", w->id,
                           {{"name", name}, {"permissions", to_array(perms_wanted.names())}})),
                       "Event");
        return {};
    });
    if (!r) return r.error();
    return out;
}

scim::result<void> directory_service::delete_role(const actor& who,
                                                  std::string_view org,
                                                  std::string_view id) {
    return transact([&](directory_tx& tx) -> scim::result<void> {
        ORGS_TRY(perms, permissions(tx, who, org));
        if (perms->empty()) return invisible();
        if (!perms->has(permission::manage_access)) {
            return scim::error::forbidden("deleting roles needs the manageAccess permission");
        }
        if (find_builtin(id)) {
            return scim::error::bad_request(scim::scim_type::mutability,
                                            "built-in roles cannot be deleted");
        }
        auto d = tx.delete_custom_role(org, id);
        if (!d) return from_store(d.error(), "Role");
        ORGS_TRY_STORE(
            e,
            tx.append_event(event(who, std::string(org), "role.deleted", "Role", std::string(id))),
            "Event");
        return {};
    });
}

scim::result<void> directory_service::set_group_roles(const actor& who,
                                                      std::string_view org,
                                                      std::string_view group_id,
                                                      const std::vector<std::string>& role_ids) {
    return transact([&](directory_tx& tx) -> scim::result<void> {
        ORGS_TRY(perms, permissions(tx, who, org));
        if (perms->empty()) return invisible();
        ORGS_TRY_STORE(custom_rows, tx.custom_roles(org), "Role");
        ORGS_TRY(rs, resolve_roles(role_ids, custom_to_roles(*custom_rows)));
        if (auto g = check_grant(*perms, *rs); !g) return g;
        ORGS_TRY_STORE(w, tx.set_group_roles(org, group_id, role_ids), "Role");
        ORGS_TRY_STORE(
            e,
            tx.append_event(event(who, std::string(org), "group_roles.changed", "Group",
                                  std::string(group_id), {{"roles", to_array(role_ids)}})),
            "Event");
        return {};
    });
}

scim::result<std::vector<group_role_record>> directory_service::group_roles(const actor& who,
                                                                            std::string_view org) {
    ORGS_TRY(perms, permissions(who, org));
    if (perms->empty()) return invisible();
    ORGS_TRY_STORE(g, store_.group_roles(org), "Role");
    return std::move(*g);
}

namespace {

// The identity and home membership of a User created in its home org; the existing identity
// when there is one.
scim::result<identity_record> provision(directory_tx& tx,
                                        const actor& who,
                                        std::string_view home_org,
                                        std::string_view user_id,
                                        std::string_view display) {
    identity_record i;
    i.home_org = std::string(home_org);
    i.home_user_id = std::string(user_id);
    i.display = std::string(display);
    ORGS_TRY_STORE(
        w,
        tx.provision_home(std::move(i), event(who, std::string(home_org), "identity.provisioned",
                                              "Identity", {}, {{"userId", std::string(user_id)}})),
        "Identity");
    return *w;
}

}  // namespace

scim::result<identity_record> directory_service::user_provisioned(const actor& who,
                                                                  std::string_view home_org,
                                                                  std::string_view user_id,
                                                                  std::string_view display) {
    identity_record out;
    auto r = transact([&](directory_tx& tx) -> scim::result<void> {
        ORGS_TRY(p, provision(tx, who, home_org, user_id, display));
        out = std::move(*p);
        return {};
    });
    if (!r) return r.error();
    return out;
}

scim::result<std::size_t> directory_service::user_deprovisioned(
    const actor& who,
    std::string_view home_org,
    std::string_view user_id,
    bool deleted,
    std::vector<membership_record>* out) {
    std::size_t removed = 0;
    std::vector<membership_record> elsewhere;
    auto r = transact([&](directory_tx& tx) -> scim::result<void> {
        auto found = tx.find_identity_by_home_user(home_org, user_id);
        if (!found) {
            if (found.error() == store_errc::not_found) return {};
            return from_store(found.error(), "Identity");
        }
        ORGS_TRY_STORE(ms, tx.memberships_of(found->id), "Membership");
        boost::json::array orgs_left;
        for (const auto& m : *ms) {
            if (m.org_id == home_org && !deleted) continue;
            ORGS_TRY_STORE(d, tx.delete_membership(m.org_id, found->id), "Membership");
            ++removed;
            orgs_left.emplace_back(m.org_id);
            if (m.org_id != home_org) {
                elsewhere.push_back(m);
                ORGS_TRY_STORE(
                    e,
                    tx.append_event(event(who, m.org_id, "member.deprovisioned", "Membership",
                                          found->id, {{"homeOrg", std::string(home_org)}})),
                    "Event");
            }
        }
        if (deleted) {
            ORGS_TRY_STORE(d, tx.delete_identity(found->id), "Identity");
        }
        ORGS_TRY_STORE(e,
                       tx.append_event(event(who, std::string(home_org), "identity.deprovisioned",
                                             "Identity", found->id,
                                             {{"userId", std::string(user_id)},
                                              {"deleted", deleted},
                                              {"memberships", std::move(orgs_left)}})),
                       "Event");
        return {};
    });
    if (!r) return r.error();
    if (out) out->insert(out->end(), elsewhere.begin(), elsewhere.end());
    return scim::result<std::size_t>(boost::system::in_place_value, removed);
}

scim::result<event_page> directory_service::events(const actor& who,
                                                   std::string_view org,
                                                   std::int64_t offset,
                                                   std::int64_t limit) {
    if (auto ok = require(who, org, permission::read_events); !ok) return ok.error();
    ORGS_TRY_STORE(p, store_.list_events(org, offset, limit), "Event");
    return std::move(*p);
}

}  // namespace orgscim::plugin::orgs
