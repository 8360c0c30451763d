#pragma once
// What the black-box tests share: SCIM request headers with a bearer token, the invitations config
// sending through a loopback SMTP sink, and the path of an invitation link (the servers are
// configured with https://id.example.com as their public base URL; the tests talk to port 0).

#include <boost/json/object.hpp>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace orgscim::testing {

using headers = std::vector<std::pair<std::string, std::string>>;

inline headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}, {"Content-Type", "application/scim+json"}};
}

/// The path of an invitation link ("/invitations/<token>"), or "" when `link` has none.
inline std::string link_path(const std::string& link) {
    const auto at = link.find("/invitations/");
    return at == std::string::npos ? std::string() : link.substr(at);
}

/// The path of the invitation link in an email, or "" when it has none.
inline std::string link_path_in_email(const std::string& eml) {
    std::smatch m;
    if (!std::regex_search(
            eml, m, std::regex("https://id\\.example\\.com(/invitations/[A-Za-z0-9_-]{43})")))
        return {};
    return m[1];
}

/// The "invitations" section of a server config that sends its email through `smtp_url` (a
/// loopback sink), with short sweep and poll intervals so that tests see the email quickly.
inline boost::json::object invitations_config(const std::string& smtp_url) {
    return {{"sweep_interval_ms", 100},
            {"smtp", {{"url", smtp_url}, {"from", "noreply@orgscim.test"}, {"allow_plain", true}}},
            {"sender", {{"poll_ms", 20}}}};
}

}  // namespace orgscim::testing
