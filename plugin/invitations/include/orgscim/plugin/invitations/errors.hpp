#pragma once
// Stable error codes for invitation and access-request operations. The wire spelling
// (to_string) is part of the API: per-invitee results and error bodies carry it as `errorCode`.

#include <orgscim/scim/error.hpp>
#include <string_view>

namespace orgscim::plugin::invitations {

enum class errc {
    invalid_email = 1,     ///< not an address
    already_member,        ///< the person is already a member of the organization
    already_invited,       ///< a pending invitation exists (send replace=true to replace it)
    unknown_parent_user,   ///< parentUser: no such user in the immediate parent organization
    unknown_role,          ///< the role does not exist in the organization
    unknown_group,         ///< the group does not exist in the organization
    role_not_grantable,    ///< the inviter does not hold every permission of the role
    expiry_out_of_bounds,  ///< the requested expiry exceeds the organization's policy
    org_unavailable,       ///< organization unknown or disabled
    no_parent,             ///< parentUser invitation from an organization without a parent
    not_pending,           ///< the invitation is no longer pending
    still_pending,         ///< delete needs a finished invitation
    resend_cooldown,       ///< resend before the cooldown ended
    invalid_link,          ///< unknown, used, expired or revoked link (one answer for all)
    wrong_account,         ///< the signed-in identity is not the invited one
    no_company_selected,   ///< managedCompany accept without a company
    company_unavailable,   ///< a selected company cannot be managed (see reason)
    renotify_too_soon,     ///< access request repeated inside the rate limit
    invalid_kind,          ///< kind is not member, parentUser or managedCompany
    storage,               ///< database unavailable (retry)
};

/// "alreadyMember", "invalidLink", ...
std::string_view to_string(errc e) noexcept;

/// The SCIM error for a code: status and detail (the code is also added as errorCode by the
/// handlers). invalid_link is 404 with one uniform detail, whatever the real cause.
scim::error to_scim_error(errc e, std::string_view detail = {});

}  // namespace orgscim::plugin::invitations
