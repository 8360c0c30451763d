#pragma once
// The invitation and access-request rules (issue 6), over the invitation_store port and the
// org_directory port, with an injected clock. No transport: handlers.hpp adapts it to SCIM
// requests. Every failure caused by input is a value carrying a stable errc.

#include <boost/system/result.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <orgscim/plugin/invitations/directory.hpp>
#include <orgscim/plugin/invitations/errors.hpp>
#include <orgscim/plugin/invitations/identity.hpp>
#include <orgscim/plugin/invitations/policy.hpp>
#include <orgscim/plugin/storage/invitation_store.hpp>
#include <string>
#include <vector>

namespace orgscim::plugin::invitations {

template <class T>
using op_result = boost::system::result<T, errc>;

using clock_ms = std::function<std::int64_t()>;

struct service_config {
    invitation_settings settings;
    /// Absolute public base URL (config, never the Host header); links are
    /// <public_base_url>/invitations/<token>.
    std::string public_base_url;
};

struct invitee {
    std::string email;        ///< member, managedCompany; parentUser may give email or user name
    std::string parent_user;  ///< parentUser: user name or email in the immediate parent
    std::string display_name;
    std::vector<std::string> roles;   ///< empty: the request's roles
    std::vector<std::string> groups;  ///< empty: the request's groups
    std::optional<std::int64_t> expires_in_s;
};

struct create_request {
    std::string org_id;
    std::string kind = "member";
    std::string actor;  ///< who invites (identity key or credential id)
    std::vector<std::string> roles;
    std::vector<std::string> groups;
    std::optional<std::int64_t> expires_in_s;
    bool send_email = true;  ///< false: no email; the link is handed back once
    bool replace = false;    ///< replace a pending invitation for the same person
    bool dry_run = false;    ///< validate only
    bool skip_existing =
        false;  ///< import: already member / already invited are skipped, not errors
};

struct invitee_result {
    std::string input;  ///< the email or user name as given
    std::optional<invitation_record> invitation;
    std::string link;  ///< only when send_email is false
    std::optional<errc> error;
    bool skipped = false;  ///< import: nothing to do for this person
};

struct view_result {
    invitation_record invitation;
    org_view org;
    std::string inviter_name;               ///< for the invitee (org_directory::inviter_name)
    std::vector<company_choice> companies;  ///< managedCompany with a signed-in viewer
};

struct accept_request {
    /// managedCompany: the companies the MSP may manage, or a new company's name.
    std::vector<std::string> company_ids;
    std::string new_company_name;
    bool accept_terms = false;
};

struct accept_result {
    invitation_record invitation;
    grant_report missing;  ///< roles or groups deleted since the invitation was made
    std::vector<std::string> managed_companies;
};

class service {
  public:
    /// `store` and `directory` must outlive the service.
    service(service_config cfg, invitation_store& store, org_directory& directory, clock_ms clock);

    /// One invitation per invitee; per-invitee outcome (partial success). Whole-request errors:
    /// org_unavailable, invalid_kind, no_parent, storage.
    op_result<std::vector<invitee_result>> create(const create_request& req,
                                                  const std::vector<invitee>& invitees);

    /// Rotates the token (the old link dies), refreshes the expiry, queues the email (or hands
    /// the link back when send_email is false). Errors: invalid_link (not found in org),
    /// not_pending, resend_cooldown, storage.
    op_result<std::pair<invitation_record, std::string>> resend(std::string_view org_id,
                                                                std::string_view id,
                                                                std::string_view actor,
                                                                bool send_email);
    /// An admin copies a pending invitation's link: the token is rotated (only hashes are
    /// stored), no email. Errors: invalid_link, not_pending, storage.
    op_result<std::string> copy_link(std::string_view org_id,
                                     std::string_view id,
                                     std::string_view actor);
    /// Errors: invalid_link, not_pending, storage.
    op_result<invitation_record> revoke(std::string_view org_id,
                                        std::string_view id,
                                        std::string_view actor,
                                        std::string_view reason);
    /// Deletes a finished invitation. Errors: invalid_link, still_pending, storage.
    op_result<void> remove(std::string_view org_id, std::string_view id);
    /// Errors: invalid_link, storage.
    op_result<invitation_record> get(std::string_view org_id, std::string_view id);
    op_result<std::vector<invitation_record>> list(std::string_view org_id);

    /// The invitee's view of a link. Never changes anything. Errors: invalid_link (unknown,
    /// finished, expired, or org disabled: one answer), storage.
    op_result<view_result> view(std::string_view token, const verified_identity* viewer);
    /// Errors: invalid_link, wrong_account (nothing changes), no_company_selected,
    /// company_unavailable, org_unavailable, storage. Of two racing accepts one gets
    /// invalid_link.
    op_result<accept_result> accept(std::string_view token,
                                    const verified_identity& who,
                                    const accept_request& req);
    /// Errors: invalid_link, wrong_account, storage.
    op_result<invitation_record> decline(std::string_view token,
                                         const verified_identity& who,
                                         std::string_view reason);

    /// Marks expired invitations and queues due reminders. Returns how many rows changed.
    std::size_t sweep();

    // Access requests.
    /// A new request, or a renotify of the pending one (rate-limited: renotify_too_soon).
    /// Errors: org_unavailable, wrong_account (email not verified), invalid_email,
    /// already_member, renotify_too_soon, storage.
    op_result<access_request_record> ask(std::string_view org_id,
                                         const verified_identity& who,
                                         std::string_view reason);
    /// Errors: invalid_link (no such request), not_pending, unknown_role, role_not_grantable,
    /// storage.
    op_result<access_request_record> approve(std::string_view org_id,
                                             std::string_view id,
                                             std::string_view actor,
                                             std::string_view role);
    op_result<access_request_record> deny(std::string_view org_id,
                                          std::string_view id,
                                          std::string_view actor,
                                          std::string_view reason);
    op_result<std::vector<access_request_record>> list_requests(std::string_view org_id);
    op_result<access_request_record> get_request(std::string_view org_id, std::string_view id);

    std::string link_for(std::string_view token) const;
    const service_config& config() const noexcept { return cfg_; }
    std::int64_t now() const { return clock_(); }

  private:
    op_result<invitee_result> prepare(const create_request& req,
                                      const org_view& org,
                                      const invitee& who,
                                      invitation_write& out,
                                      std::string& token);
    void queue_invitation_mail(invitation_write& w,
                               const org_view& org,
                               std::string_view token,
                               bool reminder);
    op_result<invitation_record> find_live(std::string_view token);
    bool is_invitee(const invitation_record& r, const verified_identity& who);

    service_config cfg_;
    invitation_store& store_;
    org_directory& dir_;
    clock_ms clock_;
};

}  // namespace orgscim::plugin::invitations
