#pragma once
// Per-organization provisioning secrets (security.md §1.8): 32 random bytes, shown once,
// stored only as their SHA-256, looked up by hash and compared in constant time.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <orgscim/plugin/storage/admin_store.hpp>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

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

/// Valid secret checks remembered for a bounded time, so that a busy IdP does not cost one token
/// lookup per request (issue 7: process-local caches are bounded in time). Keyed by the secret's
/// SHA-256, never its text. Only valid checks are kept: an unknown, revoked or expired secret, or
/// an unavailable store, is asked again on every request. A revocation made elsewhere (the CLI,
/// another instance) is therefore seen at the latest ttl_ms later. Thread-safe.
class secret_cache {
  public:
    /// When this many entries are held, the next new one starts the cache over: a burst of
    /// distinct secrets cannot grow memory without bound.
    static constexpr std::size_t default_max_entries = 10000;

    /// ttl_ms 0: nothing is remembered.
    explicit secret_cache(std::uint32_t ttl_ms, std::size_t max_entries = default_max_entries);

    bool enabled() const noexcept { return ttl_ms_ > 0; }
    std::size_t size() const;

    /// The token remembered for `secret_hash`, if stored at most ttl_ms before `now_ms`, not
    /// after it (a clock set back does not stretch an entry), and the token has not expired.
    std::optional<token_info> find(const std::string& secret_hash, std::int64_t now_ms) const;
    /// Remembers a valid check made at `now_ms` until now_ms + ttl_ms or the token's own expiry,
    /// whichever comes first.
    void remember(const std::string& secret_hash, const token_info& info, std::int64_t now_ms);
    /// Drops what is remembered for `secret_hash` (a lookup found it no longer valid).
    void forget(const std::string& secret_hash);

  private:
    struct entry {
        token_info info;
        std::int64_t stored_ms = 0;
        std::int64_t until_ms = 0;  ///< exclusive
    };
    std::uint32_t ttl_ms_;
    std::size_t max_entries_;
    mutable std::shared_mutex mu_;
    std::unordered_map<std::string, entry> entries_;
};

/// verify_secret with `cache` in front of the store: a fresh remembered check is valid without a
/// lookup, a valid lookup is remembered and any other outcome drops the entry.
secret_check verify_secret(token_store& store,
                           secret_cache& cache,
                           std::string_view secret,
                           std::int64_t now_ms);

}  // namespace orgscim::plugin
