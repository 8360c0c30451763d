#pragma once
// oidc::errc: why a token or a key set was refused. Values, never exceptions: every failure from
// untrusted input (a token, a JWKS, a discovery document) comes back as one of these.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string_view>
#include <type_traits>

namespace orgscim::oidc {

enum class errc {
    // 400 invalid_request
    empty_token = 1,  ///< "Bearer" with nothing after it
    // 401 invalid_token: shape and encoding
    token_too_large,   ///< over the 8 KiB cap
    malformed,         ///< not exactly three non-empty dot-separated segments
    bad_base64,        ///< non-canonical or non-base64url bytes
    bad_json,          ///< not JSON, not an object, invalid UTF-8, too deep
    duplicate_member,  ///< a JSON object names a member twice
    // 401: JOSE header
    bad_header,        ///< alg/kid/typ with the wrong type or a member outside the allowlist
    forbidden_header,  ///< jku, x5u, jwk, x5c, crit, b64, zip, enc, cty
    alg_not_allowed,   ///< not in the issuer's allowlist (none and HS* never are)
    typ_not_allowed,   ///< typ outside the issuer's allowlist
    // 401: issuer and key
    unknown_issuer,    ///< iss matches no configured issuer
    tenant_mismatch,   ///< tid missing, not a GUID, or not bound to the matched issuer
    unknown_kid,       ///< no key with that kid (after at most one refetch per cooldown)
    key_alg_mismatch,  ///< the key does not permit the token's alg, or is scoped to another issuer
    bad_signature,     ///< EVP_DigestVerify said no, or the signature has the wrong length
    // 401: claims
    missing_claim,        ///< exp, iss or sub (or tid/oid for tid+oid identities) absent
    bad_claim,            ///< a claim with the wrong type or an insane NumericDate
    expired,              ///< exp + leeway <= now
    not_yet_valid,        ///< nbf - leeway > now
    issued_in_future,     ///< iat - leeway > now
    wrong_audience,       ///< aud contains none of the configured audiences
    not_access_token,     ///< an ID token (nonce/at_hash/c_hash), or no roles/scope at all
    wrong_token_version,  ///< Entra ver does not match the preset
    client_not_allowed,   ///< azp/appid/client_id outside the issuer's allowed_clients
    // 403 insufficient_scope
    insufficient_scope,  ///< valid token without the permission the route needs
    // 503 + Retry-After: key material unavailable
    keys_unavailable,  ///< the issuer's JWKS was never loaded
    // Key-set fetch outcomes (logged by the key store; verify() reports keys_unavailable)
    fetch_failed,               ///< transport error, timeout, TLS failure
    fetch_too_large,            ///< body over max_jwks_bytes
    fetch_http_status,          ///< a status other than 200
    insecure_url,               ///< not https (and allow_http off), or a redirect to another scheme
    bad_discovery,              ///< discovery document without a usable jwks_uri
    discovery_issuer_mismatch,  ///< discovery issuer != the configured issuer
    bad_jwks,                   ///< not a JWK Set
    no_usable_keys,             ///< a JWK Set with no key we may use: a failure, the old set stays
};

/// The category "orgscim.oidc".
const boost::system::error_category& oidc_category() noexcept;

boost::system::error_code make_error_code(errc e) noexcept;

/// A short, stable name for logs ("expired"); never shown to clients.
std::string_view to_string(errc e) noexcept;

/// The HTTP status the host answers with: 400 (invalid_request), 401 (invalid_token),
/// 403 (insufficient_scope) or 503 (+ Retry-After).
int http_status(errc e) noexcept;

/// The RFC 6750 `error` parameter matching http_status(): "invalid_request", "invalid_token",
/// "insufficient_scope", or empty for 503.
std::string_view bearer_error(errc e) noexcept;

/// ADL hook so that result<T>::value() throws (tests only; production code checks has_value()).
[[noreturn]] void throw_exception_from_error(errc e, const boost::source_location& loc);

template <class T>
using result = boost::system::result<T, errc>;

}  // namespace orgscim::oidc

namespace boost::system {
template <>
struct is_error_code_enum<orgscim::oidc::errc> : std::true_type {};
}  // namespace boost::system
