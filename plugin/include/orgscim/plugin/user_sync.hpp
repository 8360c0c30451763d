#pragma once
// An observer of user writes, for hosts that keep a user store of their own (the Glewlwyd module
// mirrors SCIM users into Glewlwyd's users so they can sign in there). orgscim's database stays
// the record; the observer only follows it.

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>

namespace orgscim::plugin {

enum class user_event {
    created,   ///< POST /Users (or Bulk)
    updated,   ///< PUT or PATCH that leaves the user active
    disabled,  ///< PUT or PATCH that set active=false (updated + disabled: one event, this one)
    deleted,   ///< DELETE, or deprovisioning fan-out
};

struct user_change {
    user_event event = user_event::updated;
    std::string org_id;
    std::string id;         ///< SCIM id
    std::string user_name;  ///< userName after the write (before it, for deleted)
    /// userName before the write when a PUT/PATCH renamed the user; empty otherwise.
    std::optional<std::string> previous_user_name;
    /// The full SCIM representation after the write (all attributes, no projection); empty for
    /// deleted.
    boost::json::object resource;
    /// The cleartext password the client sent in this request (RFC 7643 §4.1.1, writeOnly), so a
    /// host can set it in its own store; orgscim itself never stores it. Empty when none was sent.
    std::optional<std::string> password;
};

/// Called after the write committed, on the request's thread, holding no storage lock or
/// transaction (the observer may call back into its host, which may call back into orgscim).
/// Today the Glewlwyd module produces these events with a backend decorator
/// (plugin/glewlwyd/user_sync_backend.hpp) around the backend it hands to make_app. The observer
/// must not throw and must not change the SCIM response; it logs its own failures.
using user_sync = std::function<void(const user_change&)>;

}  // namespace orgscim::plugin
