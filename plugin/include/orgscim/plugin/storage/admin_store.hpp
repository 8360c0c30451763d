#pragma once
// Ports for the product's own records that the SCIM engine does not know: organizations and
// provisioning secrets. Same error model as scim::resource_store.

#include <cstdint>
#include <optional>
#include <orgscim/scim/store.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin {

template <class T>
using store_result = scim::store_result<T>;
using scim::store_errc;

struct organization {
    std::string id;
    std::string name;
    std::optional<std::string> parent_id;
    std::string status = "active";  ///< "active" | "disabled"
    std::int64_t created_ms = 0;
};

class org_store {
  public:
    virtual ~org_store() = default;
    /// Errors: not_found (parent), unavailable, internal.
    virtual store_result<organization> create_org(std::string_view name,
                                                  std::optional<std::string_view> parent_id) = 0;
    /// Errors: not_found, unavailable, internal.
    virtual store_result<organization> get_org(std::string_view id) = 0;
    /// All organizations ordered by creation. Errors: unavailable, internal.
    virtual store_result<std::vector<organization>> list_orgs() = 0;
};

struct token_info {
    std::string id;
    std::string org_id;
    std::string name;
    std::int64_t created_ms = 0;
    std::optional<std::int64_t> expires_ms;
    std::optional<std::int64_t> revoked_ms;
    bool can_write = true;  ///< false: read-only secret
};

/// Provisioning secrets. The store only ever sees the SHA-256 of a secret (32 raw bytes).
class token_store {
  public:
    virtual ~token_store() = default;
    /// Errors: not_found (org), unavailable, internal.
    virtual store_result<token_info> create_token(std::string_view org_id,
                                                  std::string_view name,
                                                  std::string_view secret_hash,
                                                  std::optional<std::int64_t> expires_ms,
                                                  bool can_write) = 0;
    /// Errors: unavailable, internal.
    virtual store_result<std::vector<token_info>> list_tokens(std::string_view org_id) = 0;
    /// Sets revoked_ms (idempotent). Errors: not_found, unavailable, internal.
    virtual store_result<void> revoke_token(std::string_view token_id, std::int64_t now_ms) = 0;
    /// The token whose stored hash equals `secret_hash`, with that stored hash (so the caller can
    /// compare in constant time). Revoked and expired tokens are returned too: the caller decides.
    /// Errors: not_found, unavailable, internal.
    virtual store_result<std::pair<token_info, std::string>> find_token(
        std::string_view secret_hash) = 0;
};

}  // namespace orgscim::plugin
