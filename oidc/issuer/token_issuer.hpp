#pragma once
// orgscim as an OAuth 2.0 token issuer for provisioning clients: per-organization clients with
// hashed, expiring, overlapping secrets; POST /oauth2/token with client_credentials (secret by
// Basic or in the body, RFC 6749 §2.3.1) or an RFC 7523 client_assertion from a trusted issuer
// (workload identity federation); JWT access tokens signed through oidc_signer, with key rotation
// and overlap; the JWKS and discovery documents to publish. No transport: the host maps
// token_response to HTTP.

#include <memory>
#include <mutex>
#include <optional>
#include <orgscim/oidc/clock.hpp>
#include <orgscim/oidc/config.hpp>
#include <orgscim/oidc/http_fetcher.hpp>
#include <orgscim/oidc/principal.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "token_signer.hpp"

namespace orgscim::oidc {

struct client_secret_record {
    std::string id;    ///< for logs and rotation ("sec_…"); never the secret
    std::string hash;  ///< hash_client_secret(secret)
    time_point expires_at = time_point::max();
};

/// A trusted external identity allowed to act as the client (RFC 7523 assertion).
struct federated_credential {
    std::string issuer;   ///< exact iss of the assertion (e.g. Entra v2 issuer of the tenant)
    std::string subject;  ///< exact sub (e.g. the service principal's object id)
};

struct oauth_client {
    std::string client_id;
    std::string org;
    std::uint8_t permissions = perm_read | perm_write;  ///< upper bound for issued scopes
    std::vector<client_secret_record> secrets;          ///< several = rotation overlap
    std::vector<federated_credential> federated;
    bool disabled = false;
};

/// The storage port the issuer reads clients through (the plugin implements it).
class client_directory {
  public:
    virtual ~client_directory() = default;
    virtual std::optional<oauth_client> find_client(std::string_view client_id) = 0;
};

/// A fresh client secret ("ocs_" + 256 random bits, base64url) and the hash to store.
struct generated_secret {
    std::string secret;  ///< shown once
    client_secret_record record;
};
generated_secret generate_client_secret(time_point expires_at = time_point::max());
/// A fresh client id ("oc_" + 128 random bits, base64url).
std::string generate_client_id();
/// SHA-256 of the secret, base64url. Secrets are 256-bit random, so no slow hash is needed.
std::string hash_client_secret(std::string_view secret);

struct issuer_settings {
    std::string issuer;    ///< https URL of orgscim (iss of issued tokens, discovery base)
    std::string audience;  ///< aud of issued tokens (the SCIM API identifier)
    std::chrono::seconds token_ttl{3600};
    /// Issuers whose assertions may authenticate clients (Entra etc.), with the audiences the
    /// assertions must carry; verified like access tokens except that no roles/scope claim is
    /// required. The assertion's iss+sub must then match one of the client's federated
    /// credentials.
    config assertion_issuers;
};

/// What the host sends back: status, JSON body, and extra headers (Cache-Control: no-store,
/// WWW-Authenticate on 401).
struct token_response {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

class token_issuer {
  public:
    /// `first_key` becomes the active signing key (ES256 or RS256 recommended). `directory`,
    /// `fetcher` (for assertion issuers' JWKS) and `clk` must outlive the issuer.
    token_issuer(issuer_settings settings,
                 signing_key first_key,
                 client_directory& directory,
                 http_fetcher& fetcher,
                 const clock& clk = system_clock::instance());
    ~token_issuer();

    /// POST /oauth2/token. `authorization` is the request's Authorization header ("" if none),
    /// `content_type` its Content-Type, `body` the form. Errors follow RFC 6749 §5.2:
    /// 400 invalid_request / unsupported_grant_type / invalid_scope / invalid_grant,
    /// 401 invalid_client (+ WWW-Authenticate: Basic when Basic was used).
    token_response handle_token_request(std::string_view authorization,
                                        std::string_view content_type,
                                        std::string_view body);

    /// Verifies a token this issuer minted (iss == settings.issuer). Same errc as verifier.
    result<principal> verify(std::string_view token);

    /// Rotation: `next` signs from now on; older keys stay published (and valid) until retired.
    void rotate(signing_key next);
    /// Stops publishing and accepting the key `kid` (never the active one).
    void retire(std::string_view kid);

    /// {"keys":[...]} with every published key.
    std::string jwks_json() const;
    /// /.well-known/openid-configuration (and oauth-authorization-server) for this issuer.
    std::string discovery_json() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace orgscim::oidc
