#pragma once
// invitations::org_directory over the organization model (issue 5): what the invitations module
// (issue 6) asks of organizations, memberships, roles and groups, answered by
// orgs::directory_service and the SCIM resource store of the same database.
//
// Identity emails are not stored by the model yet; people are found by email through the SCIM
// Users of the organization (emails.value). Gaps (see docs/organizations.md "Left to do"):
// find_parent_user finds users of the parent by userName or email but they carry no OIDC
// identity key; access_manager_emails answers the emails of SCIM Users linked to an access
// manager's identity only; create_company makes the new company a child of the MSP (the model
// lets only an org's parent manage it) with the accepting person as its full admin.

#include <orgscim/plugin/invitations/directory.hpp>
#include <orgscim/plugin/orgs/directory_service.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/store.hpp>

namespace orgscim::plugin::orgs {

class invitation_directory final : public invitations::org_directory {
  public:
    /// All three must outlive the adapter. `reg` must hold the core User and Group types.
    invitation_directory(directory_service& svc,
                         scim::resource_store& resources,
                         const scim::schema_registry& reg);

    std::optional<invitations::org_view> find_org(std::string_view org_id) override;
    bool is_member(std::string_view org_id, std::string_view email) override;
    bool role_exists(std::string_view org_id, std::string_view role) override;
    bool group_exists(std::string_view org_id, std::string_view group) override;
    /// Provisioning credentials ("token:<id>") of the org act as its admins; a person
    /// ("iss|sub") must pass check_grant over their effective permissions there.
    bool can_grant(std::string_view org_id, std::string_view actor, std::string_view role) override;
    /// Credentials: true. A person: still holds `invite` in the org.
    bool inviter_active(std::string_view org_id, std::string_view inviter) override;
    /// The identity's display name for a person; "" for credentials.
    std::string inviter_name(std::string_view actor) override;
    std::optional<invitations::parent_user> find_parent_user(
        std::string_view child_org_id, std::string_view user_name_or_email) override;
    /// put_member (operator authority: the invitation was authorized when it was made).
    /// Unknown roles and every group (group membership is SCIM data, not granted here) are
    /// reported. Errors: those of put_member (400, 404, 409), 503/500.
    scim::result<invitations::grant_report> grant(std::string_view org_id,
                                                  const invitations::verified_identity& who,
                                                  std::string_view membership_kind,
                                                  const std::vector<std::string>& roles,
                                                  const std::vector<std::string>& groups) override;
    std::vector<std::string> access_manager_emails(std::string_view org_id) override;
    std::vector<invitations::company_choice> manageable_companies(
        const invitations::verified_identity& who, std::string_view msp_org_id) override;
    /// update_org as `who` (needs manageOrg in the company; managedBy must be its parent).
    scim::result<void> set_managed_by(std::string_view company_id,
                                      std::string_view msp_org_id,
                                      const invitations::verified_identity& who) override;
    /// A child of the MSP, managed by it, with `who` as its full admin. Errors: those of
    /// create_org and put_member.
    scim::result<std::string> create_company(std::string_view name,
                                             const invitations::verified_identity& who,
                                             std::string_view msp_org_id) override;

  private:
    /// The role id for an id or (case-insensitive) name, built-in or the org's custom role.
    std::optional<std::string> role_id(std::string_view org_id, std::string_view role);
    std::optional<actor> person(std::string_view key);
    /// Resources of `type` in the org matching `filter` (values quoted by the caller), at most
    /// `limit`, without members or groups; none on any error.
    std::vector<scim::resource_record> matching(std::string_view org_id,
                                                const scim::resource_type* type,
                                                const std::string& filter,
                                                std::int64_t limit);
    /// SCIM Users of the org whose emails contain `email`.
    std::vector<scim::resource_record> users_with_email(std::string_view org_id,
                                                        std::string_view email);
    /// The Group id for an id or (exact) displayName.
    std::optional<std::string> group_id(std::string_view org_id, std::string_view group);
    /// The identity of the parent's user with the invitee's email (made when the parent's IdP
    /// provisioned them), if the org has a parent and such a user.
    std::optional<identity_record> parent_identity(std::string_view child_org_id,
                                                   const invitations::verified_identity& who);
    /// The SCIM User of the org for the invitee: the one with the email, or a new one.
    scim::result<std::string> user_for(std::string_view org_id,
                                       const invitations::verified_identity& who);

    directory_service& svc_;
    scim::resource_store& resources_;
    const scim::resource_type* users_;
    const scim::resource_type* groups_;
};

}  // namespace orgscim::plugin::orgs
