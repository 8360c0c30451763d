#pragma once
// An in-memory org_directory: the behaviour reference for tests, and what the server uses until
// the organization model (plugin/orgs) implements the port. Thread-safe.

#include <map>
#include <mutex>
#include <orgscim/plugin/invitations/directory.hpp>
#include <set>

namespace orgscim::plugin::invitations {

class memory_directory final : public org_directory {
  public:
    struct member {
        std::string email;
        std::string identity_key;
        std::string kind;
        std::set<std::string> roles;
        std::set<std::string> groups;
    };

    // Set-up (tests and demo).
    void add_org(org_view org);
    void add_role(std::string_view org_id, std::string role, bool grantable = true);
    void add_group(std::string_view org_id, std::string group);
    void remove_role(std::string_view org_id, std::string_view role);
    void remove_group(std::string_view org_id, std::string_view group);
    void add_member(std::string_view org_id, member m);
    void set_full_admin(std::string_view org_id, std::string identity_key);
    void set_access_managers(std::string_view org_id, std::vector<std::string> emails);
    std::optional<member> find_member(std::string_view org_id, std::string_view email) const;
    /// Inviters whose invitations are void from now on (they left the org).
    void remove_inviter(std::string inviter);

    // org_directory
    std::optional<org_view> find_org(std::string_view org_id) override;
    bool is_member(std::string_view org_id, std::string_view email) override;
    bool role_exists(std::string_view org_id, std::string_view role) override;
    bool group_exists(std::string_view org_id, std::string_view group) override;
    bool can_grant(std::string_view org_id, std::string_view actor, std::string_view role) override;
    bool inviter_active(std::string_view org_id, std::string_view inviter) override;
    std::optional<parent_user> find_parent_user(std::string_view child_org_id,
                                                std::string_view user_name_or_email) override;
    scim::result<grant_report> grant(std::string_view org_id,
                                     const verified_identity& who,
                                     std::string_view membership_kind,
                                     const std::vector<std::string>& roles,
                                     const std::vector<std::string>& groups) override;
    std::vector<std::string> access_manager_emails(std::string_view org_id) override;
    std::vector<company_choice> manageable_companies(const verified_identity& who,
                                                     std::string_view msp_org_id) override;
    scim::result<void> set_managed_by(std::string_view company_id,
                                      std::string_view msp_org_id,
                                      const verified_identity& who) override;
    scim::result<std::string> create_company(std::string_view name,
                                             const verified_identity& who,
                                             std::string_view msp_org_id) override;

  private:
    struct org_data {
        org_view view;
        std::map<std::string, bool> roles;  ///< role -> grantable by any inviter
        std::set<std::string> groups;
        std::map<std::string, member> members;  ///< by email
        std::set<std::string> full_admins;      ///< identity keys
        std::vector<std::string> access_managers;
    };
    mutable std::mutex mu_;
    std::map<std::string, org_data, std::less<>> orgs_;
    std::set<std::string, std::less<>> gone_inviters_;
    int next_company_ = 1;
};

}  // namespace orgscim::plugin::invitations
