#pragma once
// Signing side: runtime-generated keys, their public JWKS, and token minting. The only place that
// uses cpp-jwt, and only to sign (security.md §2: it never decides whether a token is trusted).

#include <boost/json/object.hpp>
#include <memory>
#include <orgscim/oidc/algorithm.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::oidc {

/// A private signing key. Copies share the key.
class signing_key {
  public:
    /// Generates a fresh key for `a`: RSA (`rsa_bits`) for RS*/PS*, P-256/384/521 for ES*,
    /// Ed25519 for EdDSA. Throws std::runtime_error if OpenSSL fails.
    static signing_key generate(alg a, std::string kid, int rsa_bits = 2048);
    /// Loads a PEM private key (PKCS#8 or traditional). Throws std::runtime_error when the PEM does
    /// not hold a key usable for `a`.
    static signing_key from_pem(std::string_view pem, alg a, std::string kid);

    alg algorithm() const noexcept;
    const std::string& kid() const noexcept;
    /// The public JWK: kty, kid, use "sig", alg, and n/e or crv/x(/y).
    boost::json::object public_jwk() const;
    std::string private_pem() const;

    struct impl;
    const impl& internals() const noexcept { return *p_; }

  private:
    std::shared_ptr<const impl> p_;
};

/// {"keys":[public_jwk()...]} as JSON text, for publishing.
std::string jwks_json(const std::vector<signing_key>& keys);

/// Mints a compact JWS with cpp-jwt: header {alg, typ, kid}, payload = `claims`. RS*/ES* only
/// (cpp-jwt has no PS*/EdDSA); throws std::invalid_argument for other algs.
std::string mint_token(const signing_key& key,
                       const boost::json::object& claims,
                       std::string_view typ = "JWT");

/// Signs exactly base64url(header_json) "." base64url(payload_json) with OpenSSL, using `as`
/// for the digest/padding (normally key.algorithm(); different values build mismatch tests).
/// Any bytes are accepted, so malformed JSON can be signed for negative tests.
std::string sign_compact(const signing_key& key,
                         std::string_view header_json,
                         std::string_view payload_json,
                         alg as);
inline std::string sign_compact(const signing_key& key,
                                std::string_view header_json,
                                std::string_view payload_json) {
    return sign_compact(key, header_json, payload_json, key.algorithm());
}

/// HMAC-SHA-256 compact JWS with `secret` (for key-confusion tests only).
std::string hmac_compact(std::string_view secret,
                         std::string_view header_json,
                         std::string_view payload_json);

/// The public key as SubjectPublicKeyInfo PEM (the classic RS→HS confusion secret).
std::string public_pem(const signing_key& key);

}  // namespace orgscim::oidc
