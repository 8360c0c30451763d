#pragma once
// The port for the organization model's records: the org tree (with a materialized ancestor
// path, so authorization walks ancestors only), identities, memberships, role assignments,
// custom roles, group-to-role mappings and the append-only event log. Same error model as
// scim::resource_store. Every change goes through write(), whose callback runs inside one
// transaction and appends its events there: a change and its event commit or roll back together.

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/admin_store.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin {

struct org_node {
    std::string id;
    std::string name;
    std::optional<std::string> parent_id;
    std::string status = "active";          ///< "active" | "disabled"
    std::optional<std::string> managed_by;  ///< the parent that manages this org, after consent
    boost::json::object settings;           ///< e.g. {"invitationExpiryHours": 360}
    std::vector<std::string> ancestors;     ///< root first, without the org itself (store-kept)
    std::int64_t created_ms = 0;
    std::int64_t modified_ms = 0;
    std::uint64_t version = 0;
};

/// One person: keyed by issuer+subject (signs in with OIDC) and/or by home org + SCIM user id.
struct identity_record {
    std::string id;
    std::optional<std::string> issuer;
    std::optional<std::string> subject;
    std::string home_org;
    std::optional<std::string> home_user_id;  ///< the SCIM User in the home org
    std::string display;
    std::int64_t created_ms = 0;
};

/// The User extension that says how a listed User is a member of the organization: `kind`
/// (home, invited, inherited) and `homeOrg` (the org of their home User), both readOnly. Stores
/// fill it on every read of a User type that carries it; it is never stored.
inline constexpr std::string_view membership_extension_urn =
    "urn:orgscim:params:scim:schemas:extension:membership:1.0:User";

enum class membership_kind { home, invited, inherited };
inline std::string_view to_string(membership_kind k) noexcept {
    switch (k) {
        case membership_kind::home:
            return "home";
        case membership_kind::invited:
            return "invited";
        case membership_kind::inherited:
            break;
    }
    return "inherited";
}
inline std::optional<membership_kind> parse_membership_kind(std::string_view s) noexcept {
    if (s == "home") return membership_kind::home;
    if (s == "invited") return membership_kind::invited;
    if (s == "inherited") return membership_kind::inherited;
    return std::nullopt;
}

struct membership_record {
    std::string org_id;
    std::string identity_id;
    membership_kind kind = membership_kind::home;
    std::string home_org;
    std::optional<std::string> user_ref;  ///< the member's SCIM id in this org (group lookups)
    bool override_inherited = false;      ///< this org's roles replace the inherited ones
    std::vector<std::string> roles;       ///< role ids (built-in ids or this org's custom roles)
    std::int64_t created_ms = 0;
};

struct custom_role_record {
    std::string org_id;
    std::string id;
    std::string name;
    std::uint32_t permissions = 0;  ///< orgs::permission_set mask
};

struct group_role_record {
    std::string org_id;
    std::string group_id;  ///< a SCIM Group id of that org
    std::string role_id;
};

/// What a change appends to the log; id, sequence and time are assigned by the store.
struct event_draft {
    std::string org_id;
    std::string actor;  ///< subject: "token:<id>", "iss|sub", "cli"
    std::string credential_id;
    std::string action;  ///< "org.created", "member.roles_changed", "identity.deprovisioned", ...
    std::string target_type;
    std::string target_id;
    boost::json::object detail;
};

struct event_record {
    std::string id;
    std::int64_t seq = 0;  ///< global append order
    std::int64_t time_ms = 0;
    event_draft ev;
};

struct event_page {
    std::int64_t total = 0;
    std::vector<event_record> items;
};

/// Reads. Inside write() they see the transaction's own changes.
class directory_reader {
  public:
    virtual ~directory_reader() = default;

    /// Errors: not_found, unavailable, internal.
    virtual store_result<org_node> get_org(std::string_view id) = 0;
    /// Every organization, in creation order. Errors: unavailable, internal.
    virtual store_result<std::vector<org_node>> list_orgs() = 0;
    /// Direct children, in creation order. Errors: unavailable, internal.
    virtual store_result<std::vector<org_node>> children(std::string_view id) = 0;
    /// All descendants (any depth), parents before children. Errors: unavailable, internal.
    virtual store_result<std::vector<org_node>> descendants(std::string_view id) = 0;

    /// Errors: not_found, unavailable, internal.
    virtual store_result<identity_record> get_identity(std::string_view id) = 0;
    virtual store_result<identity_record> find_identity_by_subject(std::string_view issuer,
                                                                   std::string_view subject) = 0;
    virtual store_result<identity_record> find_identity_by_home_user(std::string_view home_org,
                                                                     std::string_view user_id) = 0;

    /// Errors: not_found, unavailable, internal.
    virtual store_result<membership_record> get_membership(std::string_view org_id,
                                                           std::string_view identity_id) = 0;
    /// The identity's memberships in any of `org_ids` (one query; used with an ancestor path).
    /// Errors: unavailable, internal.
    virtual store_result<std::vector<membership_record>> memberships_in(
        std::string_view identity_id, std::span<const std::string> org_ids) = 0;
    /// Every membership of the identity. Errors: unavailable, internal.
    virtual store_result<std::vector<membership_record>> memberships_of(
        std::string_view identity_id) = 0;
    /// The org's own members (home and invited rows). Errors: unavailable, internal.
    virtual store_result<std::vector<membership_record>> members(std::string_view org_id) = 0;
    /// The membership behind an id of the org's /Users that is not one of its home Users, as
    /// the User stores list them: the non-home membership whose User in the org is `user_id`
    /// (the copy an invited member got on accept), or identity `user_id`'s membership when it
    /// has no User there (added through the membership API; not an inherited-kind override).
    /// Errors: not_found (a home User, an inherited member, nobody), unavailable, internal.
    virtual store_result<membership_record> find_listed_membership(std::string_view org_id,
                                                                   std::string_view user_id) = 0;

    /// Errors: unavailable, internal.
    virtual store_result<std::vector<custom_role_record>> custom_roles(std::string_view org_id) = 0;
    virtual store_result<std::vector<group_role_record>> group_roles(std::string_view org_id) = 0;
    /// The SCIM Groups of `org_id` that list `member_id` directly. Errors: unavailable, internal.
    virtual store_result<std::vector<std::string>> groups_of(std::string_view org_id,
                                                             std::string_view member_id) = 0;

    /// The org's events, newest first. Errors: unavailable, internal.
    virtual store_result<event_page> list_events(std::string_view org_id,
                                                 std::int64_t offset,
                                                 std::int64_t limit) = 0;
};

/// Writes, only inside directory_store::write().
class directory_tx : public directory_reader {
  public:
    /// Assigns id (when empty), ancestors (from the parent), times and version 1.
    /// Errors: not_found (parent), conflict (id taken), unavailable, internal.
    virtual store_result<org_node> insert_org(org_node o) = 0;
    /// Writes name, parent, status, managed_by, settings; recomputes the ancestors of the org
    /// and of its whole subtree when the parent changes; bumps the version.
    /// Errors: not_found, version_mismatch (`if_match` given and stale), unavailable, internal.
    virtual store_result<org_node> update_org(const org_node& o,
                                              std::optional<std::uint64_t> if_match) = 0;
    /// Deletes the org with its memberships, roles, mappings, SCIM resources and tokens (not its
    /// events). Errors: not_found, unavailable, internal.
    virtual store_result<void> delete_org(std::string_view id) = 0;

    /// Inserts or replaces by id (assigned when empty). Errors: conflict (issuer+subject or
    /// home user taken by another identity), unavailable, internal.
    virtual store_result<identity_record> put_identity(identity_record i) = 0;
    /// Errors: not_found, unavailable, internal.
    virtual store_result<void> delete_identity(std::string_view id) = 0;
    /// The identity of the User `i.home_user_id` of org `i.home_org`: the one it has, else `i`
    /// (id assigned when empty; no issuer or subject) with its home membership (no roles) and
    /// the event `ev` about it, whose target_id becomes the identity's id. What put_identity,
    /// put_membership and append_event would do, in fewer statements: every User a provisioning
    /// client creates makes one. Errors: not_found (org), conflict (the id is taken),
    /// unavailable, internal.
    virtual store_result<identity_record> provision_home(identity_record i, event_draft ev) = 0;

    /// Inserts or replaces (org, identity). Errors: not_found (org or identity), unavailable,
    /// internal.
    virtual store_result<membership_record> put_membership(membership_record m) = 0;
    /// Errors: not_found, unavailable, internal.
    virtual store_result<void> delete_membership(std::string_view org_id,
                                                 std::string_view identity_id) = 0;
    /// Deletes the org's SCIM User `user_id` with its emails and group memberships (those
    /// Groups get a new version), as the User store's remove() does: the copy User a non-home
    /// member holds in the org goes in the transaction that ends the membership.
    /// Errors: not_found, unavailable, internal.
    virtual store_result<void> delete_user(std::string_view org_id, std::string_view user_id) = 0;

    /// Inserts or replaces (id assigned when empty). Errors: not_found (org), unavailable,
    /// internal.
    virtual store_result<custom_role_record> put_custom_role(custom_role_record r) = 0;
    virtual store_result<void> delete_custom_role(std::string_view org_id,
                                                  std::string_view role_id) = 0;
    /// Replaces the roles mapped to one group. Errors: not_found (org), unavailable, internal.
    virtual store_result<void> set_group_roles(std::string_view org_id,
                                               std::string_view group_id,
                                               std::span<const std::string> role_ids) = 0;

    /// Appends to the log, in this transaction. Errors: unavailable, internal.
    virtual store_result<event_record> append_event(event_draft ev) = 0;
};

class directory_store : public directory_reader {
  public:
    /// Runs `fn` in one write transaction: committed when it returns success, rolled back
    /// otherwise (its error comes back unchanged; use store_errc::aborted for refusals and keep
    /// the reason on the caller's side). Errors: those of `fn`, unavailable, internal.
    using write_fn = std::function<store_result<void>(directory_tx&)>;
    virtual store_result<void> write(const write_fn& fn) = 0;
};

/// Opens the directory store of the configured backend on a database that open_backend() has
/// already migrated (SQLite migration 3, PostgreSQL migration 2). `now_ms` defaults to the system
/// clock. Throws startup_error when the database cannot be opened or is not migrated, or the
/// PostgreSQL URI variable is unset. Defined with open_backend() (store_selection.cpp).
std::unique_ptr<directory_store> open_directory(const storage_config& cfg,
                                                std::function<std::int64_t()> now_ms = {});

}  // namespace orgscim::plugin
