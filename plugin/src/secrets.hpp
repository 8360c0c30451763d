#pragma once
// Per-organization provisioning secrets (security.md §1.8): 32 random bytes, shown once,
// stored only as their SHA-256, looked up by hash and compared in constant time.

#include <cstdint>
#include <optional>
#include <orgscim/plugin/storage/admin_store.hpp>
#include <string>
#include <string_view>

namespace orgscim::plugin {

/// Every secret starts with this, so a bearer token is recognisably a secret (not a JWT) and
/// secret scanners can find leaked ones.
inline constexpr std::string_view secret_prefix = "oss_";
/// Prefix plus base64url of 32 bytes without padding.
inline constexpr std::size_t secret_length = secret_prefix.size() + 43;

/// A new secret: prefix + base64url(32 bytes from RAND_bytes). Throws std::runtime_error only if
/// the CSPRNG fails.
std::string generate_secret();

/// SHA-256 of the secret text: 32 raw bytes, what the token store keeps.
std::string hash_secret(std::string_view secret);

/// True when `token` has the exact shape generate_secret() produces.
bool looks_like_secret(std::string_view token) noexcept;

struct issued_secret {
    token_info info;
    std::string secret;  ///< shown once; never stored, never logged
};

/// Generates, hashes and stores a secret. Errors: those of token_store::create_token.
store_result<issued_secret> issue_secret(token_store& store,
                                         std::string_view org_id,
                                         std::string_view name,
                                         std::optional<std::int64_t> expires_ms,
                                         bool can_write);

enum class secret_status { valid, unknown, revoked, expired, unavailable };

struct secret_check {
    secret_status status = secret_status::unknown;
    token_info info;  ///< filled unless status is unknown or unavailable
};

/// Looks the secret up by hash, compares the stored hash with CRYPTO_memcmp and checks
/// revocation and expiry against `now_ms`. Never throws.
secret_check verify_secret(token_store& store, std::string_view secret, std::int64_t now_ms);

}  // namespace orgscim::plugin
