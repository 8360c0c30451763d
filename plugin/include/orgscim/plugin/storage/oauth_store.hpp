#pragma once
// Port for orgscim's own OAuth records (issue 4): per-organization clients with hashed,
// expiring secrets (several at once while a secret is rotated), and the private keys orgscim
// signs its access tokens with. Same error model as scim::resource_store.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/admin_store.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin {

struct oauth_secret_info {
    std::string id;    ///< "sec_…", for logs and revocation; never the secret
    std::string hash;  ///< oidc::hash_client_secret(secret)
    std::int64_t created_ms = 0;
    std::optional<std::int64_t> expires_ms;
};

/// An external identity (RFC 7523 assertion iss+sub) allowed to act as the client.
struct federated_identity {
    std::string issuer;
    std::string subject;
};

struct oauth_client_info {
    std::string client_id;
    std::string org_id;
    std::string name;
    std::uint8_t permissions = 3;  ///< oidc::perm_* bits: the most a token may carry
    std::int64_t created_ms = 0;
    std::optional<std::int64_t> revoked_ms;
    std::vector<oauth_secret_info> secrets;  ///< unexpired and expired alike
    std::vector<federated_identity> federated;
};

/// A token-signing key as stored: the PEM is a secret (never logged, never returned by an API).
struct signing_key_info {
    std::string kid;
    std::string alg;  ///< "ES256" or "RS256"
    std::string private_pem;
    std::int64_t created_ms = 0;
};

/// A trusted issuer added with `orgscim issuers add` (beside those of the config file): the
/// issuer entry exactly as the config's oidc.issuers[] takes it, validated before it is stored.
struct trusted_issuer_record {
    std::string id;      ///< "iss_…"
    std::string org_id;  ///< the organization it is bound to (empty: invitees' issuer)
    std::string entry;   ///< the JSON object of the entry
    std::int64_t created_ms = 0;
};

class oauth_store {
  public:
    virtual ~oauth_store() = default;
    /// Errors: not_found (org), conflict (client id taken), unavailable, internal.
    virtual store_result<void> create_client(const oauth_client_info& client) = 0;
    /// Adds a secret to an existing client (rotation: the old one keeps working until it
    /// expires). Errors: not_found, unavailable, internal.
    virtual store_result<void> add_secret(std::string_view client_id,
                                          const oauth_secret_info& secret) = 0;
    /// Rotation's second half: every secret of the client except `keep_id` expires at `at_ms`
    /// at the latest. Errors: not_found, unavailable, internal.
    virtual store_result<void> expire_other_secrets(std::string_view client_id,
                                                    std::string_view keep_id,
                                                    std::int64_t at_ms) = 0;
    /// Lets `who` authenticate as the client by assertion (idempotent). Errors: not_found,
    /// unavailable, internal.
    virtual store_result<void> add_federated(std::string_view client_id,
                                             const federated_identity& who) = 0;
    /// The client with its secrets and federated identities. Errors: not_found, unavailable,
    /// internal.
    virtual store_result<oauth_client_info> find_client(std::string_view client_id) = 0;
    /// An organization's clients by creation, secrets included. Errors: unavailable, internal.
    virtual store_result<std::vector<oauth_client_info>> list_clients(std::string_view org_id) = 0;
    /// Sets revoked_ms (idempotent). Errors: not_found, unavailable, internal.
    virtual store_result<void> revoke_client(std::string_view client_id, std::int64_t now_ms) = 0;

    /// Every signing key not retired, oldest first. Errors: unavailable, internal.
    virtual store_result<std::vector<signing_key_info>> signing_keys() = 0;
    /// Right after a signing_keys() on this store that returned none, this is the first key of
    /// the database: it is added only while no live key exists, so instances starting together
    /// create one key between them (the others get conflict and read again). Otherwise (key
    /// rotation) it is always added. Errors: conflict (kid taken; first key already there),
    /// unavailable, internal.
    virtual store_result<void> add_signing_key(const signing_key_info& key) = 0;

    /// Errors: conflict (id taken), unavailable, internal.
    virtual store_result<void> add_issuer(const trusted_issuer_record& issuer) = 0;
    /// Every stored issuer by creation. Errors: unavailable, internal.
    virtual store_result<std::vector<trusted_issuer_record>> list_issuers() = 0;
    /// Errors: not_found, unavailable, internal.
    virtual store_result<void> remove_issuer(std::string_view id) = 0;
};

/// Opens the OAuth store of the configured backend ("sqlite" or "postgresql") on a database that
/// open_backend() has already migrated. Throws startup_error when it cannot be opened or has no
/// OAuth tables, or for an unknown backend. Defined in plugin_storage.
std::unique_ptr<oauth_store> open_oauth_store(const storage_config& cfg,
                                              std::function<std::int64_t()> now_ms = {});

}  // namespace orgscim::plugin
