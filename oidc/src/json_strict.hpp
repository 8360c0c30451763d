#pragma once
// Strict JSON for untrusted documents (token header/payload, JWKS, discovery): Boost.JSON keeps the
// last of duplicate members silently, so duplicates are detected in a first pass.

#include <boost/json/object.hpp>
#include <orgscim/oidc/error.hpp>
#include <string_view>

namespace orgscim::oidc::detail {

/// Parses `text` as one JSON object: valid UTF-8, depth ≤ 32, no duplicate member names at any
/// level. Errors: bad_json, duplicate_member.
result<boost::json::object> parse_strict_object(std::string_view text);

}  // namespace orgscim::oidc::detail
