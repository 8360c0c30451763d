#pragma once
// What invitations need from the organization model (plugin/orgs, issue 5): organizations and
// their policy, memberships, roles, groups and the MSP relation. A narrow port so that the
// organization model implements it; memory_directory is the reference used by tests and until
// then.

#include <optional>
#include <orgscim/plugin/invitations/identity.hpp>
#include <orgscim/plugin/invitations/policy.hpp>
#include <orgscim/scim/error.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin::invitations {

struct org_view {
    std::string id;
    std::string name;
    std::string status = "active";  ///< "active" | "disabled"
    std::string parent_id;          ///< empty for a root
    org_policy policy;
    std::string managed_by;  ///< the MSP managing this org, empty when none
};

struct parent_user {
    std::string id;  ///< the user's id in the parent organization
    std::string user_name;
    std::string email;         ///< normalized
    std::string identity_key;  ///< "iss|sub" when known: binds the accept to that person
};

/// Roles or groups named by an invitation that no longer exist at accept time: reported, not
/// silently skipped.
struct grant_report {
    std::vector<std::string> missing_roles;
    std::vector<std::string> missing_groups;
};

/// A company the accepting admin could put under the MSP, or why not.
struct company_choice {
    std::string org_id;
    std::string name;
    bool available = false;
    std::string reason;  ///< "notFullAdmin", "alreadyManaged" when not available
};

class org_directory {
  public:
    virtual ~org_directory() = default;

    virtual std::optional<org_view> find_org(std::string_view org_id) = 0;
    /// Does a person with this (normalized) email already belong to the org (any kind)?
    virtual bool is_member(std::string_view org_id, std::string_view email) = 0;
    virtual bool role_exists(std::string_view org_id, std::string_view role) = 0;
    virtual bool group_exists(std::string_view org_id, std::string_view group) = 0;
    /// Escalation guard: may `actor` (identity key or credential id) grant `role` in the org?
    virtual bool can_grant(std::string_view org_id,
                           std::string_view actor,
                           std::string_view role) = 0;
    /// Does the inviter still hold the authority to invite in the org (security.md §5.1 rule 11:
    /// an invitation whose inviter left or lost the permission is void at accept time)? Operator
    /// and provisioning-credential inviters are the model's call.
    virtual bool inviter_active(std::string_view org_id, std::string_view inviter) = 0;
    /// How the invitee sees the inviter (`actor` is an identity key or a credential id): a
    /// person's display name, or "" (a provisioning credential, or nobody known) so that the
    /// email and page say "You are invited" and never show internal ids.
    virtual std::string inviter_name(std::string_view /*actor*/) { return {}; }
    /// A user of the org's IMMEDIATE parent, by user name or email.
    virtual std::optional<parent_user> find_parent_user(std::string_view child_org_id,
                                                        std::string_view user_name_or_email) = 0;
    /// Adds or extends the membership of `who` in the org; kind is "home" for member invitations
    /// and "invited" for parentUser. Roles or groups that do not exist are left out and reported.
    /// Errors: whatever the model refuses (org disabled: 403), 503 when unavailable.
    virtual scim::result<grant_report> grant(std::string_view org_id,
                                             const verified_identity& who,
                                             std::string_view membership_kind,
                                             const std::vector<std::string>& roles,
                                             const std::vector<std::string>& groups) = 0;
    /// Emails of every member who can manage access (they receive access requests).
    virtual std::vector<std::string> access_manager_emails(std::string_view org_id) = 0;
    /// Companies where `who` is full admin, each marked available or not for `msp_org_id`.
    virtual std::vector<company_choice> manageable_companies(const verified_identity& who,
                                                             std::string_view msp_org_id) = 0;
    /// Records that `msp_org_id` manages `company_id` (the customer's consent).
    virtual scim::result<void> set_managed_by(std::string_view company_id,
                                              std::string_view msp_org_id,
                                              const verified_identity& who) = 0;
    /// Creates a company administered by `who` for `msp_org_id` to manage (accept with "create
    /// a new company"); returns its id.
    virtual scim::result<std::string> create_company(std::string_view name,
                                                     const verified_identity& who,
                                                     std::string_view msp_org_id) = 0;
};

}  // namespace orgscim::plugin::invitations
