#include "secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace orgscim::plugin {

namespace {

constexpr char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void append_base64url(std::string& out, const unsigned char* p, std::size_t n) {
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const unsigned v = (unsigned(p[i]) << 16) | (unsigned(p[i + 1]) << 8) | p[i + 2];
        out += b64url[(v >> 18) & 63];
        out += b64url[(v >> 12) & 63];
        out += b64url[(v >> 6) & 63];
        out += b64url[v & 63];
    }
    if (n - i == 1) {
        const unsigned v = unsigned(p[i]) << 16;
        out += b64url[(v >> 18) & 63];
        out += b64url[(v >> 12) & 63];
    } else if (n - i == 2) {
        const unsigned v = (unsigned(p[i]) << 16) | (unsigned(p[i + 1]) << 8);
        out += b64url[(v >> 18) & 63];
        out += b64url[(v >> 12) & 63];
        out += b64url[(v >> 6) & 63];
    }
}

bool is_b64url(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

}  // namespace

std::string generate_secret() {
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
    std::string s;
    s.reserve(secret_length);
    s += secret_prefix;
    append_base64url(s, raw, sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    return s;
}

std::string hash_secret(std::string_view secret) {
    // Fetched once: OpenSSL 3's SHA256() fetches the algorithm from the provider on every call,
    // half the cost of hashing a secret, and every request hashes one.
    // Each thread keeps its digest context too: EVP_Digest() allocates and frees one per call.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
        EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned int n = 0;
    if (sha256 == nullptr || !ctx || EVP_DigestInit_ex2(ctx.get(), sha256, nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), secret.data(), secret.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), md, &n) != 1) {
        SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), md);
    }
    return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

bool looks_like_secret(std::string_view token) noexcept {
    if (token.size() != secret_length || !token.starts_with(secret_prefix)) return false;
    for (const char c : token.substr(secret_prefix.size())) {
        if (!is_b64url(c)) return false;
    }
    return true;
}

store_result<issued_secret> issue_secret(token_store& store,
                                         std::string_view org_id,
                                         std::string_view name,
                                         std::optional<std::int64_t> expires_ms,
                                         bool can_write) {
    std::string secret = generate_secret();
    auto info = store.create_token(org_id, name, hash_secret(secret), expires_ms, can_write);
    if (!info) return info.error();
    return issued_secret{std::move(*info), std::move(secret)};
}

namespace {

secret_check check_hash(token_store& store, const std::string& hash, std::int64_t now_ms) {
    auto found = store.find_token(hash);
    if (!found) {
        return {found.error() == store_errc::not_found ? secret_status::unknown
                                                       : secret_status::unavailable,
                {}};
    }
    auto& [info, stored] = *found;
    // The lookup was by hash already; the constant-time compare guards against a store whose
    // index lookup is looser than byte equality (collation, truncation).
    if (stored.size() != hash.size() ||
        CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) != 0) {
        return {secret_status::unknown, {}};
    }
    if (info.revoked_ms) return {secret_status::revoked, std::move(info)};
    if (info.expires_ms && *info.expires_ms <= now_ms) {
        return {secret_status::expired, std::move(info)};
    }
    return {secret_status::valid, std::move(info)};
}

}  // namespace

secret_check verify_secret(token_store& store, std::string_view secret, std::int64_t now_ms) {
    return check_hash(store, hash_secret(secret), now_ms);
}

secret_cache::secret_cache(std::uint32_t ttl_ms, std::size_t max_entries)
    : ttl_ms_(ttl_ms), max_entries_(std::max<std::size_t>(max_entries, 1)) {}

std::size_t secret_cache::size() const {
    std::shared_lock lock(mu_);
    return entries_.size();
}

std::optional<token_info> secret_cache::find(const std::string& secret_hash,
                                             std::int64_t now_ms) const {
    if (!enabled()) return std::nullopt;
    std::shared_lock lock(mu_);
    const auto it = entries_.find(secret_hash);
    if (it == entries_.end()) return std::nullopt;
    const entry& e = it->second;
    if (now_ms < e.stored_ms || now_ms >= e.until_ms) return std::nullopt;
    return e.info;
}

void secret_cache::remember(const std::string& secret_hash,
                            const token_info& info,
                            std::int64_t now_ms) {
    if (!enabled()) return;
    std::int64_t until = now_ms + static_cast<std::int64_t>(ttl_ms_);
    if (info.expires_ms) until = std::min(until, *info.expires_ms);
    if (until <= now_ms) return;
    std::unique_lock lock(mu_);
    if (entries_.size() >= max_entries_ && !entries_.contains(secret_hash)) entries_.clear();
    entries_.insert_or_assign(secret_hash, entry{info, now_ms, until});
}

void secret_cache::forget(const std::string& secret_hash) {
    {
        // Unknown secrets (a scanner guessing) must not serialize the threads on the write lock.
        std::shared_lock lock(mu_);
        if (!entries_.contains(secret_hash)) return;
    }
    std::unique_lock lock(mu_);
    entries_.erase(secret_hash);
}

secret_check verify_secret(token_store& store,
                           secret_cache& cache,
                           std::string_view secret,
                           std::int64_t now_ms) {
    const std::string hash = hash_secret(secret);
    if (auto info = cache.find(hash, now_ms)) return {secret_status::valid, std::move(*info)};
    auto check = check_hash(store, hash, now_ms);
    if (check.status == secret_status::valid) {
        cache.remember(hash, check.info, now_ms);
    } else {
        cache.forget(hash);
    }
    return check;
}

}  // namespace orgscim::plugin
