#pragma once
// The mail outbox port: messages are written in the transaction of the change that causes them
// (invitation_store) and delivered later by plugin/mail's sender. Claims are leases, so a sender
// that dies mid-send gives its messages back when the lease ends, and two senders never hold the
// same message at once (SQLite: one writer; PostgreSQL: FOR UPDATE SKIP LOCKED in the claim).

#include <cstdint>
#include <orgscim/scim/store.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin {

struct outbox_message {
    std::int64_t id = 0;  ///< assigned by the store
    std::string org_id;
    std::string ref;            ///< what it is about: "invitation:<id>" or "access_request:<id>"
    std::string template_name;  ///< "invitation", "reminder", "access_request", ...
    std::string to;
    std::string subject;
    std::string text;
    std::string html;
    std::string status = "queued";  ///< "queued" | "sent" | "failed" | "superseded"
    std::int64_t attempts = 0;
    std::int64_t next_attempt_ms = 0;
    std::int64_t created_ms = 0;
    std::int64_t sent_ms = 0;
    std::string last_error;
};

class outbox_store {
  public:
    virtual ~outbox_store() = default;

    /// Leases up to `max` queued messages due at `now_ms` and not leased by anyone else to
    /// `worker` until `now_ms + lease_ms`. Errors: unavailable, internal.
    virtual scim::store_result<std::vector<outbox_message>> claim(std::string_view worker,
                                                                  std::int64_t now_ms,
                                                                  std::int64_t lease_ms,
                                                                  std::size_t max) = 0;
    /// Marks delivered and erases the bodies (they may carry a link token). Only the lease holder
    /// may do this. Errors: not_found (lease lost), unavailable, internal.
    virtual scim::store_result<void> mark_sent(std::int64_t id,
                                               std::string_view worker,
                                               std::int64_t now_ms) = 0;
    /// Records a failed attempt: retried at `retry_at_ms`, or given up on (status "failed") when
    /// `retry_at_ms` is 0. The referenced invitation's delivery state and history show it.
    /// Errors: not_found (lease lost), unavailable, internal.
    virtual scim::store_result<void> mark_failed(std::int64_t id,
                                                 std::string_view worker,
                                                 std::int64_t now_ms,
                                                 std::string_view error,
                                                 std::int64_t retry_at_ms) = 0;
    /// Every message with this reference, oldest first (for tests and the admin view).
    virtual scim::store_result<std::vector<outbox_message>> messages_for(std::string_view ref) = 0;
};

}  // namespace orgscim::plugin
