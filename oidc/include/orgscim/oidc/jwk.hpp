#pragma once
// JWKs turned into verification keys once, when a JWK Set is loaded. The OpenSSL key stays behind
// an opaque handle; nothing OpenSSL-specific is visible here.

#include <memory>
#include <orgscim/oidc/algorithm.hpp>
#include <orgscim/oidc/error.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::oidc {

/// An immutable public key (EVP_PKEY inside); cheap to copy, safe to share across threads.
class public_key {
  public:
    struct impl;
    public_key() = default;
    explicit public_key(std::shared_ptr<const impl> p) : p_(std::move(p)) {}
    const impl* get() const noexcept { return p_.get(); }
    explicit operator bool() const noexcept { return p_ != nullptr; }

  private:
    std::shared_ptr<const impl> p_;
};

struct jwk {
    std::string kid;     ///< compared as an exact string; may be empty
    std::string kty;     ///< "RSA", "EC" or "OKP"
    alg_set algs;        ///< what this key may verify: its own `alg`, or its family ∩ allowlist
    std::string issuer;  ///< Entra's per-key `issuer` (may hold "{tenantid}"); empty = unscoped
    public_key key;
};

struct jwk_set {
    std::vector<jwk> keys;
    /// The key with this exact kid, or nullptr.
    const jwk* find(std::string_view kid) const noexcept;
};

/// Parses a JWK Set, keeping only usable keys: kty RSA (≥ 2048 bits, odd e ≥ 3), EC (P-256/384/521,
/// point on the curve), OKP Ed25519; `use` absent or "sig"; `key_ops` absent or with "verify"; no
/// private members; `alg`, if present, inside `allowed`; kids unique (duplicates dropped).
/// Errors: bad_json, duplicate_member, bad_jwks (not a set), no_usable_keys (nothing left).
result<jwk_set> parse_jwk_set(std::string_view json, alg_set allowed);

/// One JWK object (already parsed) → key; nullopt-like error if unusable. Exposed for tests.
result<jwk> parse_jwk(std::string_view json, alg_set allowed);

/// Checks `sig` over `signing_input` with `key` for `a` (ES* take raw r||s). False on any
/// failure, including a key that does not permit `a`.
bool verify_signature(const jwk& key,
                      alg a,
                      std::string_view signing_input,
                      std::string_view sig) noexcept;

}  // namespace orgscim::oidc
