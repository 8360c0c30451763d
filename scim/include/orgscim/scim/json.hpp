#pragma once
// Strict JSON for untrusted bodies: RFC 8259 plus no duplicate member names, valid UTF-8 only, a
// depth cap, nothing after the value.

#include <boost/json/value.hpp>
#include <orgscim/scim/error.hpp>
#include <string_view>

namespace orgscim::scim {

/// Errors: 400 invalidSyntax naming the problem (position, duplicate name, depth).
result<boost::json::value> parse_json(std::string_view text, std::size_t max_depth = 32);

}  // namespace orgscim::scim
