#pragma once
// The organization rules as pure functions: hierarchy shape, who may grant what, the last access
// manager, and the authorization decision along an ancestor chain. No I/O: callers load the facts
// (plugin/orgs/src/directory_service.cpp) and these functions decide.

#include <optional>
#include <orgscim/plugin/orgs/permissions.hpp>
#include <orgscim/scim/error.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin::orgs {

// --- hierarchy -------------------------------------------------------------------------------

/// What the hierarchy rules need to know of an organization.
struct org_shape {
    std::string id;
    std::vector<std::string> ancestors;  ///< root first, without the org itself
    bool disabled = false;
};

/// Checks `parent` as the (new) parent of the organization `org_id`. `current` is the org's shape
/// when it already exists (a move), nullopt for a new org. Errors (400 invalidValue): the org
/// would become its own ancestor (cycle); a move to a parent in another tree (different root).
scim::result<void> check_parent(std::string_view org_id,
                                const std::optional<org_shape>& current,
                                const org_shape& parent);

/// managedBy, when set, names the organization's own parent (the MSP that manages it).
/// Errors: 400 invalidValue.
scim::result<void> check_managed_by(const std::optional<std::string>& managed_by,
                                    const std::optional<std::string>& parent_id);

/// "active" or "disabled". Errors: 400 invalidValue.
scim::result<void> check_status(std::string_view status);

/// Errors: 409 when the organization has children and `cascade` is false.
scim::result<void> check_delete(std::size_t child_count, bool cascade);

// --- grants ----------------------------------------------------------------------------------

/// Nobody grants a role holding a permission they do not hold themselves ("only administrators
/// can assign the administrator role"). Granting needs manage_access. Errors: 403.
scim::result<void> check_grant(permission_set grantor, std::span<const role> roles);

/// Whether a set of roles makes its holder an access manager (manage_access, not suspended).
bool is_access_manager(std::span<const role> roles) noexcept;

/// The last access manager of an organization can be neither removed nor demoted.
/// `managers_before` counts the org's direct access managers before the change; `was` and
/// `will_be` say whether the member concerned is one before and after. Errors: 409.
scim::result<void> check_last_access_manager(std::size_t managers_before, bool was, bool will_be);

/// Resolves role ids against the built-in roles and `custom` (the org's own roles).
/// Errors: 400 invalidValue naming the unknown role.
scim::result<std::vector<role>> resolve_roles(std::span<const std::string> ids,
                                              std::span<const role> custom);

// --- the decision ----------------------------------------------------------------------------

/// One person's standing in one organization, from its own rows (not inherited).
struct member_facts {
    permission_set granted;           ///< union of direct and group-mapped roles
    bool suspended = false;           ///< holds Inactive: nothing is granted here
    bool override_inherited = false;  ///< the org replaced what the parent's roles would give
};

/// One organization on the path from the root to the target.
struct level {
    /// True when the org is managed by its parent (managedBy == parent): the parent's members'
    /// effective permissions flow in. Ignored for the first level.
    bool managed_by_parent = false;
    bool disabled = false;
    std::optional<member_facts> member;  ///< nullopt: no own membership here
};

/// The caller's effective permissions in the last level of `root_to_target`. At each level:
/// own roles, plus (unless overridden) what the level above gave when this level is managed by
/// it; Inactive yields nothing at that level. A disabled target keeps no write permission.
/// Linear in the depth: children are never consulted.
permission_set effective_permissions(std::span<const level> root_to_target) noexcept;

/// A provisioning credential of the target org: users and groups, nothing else.
permission_set credential_permissions(bool can_write) noexcept;

}  // namespace orgscim::plugin::orgs
