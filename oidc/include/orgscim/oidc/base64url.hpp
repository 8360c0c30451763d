#pragma once
// Strict base64url (RFC 4648 §5, no padding): one spelling per byte string, so a token's text is
// a canonical key for caches.

#include <optional>
#include <string>
#include <string_view>

namespace orgscim::oidc {

/// Decodes `in`; nullopt on any byte outside [A-Za-z0-9_-], on `len % 4 == 1`, or when the unused
/// low bits of the last character are not zero.
std::optional<std::string> base64url_decode(std::string_view in);

/// Encodes without padding.
std::string base64url_encode(std::string_view in);

}  // namespace orgscim::oidc
