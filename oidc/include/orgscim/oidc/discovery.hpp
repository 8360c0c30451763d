#pragma once
// OpenID Provider metadata (OIDC Discovery 1.0): only what the verifier needs.

#include <orgscim/oidc/error.hpp>
#include <string>
#include <string_view>

namespace orgscim::oidc {

/// Returns jwks_uri from a discovery document whose `issuer` equals `expected_issuer` exactly
/// (templates compare as text). jwks_uri must be https, or http when `allow_http`.
/// Errors: bad_json, duplicate_member, bad_discovery, discovery_issuer_mismatch, insecure_url.
result<std::string> parse_discovery(std::string_view json,
                                    std::string_view expected_issuer,
                                    bool allow_http);

/// True for "https://…", or "http://…" when `allow_http`.
bool url_scheme_allowed(std::string_view url, bool allow_http) noexcept;

}  // namespace orgscim::oidc
