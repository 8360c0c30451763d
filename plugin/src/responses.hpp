#pragma once
// The few HTTP answers the app builds itself (outside the SCIM service): one place for their
// headers, shared by app.cpp, starting_app.cpp and the OAuth endpoints.

#include <orgscim/scim/error.hpp>
#include <orgscim/scim/message.hpp>
#include <string>
#include <string_view>

namespace orgscim::plugin {

/// Seconds a client should wait after a 503 from a database that is away (restart, failover,
/// not up yet at start).
inline constexpr std::string_view database_retry_after_s = "2";

inline scim::response text_response(int status,
                                    std::string body,
                                    std::string_view type = "text/plain") {
    scim::response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", std::string(type));
    r.body = std::move(body);
    return r;
}

inline scim::response json_response(int status, std::string body) {
    return text_response(status, std::move(body), "application/json");
}

/// A SCIM error body with its status.
inline scim::response error_response(const scim::error& e) {
    return text_response(e.status, scim::to_body(e), scim::scim_content_type);
}

}  // namespace orgscim::plugin
