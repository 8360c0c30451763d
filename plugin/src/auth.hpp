#pragma once
// Authorization header -> scim::caller, with the RFC 6750 answers of security.md §1.2. Opaque
// provisioning secrets are checked here; JWT-shaped tokens go to a jwt_verifier (the oidc
// module plugs in there).

#include <boost/system/result.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/admin_store.hpp>
#include <orgscim/scim/caller.hpp>
#include <orgscim/scim/message.hpp>
#include <string>
#include <string_view>

#include "secrets.hpp"

namespace orgscim::plugin {

/// Why a request is refused. `status`/`challenge` go on the wire; `reason` only to the log.
struct auth_failure {
    int status = 401;
    std::string challenge;  ///< the WWW-Authenticate value (empty for 503)
    std::string detail;     ///< SCIM error detail for the client
    std::string reason;     ///< for the log: specific cause, token id; never the token
    std::string credential_id;
    /// A 403 for a verified person's token (an external issuer's): their key, iss|sub or
    /// tid|oid, so that their roles can still be asked without verifying the token again.
    std::string subject = {};
    int retry_after_s = 5;  ///< Retry-After of a 503
};

using auth_result = boost::system::result<scim::caller, auth_failure>;

/// The RFC 6750 failures, one place.
auth_failure missing_credentials(std::string reason);
auth_failure invalid_request(std::string reason);
auth_failure invalid_token(std::string reason, std::string credential_id = {});
auth_failure insufficient_scope(std::string reason, std::string credential_id = {});
auth_failure auth_unavailable(std::string reason);

/// The HTTP answer for a failure: status, WWW-Authenticate, SCIM error body.
scim::response to_response(const auth_failure& f);

/// The bearer token of `headers` (lower-case names), syntax checked (RFC 6750 §2.1, one
/// credential, at most max_bearer_length). Failures: missing_credentials, invalid_request,
/// invalid_token.
boost::system::result<std::string_view, auth_failure> bearer_token(
    const scim::header_list& headers);

/// Three dot-separated segments: a JWT, as opposed to an opaque provisioning secret.
bool is_jwt_shaped(std::string_view t) noexcept;

/// Seam for bearer JWTs (three dot-separated segments). The oidc module implements it; without
/// one, a JWT-shaped token is 401 invalid_token.
class jwt_verifier {
  public:
    virtual ~jwt_verifier() = default;
    /// Verifies `token` and maps the principal to a caller. Failures as invalid_token (401),
    /// insufficient_scope (403) or auth_unavailable (503).
    virtual auth_result verify(std::string_view token) const = 0;
};

class authenticator {
  public:
    using clock_fn = std::function<std::int64_t()>;

    /// `tokens` must outlive the authenticator. `jwt` may be null. A valid provisioning secret is
    /// remembered for `credential_cache_ms` (server.credential_cache_ms; 0: every request asks
    /// the store), so a revocation by another process takes effect at the latest that much later.
    authenticator(token_store& tokens,
                  clock_fn now_ms,
                  std::shared_ptr<const jwt_verifier> jwt,
                  std::uint32_t credential_cache_ms = server_config{}.credential_cache_ms);

    /// Reads the Authorization header(s) of `headers` (lower-case names). Thread-safe if the
    /// token store is.
    auth_result authenticate(const scim::header_list& headers) const;

  private:
    token_store& tokens_;
    clock_fn now_ms_;
    std::shared_ptr<const jwt_verifier> jwt_;
    mutable secret_cache secrets_;
};

/// Max bearer token length accepted (Entra access tokens are 1.5-4 KiB).
inline constexpr std::size_t max_bearer_length = 8192;

}  // namespace orgscim::plugin
