#pragma once
// The organization model over the directory_store port: every operation authorizes the actor in
// the target organization, applies the rules of rules.hpp, and writes its change together with
// its event in one transaction. Authorization reads the target's ancestors only (materialized
// path), never its children.

#include <functional>
#include <optional>
#include <orgscim/plugin/orgs/rules.hpp>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/scim/caller.hpp>
#include <orgscim/scim/error.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin::orgs {

/// Who acts. Exactly one of: a person (identity_id), a provisioning credential bound to one org
/// (credential_org), or the operator (CLI, all permissions everywhere).
struct actor {
    std::string subject;  ///< for the log: "token:<id>", "<iss>|<sub>", "cli"
    std::string credential_id;
    std::optional<std::string> identity_id;
    std::optional<std::string> credential_org;
    bool can_write = false;  ///< credentials only
    bool is_operator = false;

    /// A provisioning credential as authenticated by plugin/src/auth.cpp.
    static actor from_caller(const scim::caller& c);
    static actor cli();
};

/// What a member is given, as the API accepts it.
struct member_grant {
    std::vector<std::string> roles;
    bool override_inherited = false;
    /// The member's SCIM User in the org (group lookups); unset keeps the current one.
    std::optional<std::string> user_ref;
};

class directory_service {
  public:
    /// `store` must outlive the service.
    explicit directory_service(directory_store& store) : store_(store) {}

    /// The actor for a person signed in with OIDC (verified issuer and subject): their identity,
    /// or an actor without one (no permissions anywhere) when they have none yet.
    /// Errors: 503/500.
    scim::result<actor> person(std::string_view issuer,
                               std::string_view subject,
                               std::string_view credential_id);

    /// The actor's effective permissions in `org_id`. Unknown org: empty set.
    /// Errors: 503/500 from the store.
    scim::result<permission_set> permissions(const actor& who, std::string_view org_id);
    /// Same, inside a transaction (sees its changes).
    scim::result<permission_set> permissions(directory_reader& r,
                                             const actor& who,
                                             std::string_view org_id);

    /// 404 when the actor has no permission at all in the org (its existence does not leak),
    /// 403 when it has some but not `p`.
    scim::result<void> require(const actor& who, std::string_view org_id, permission p);

    // --- organizations ---------------------------------------------------------------------
    /// Errors: 404 (org invisible), 503/500.
    scim::result<org_node> get_org(const actor& who, std::string_view id);
    /// Every organization the actor holds any permission in. Errors: 503/500.
    scim::result<std::vector<org_node>> visible_orgs(const actor& who);
    /// A child of `draft.parent_id` (manageOrg there), or a root (operator only). managedBy
    /// defaults to the parent when `default_managed` is set.
    /// Errors: 400 (status, managedBy, settings), 403, 404 (parent invisible), 503/500.
    scim::result<org_node> create_org(const actor& who, org_node draft, bool default_managed);
    /// manageOrg in the org (and in a new parent). Errors: 400 (cycle, other tree, managedBy,
    /// status, settings), 403, 404, 412 (if_match stale), 503/500.
    scim::result<org_node> update_org(const actor& who,
                                      const org_node& changed,
                                      std::optional<std::uint64_t> if_match);
    /// manageOrg in the org and every descendant removed. Errors: 403, 404, 409 (children
    /// without cascade), 412, 503/500.
    scim::result<void> delete_org(const actor& who,
                                  std::string_view id,
                                  bool cascade,
                                  std::optional<std::uint64_t> if_match);

    // --- members, roles, group mappings ----------------------------------------------------
    /// The org's own members. Errors: 403 (no readUsers), 404, 503/500.
    scim::result<std::vector<membership_record>> members(const actor& who, std::string_view org);
    /// Adds or changes a member: creates the identity when `ident.id` is empty and no identity
    /// has its issuer+subject. `kind` invited needs a membership in the org's immediate parent.
    /// Errors: 400 (unknown role, kind), 403 (grant above the grantor), 404, 409 (last access
    /// manager), 503/500.
    scim::result<membership_record> put_member(const actor& who,
                                               std::string_view org,
                                               identity_record ident,
                                               membership_kind kind,
                                               const member_grant& grant);
    /// Errors: 403, 404, 409 (last access manager), 503/500.
    scim::result<void> remove_member(const actor& who,
                                     std::string_view org,
                                     std::string_view identity_id);

    /// The member behind an id of the org's /Users that is not one of its home Users (as the
    /// User stores list them): an invited or API-added member (their membership in the org,
    /// found by their copy User's id or their identity id) or an inherited one (identity id;
    /// the record the org would hold for them: kind inherited, no roles, not stored). nullopt
    /// for a home User of the org or an id that is no member there. Errors: 503/500.
    scim::result<std::optional<membership_record>> listed_member(std::string_view org,
                                                                 std::string_view user_id);
    /// A SCIM DELETE in `org` of such a member ends their membership there, never their home
    /// User: an invited or API-added member's membership goes with the copy User the org holds
    /// for them; an inherited member gets an overrideInherited membership without roles (their
    /// access ends in the org and below). One transaction with a member.removed event. Returns
    /// false, changing nothing, when `user_id` is no such member (the SCIM service answers).
    /// `check`, when given, runs inside that transaction once the member is found (an If-Match
    /// test, which then holds until the commit); its error changes nothing and comes back.
    /// Errors: 409 (last access manager), 503/500, those of `check`.
    scim::result<bool> remove_listed_member(const actor& who,
                                            std::string_view org,
                                            std::string_view user_id,
                                            const std::function<scim::result<void>()>& check = {});

    /// Built-in roles plus the org's custom roles. Errors: 404, 503/500.
    scim::result<std::vector<role>> roles(const actor& who, std::string_view org);
    /// Errors: 400 (empty name), 403 (permissions above the creator's), 404, 503/500.
    scim::result<role> create_role(const actor& who,
                                   std::string_view org,
                                   std::string name,
                                   permission_set perms);
    /// Errors: 403, 404 (org or role), 503/500.
    scim::result<void> delete_role(const actor& who, std::string_view org, std::string_view id);
    /// Members of SCIM group `group_id` get `role_ids` in the org. Errors: 400, 403, 404.
    scim::result<void> set_group_roles(const actor& who,
                                       std::string_view org,
                                       std::string_view group_id,
                                       const std::vector<std::string>& role_ids);
    scim::result<std::vector<group_role_record>> group_roles(const actor& who,
                                                             std::string_view org);

    // --- provisioning hooks ----------------------------------------------------------------
    /// A SCIM User created in its home org becomes an identity with a home membership (no
    /// roles). Idempotent. Errors: 503/500.
    scim::result<identity_record> user_provisioned(const actor& who,
                                                   std::string_view home_org,
                                                   std::string_view user_id,
                                                   std::string_view display);
    /// The home org deprovisioned its user (DELETE: `deleted`, or active=false): every
    /// membership of that identity in every other org goes, in one transaction, with an event
    /// in each org concerned; on DELETE the home membership and the identity go too.
    /// Returns the number of memberships removed (0 when the user has no identity); the
    /// removed memberships of other orgs are appended to `removed` when given (their user_ref is
    /// the SCIM User the org holds for the person). Errors: 503/500.
    scim::result<std::size_t> user_deprovisioned(const actor& who,
                                                 std::string_view home_org,
                                                 std::string_view user_id,
                                                 bool deleted,
                                                 std::vector<membership_record>* removed = nullptr);

    /// Events of an org. Errors: 403 (no readEvents), 404, 503/500.
    scim::result<event_page> events(const actor& who,
                                    std::string_view org,
                                    std::int64_t offset,
                                    std::int64_t limit);

    directory_store& store() noexcept { return store_; }

  private:
    using tx_fn = std::function<scim::result<void>(directory_tx&)>;
    scim::result<void> transact(const tx_fn& fn);

    directory_store& store_;
};

/// Validates an org's settings object (the invitation policy read by
/// invitations::org_policy_from_settings): invitationExpiryHours, memberExpiryHours,
/// parentUserExpiryHours, managedCompanyExpiryHours (1..8760), resendCooldownHours (0..720),
/// reminderBeforeHours (0..8760). Errors: 400 invalidValue.
scim::result<void> check_settings(const boost::json::object& settings);

}  // namespace orgscim::plugin::orgs
