#include <orgscim/plugin/invitations/errors.hpp>
#include <string>

namespace orgscim::plugin::invitations {

std::string_view to_string(errc e) noexcept {
    switch (e) {
        case errc::invalid_email:
            return "invalidEmail";
        case errc::already_member:
            return "alreadyMember";
        case errc::already_invited:
            return "alreadyInvited";
        case errc::unknown_parent_user:
            return "unknownParentUser";
        case errc::unknown_role:
            return "unknownRole";
        case errc::unknown_group:
            return "unknownGroup";
        case errc::role_not_grantable:
            return "roleNotGrantable";
        case errc::expiry_out_of_bounds:
            return "expiryOutOfBounds";
        case errc::org_unavailable:
            return "organizationUnavailable";
        case errc::no_parent:
            return "noParentOrganization";
        case errc::not_pending:
            return "notPending";
        case errc::still_pending:
            return "stillPending";
        case errc::resend_cooldown:
            return "resendCooldown";
        case errc::invalid_link:
            return "invalidLink";
        case errc::wrong_account:
            return "wrongAccount";
        case errc::no_company_selected:
            return "noCompanySelected";
        case errc::company_unavailable:
            return "companyUnavailable";
        case errc::renotify_too_soon:
            return "renotifyTooSoon";
        case errc::invalid_kind:
            return "invalidKind";
        case errc::storage:
            return "storageUnavailable";
    }
    return "unknown";
}

scim::error to_scim_error(errc e, std::string_view detail) {
    auto d = [&](std::string_view fallback) {
        return std::string(detail.empty() ? fallback : detail);
    };
    using scim::error;
    using scim::scim_type;
    switch (e) {
        case errc::invalid_email:
            return error::bad_request(scim_type::invalid_value, d("not an email address"));
        case errc::unknown_parent_user:
            return error::bad_request(scim_type::invalid_value,
                                      d("no such user in the parent organization"));
        case errc::unknown_role:
            return error::bad_request(scim_type::invalid_value, d("no such role"));
        case errc::unknown_group:
            return error::bad_request(scim_type::invalid_value, d("no such group"));
        case errc::expiry_out_of_bounds:
            return error::bad_request(scim_type::invalid_value,
                                      d("expiry outside the organization's policy"));
        case errc::invalid_kind:
            return error::bad_request(scim_type::invalid_value,
                                      d("kind must be member, parentUser or managedCompany"));
        case errc::no_parent:
            return error::bad_request(scim_type::invalid_value,
                                      d("the organization has no parent"));
        case errc::no_company_selected:
            return error::bad_request(scim_type::invalid_value, d("select at least one company"));
        case errc::company_unavailable:
            return error::bad_request(scim_type::invalid_value,
                                      d("a selected company cannot be managed"));
        case errc::role_not_grantable:
            return error::forbidden(d("you cannot grant this role"));
        case errc::wrong_account:
            return error::forbidden(
                d("this invitation is for another account; sign in as the invited person"));
        case errc::org_unavailable:
            return error::not_found(d("organization not found"));
        case errc::invalid_link:
            // One answer for unknown, used, expired and revoked links (security.md §5.1 rule 9).
            return error::not_found("invitation not valid");
        case errc::already_member:
            return error::conflict(d("already a member"));
        case errc::already_invited:
            return error::conflict(d("a pending invitation exists; set replace to replace it"));
        case errc::not_pending:
            return error::conflict(d("the invitation is not pending"));
        case errc::still_pending:
            return error::conflict(d("revoke the invitation before deleting it"));
        case errc::resend_cooldown:
            return scim::error{429, scim_type::none, d("resend is allowed after the cooldown")};
        case errc::renotify_too_soon:
            return scim::error{429, scim_type::none,
                               d("the administrators were notified recently")};
        case errc::storage:
            return error::unavailable(d("storage unavailable, retry later"));
    }
    return error::internal();
}

}  // namespace orgscim::plugin::invitations
