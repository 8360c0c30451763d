#pragma once
// Follows orgscim's user writes into Glewlwyd's own user store through the host callbacks, so that
// provisioned users can sign in to Glewlwyd. orgscim's database stays the record.
//
// Asynchronous: a SCIM write is answered once orgscim committed it, and one worker thread applies
// the change to Glewlwyd shortly after (Glewlwyd's own database writes are slow and serialized;
// waiting for them would cap SCIM writes at their pace). Changes still queued for a username are
// coalesced: each carries the whole user, so only the latest state needs writing.

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <orgscim/plugin/user_sync.hpp>
#include <string>
#include <thread>
#include <vector>

#include "glewlwyd_abi.h"

namespace orgscim::plugin::glewlwyd {

struct mirror_options {
    bool enabled = true;
    /// Scopes given to users the mirror creates (existing users keep theirs).
    std::vector<std::string> scopes{"g_profile"};
    /// Also write the SCIM id and externalId as Glewlwyd properties "scim_id" / "external_id".
    /// Glewlwyd drops properties its user module's data-format does not declare (glewlwyd.md §6),
    /// so declare them there before turning this on.
    bool extra_properties = false;
};

class user_mirror {
  public:
    user_mirror(config_plugin* host, mirror_options options);
    /// Applies what is still queued, then stops the worker.
    ~user_mirror();
    user_mirror(const user_mirror&) = delete;
    user_mirror& operator=(const user_mirror&) = delete;

    /// The plugin::user_sync callback: queues the change and returns. Never throws; failures
    /// (here or later in the worker) go to Glewlwyd's log.
    void operator()(const user_change& change) noexcept;

    /// Blocks until every change queued so far has been applied (tests, shutdown).
    void flush();

    /// The Glewlwyd record for a SCIM user (username, name, email, enabled, scope, extras).
    static boost::json::object to_glewlwyd_user(const boost::json::object& scim_user,
                                                const mirror_options& options);

  private:
    struct pending {
        bool remove = false;
        boost::json::object resource;
        std::optional<std::string> password;
    };

    static pending removal();
    void enqueue(const std::string& username, pending p);
    void run();
    void apply(const std::string& username, const pending& p) noexcept;
    void upsert(const std::string& username, const pending& p);
    void remove(const std::string& username);

    config_plugin* host_;
    mirror_options options_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::map<std::string, pending> queued_;  ///< latest state per username
    std::deque<std::string> order_;          ///< usernames in first-queued order
    bool busy_ = false;
    bool stopping_ = false;
    std::thread worker_;  // last: started after everything it uses exists
};

}  // namespace orgscim::plugin::glewlwyd
