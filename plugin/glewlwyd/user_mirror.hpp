#pragma once
// Follows orgscim's user writes into Glewlwyd's own user store through the host callbacks, so that
// provisioned users can sign in to Glewlwyd. orgscim's database stays the record.

#include <array>
#include <mutex>
#include <orgscim/plugin/user_sync.hpp>
#include <string>
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

    /// The plugin::user_sync callback. Never throws; failures go to Glewlwyd's log.
    void operator()(const user_change& change) noexcept;

    /// The Glewlwyd record for a SCIM user (username, name, email, enabled, scope, extras).
    /// Exposed for tests.
    static boost::json::object to_glewlwyd_user(const boost::json::object& scim_user,
                                                const mirror_options& options);

  private:
    void upsert(const user_change& change);
    void remove(const std::string& username);
    std::mutex& lock_for(const std::string& username);

    config_plugin* host_;
    mirror_options options_;
    // set_user replaces the whole record, so an update is read-merge-write; writes to one username
    // are serialized here. Never held across delete_user, which re-enters plugin_user_revoke.
    std::array<std::mutex, 32> locks_;
};

}  // namespace orgscim::plugin::glewlwyd
