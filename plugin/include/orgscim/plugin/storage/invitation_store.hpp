#pragma once
// The storage port for invitations and access requests (the product's own records, not SCIM
// resources of the engine). Every write runs in one transaction together with the outbox messages
// and history rows it carries, so a crash never leaves an invitation without its email or an email
// without its invitation (security.md §5.1 rule 13). Same error model as scim::resource_store.

#include <cstdint>
#include <functional>
#include <optional>
#include <orgscim/plugin/storage/outbox.hpp>
#include <orgscim/scim/error.hpp>
#include <orgscim/scim/store.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin {

/// One step in the life of an invitation or access request; kept forever (history is never
/// deleted on accept).
struct history_entry {
    std::int64_t at_ms = 0;
    std::string action;  ///< "created", "sent", "resent", "accepted", "email_failed", ...
    std::string actor;   ///< identity key ("iss|sub"), "system" or a credential id
    std::string detail;  ///< free text for people: the reason, the error, the new expiry
};

struct invitation_record {
    std::string id;
    std::string org_id;
    std::string kind;    ///< "member" | "parentUser" | "managedCompany"
    std::string status;  ///< "pending" | "accepted" | "declined" | "expired" | "revoked"
    std::string email;   ///< normalized (trimmed, domain lower-cased)
    std::string display_name;
    std::string parent_user;  ///< parentUser: the invited user's id in the immediate parent
    std::vector<std::string> roles;
    std::vector<std::string> groups;
    std::string inviter;     ///< identity key of whoever created it
    std::string token_hash;  ///< hex SHA-256 of the link token; the token itself is never stored
    std::int64_t token_version = 1;
    std::int64_t resend_count = 0;
    std::int64_t created_ms = 0;
    std::int64_t modified_ms = 0;
    std::int64_t expires_ms = 0;
    std::int64_t last_sent_ms = 0;
    std::int64_t reminder_at_ms = 0;  ///< 0: no reminder due
    std::int64_t finished_ms = 0;     ///< when it left `pending`
    std::string finished_by;          ///< who accepted / declined / revoked
    std::string reason;               ///< decline or revoke reason
    std::string delivery;             ///< "none" | "queued" | "sent" | "failed"
    std::string delivery_error;
    std::uint64_t version = 1;
    std::vector<history_entry> history;  ///< filled by get/find/list
};

struct access_request_record {
    std::string id;
    std::string org_id;
    std::string status;     ///< "pending" | "approved" | "denied"
    std::string requester;  ///< identity key
    std::string email;
    std::string display_name;
    std::string reason;  ///< the requester's reason
    std::string decided_by;
    std::string role;  ///< approve: the role granted
    std::string deny_reason;
    std::int64_t created_ms = 0;
    std::int64_t modified_ms = 0;
    std::int64_t last_notified_ms = 0;
    std::int64_t notify_count = 1;
    std::uint64_t version = 1;
};

/// What one write stores next to the record it changes.
struct side_effects {
    std::vector<outbox_message> mail;
    std::vector<history_entry> history;
    /// Queued outbox messages with this reference are dropped first (a resend supersedes the email
    /// carrying the old link).
    std::string supersede_ref;
};

struct invitation_write {
    invitation_record record;
    side_effects effects;
};

struct access_request_write {
    access_request_record record;
    side_effects effects;
};

class invitation_store {
  public:
    virtual ~invitation_store() = default;

    /// Inserts each invitation with its effects, all in ONE transaction (10,000 rows in one go
    /// for imports). A second pending invitation for the same (org, kind, email) is refused per
    /// item with `conflict`, unless `replace` is set: then the old one becomes `revoked` in the
    /// same transaction. Pending rows past their expiry never block. Per-item outcome in order.
    /// Errors (whole batch): unavailable, internal.
    virtual scim::store_result<std::vector<scim::store_result<invitation_record>>>
    insert_invitations(std::vector<invitation_write> items, bool replace, std::int64_t now_ms) = 0;

    /// Errors: not_found (also for another org's id), unavailable, internal.
    virtual scim::store_result<invitation_record> get_invitation(std::string_view org_id,
                                                                 std::string_view id) = 0;
    /// The invitation whose current token hash is `token_hash`, in any org and any status.
    /// Errors: not_found, unavailable, internal.
    virtual scim::store_result<invitation_record> find_by_token(std::string_view token_hash) = 0;
    /// All invitations of an org in creation order (history not filled).
    /// Errors: unavailable, internal.
    virtual scim::store_result<std::vector<invitation_record>> list_invitations(
        std::string_view org_id) = 0;
    /// The pending (not yet expired at `now_ms`) invitation for (org, kind, email), if any.
    virtual scim::store_result<std::optional<invitation_record>> find_pending(
        std::string_view org_id,
        std::string_view kind,
        std::string_view email,
        std::int64_t now_ms) = 0;

    /// Reads the record and calls `mutate` inside one write transaction; the result is written
    /// with a conditional UPDATE (same id, status, token hash and version as read), so two
    /// concurrent accepts cannot both succeed. Errors: not_found, aborted (mutate refused; its own
    /// error is kept by the caller), version_mismatch, unavailable, internal.
    using invitation_mutate =
        std::function<scim::result<invitation_write>(const invitation_record& current)>;
    virtual scim::store_result<invitation_record> update_invitation(
        std::string_view org_id, std::string_view id, const invitation_mutate& mutate) = 0;

    /// Deletes a finished invitation and its history. Errors: not_found, conflict (still
    /// pending), unavailable, internal.
    virtual scim::store_result<void> delete_invitation(std::string_view org_id,
                                                       std::string_view id) = 0;

    /// Pending invitations whose expiry has passed (for the expiry sweep) or whose reminder is due.
    /// Errors: unavailable, internal.
    virtual scim::store_result<std::vector<invitation_record>> due_invitations(
        std::int64_t now_ms, std::size_t limit) = 0;

    // Access requests.
    /// Errors: conflict (a pending request of this requester exists), unavailable, internal.
    virtual scim::store_result<access_request_record> insert_access_request(
        access_request_write w) = 0;
    virtual scim::store_result<access_request_record> get_access_request(std::string_view org_id,
                                                                         std::string_view id) = 0;
    virtual scim::store_result<std::optional<access_request_record>> find_pending_request(
        std::string_view org_id, std::string_view requester) = 0;
    virtual scim::store_result<std::vector<access_request_record>> list_access_requests(
        std::string_view org_id) = 0;
    using access_request_mutate =
        std::function<scim::result<access_request_write>(const access_request_record& current)>;
    virtual scim::store_result<access_request_record> update_access_request(
        std::string_view org_id, std::string_view id, const access_request_mutate& mutate) = 0;
};

}  // namespace orgscim::plugin
