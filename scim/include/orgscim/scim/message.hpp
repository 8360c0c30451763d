#pragma once
// Transport-neutral request and response: what every host (Beast server, C ABI, Glewlwyd module)
// hands to the engine and gets back. No socket, no framework type.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orgscim::scim {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
    std::string method;  ///< upper case: GET, POST, PUT, PATCH, DELETE
    /// Path below the SCIM base, percent-decoded, starting with '/': "/Users/2819c223".
    std::string path;
    /// Query parameters, percent-decoded, in order of appearance.
    std::vector<std::pair<std::string, std::string>> query;
    /// Header names in lower case.
    header_list headers;
    std::string body;
    /// Absolute base URL used to build meta.location and Location headers, without a trailing
    /// slash: "https://idp.example.com/scim/v2". Built from configuration, never from Host.
    std::string base_url;

    /// First header with this (lower-case) name.
    std::optional<std::string_view> header(std::string_view lower_name) const;
    /// First query parameter with this name (SCIM parameter names are case-sensitive per RFC,
    /// but we match case-insensitively as clients vary).
    std::optional<std::string_view> param(std::string_view name) const;
};

struct response {
    int status = 200;
    header_list headers;
    std::string body;

    void set_header(std::string name, std::string value);
};

inline constexpr std::string_view scim_content_type = "application/scim+json";

}  // namespace orgscim::scim
