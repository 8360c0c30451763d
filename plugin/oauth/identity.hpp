#pragma once
// Bearer JWTs for the app (issue 4): orgscim's own token issuer (clients in oauth_store, signing
// keys in the database) and the trusted external issuers of config.oidc, behind the
// jwt_verifier seam of auth.hpp, plus the /oauth2/* and discovery documents.

#include <chrono>
#include <memory>
#include <orgscim/plugin/app.hpp>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/oauth_store.hpp>
#include <orgscim/scim/message.hpp>

#include "auth.hpp"

namespace orgscim::plugin {

/// A person signed in at a trusted issuer: an invitee, someone asking for access.
struct signed_in_person {
    std::string issuer;  ///< with `subject` the stable key: iss|sub, or tid|oid (Entra presets)
    std::string subject;
    std::string email;
    bool email_verified = false;
    std::string name;
    std::string credential_id;  ///< for logs: "jwt:" + key
};

using person_result = boost::system::result<signed_in_person, auth_failure>;

/// How soon issuers added or removed with `orgscim issuers` reach a running server.
inline constexpr std::chrono::seconds issuer_reload_interval{10};

class identity final : public jwt_verifier {
  public:
    /// `store` may be null (backend without OAuth tables): orgscim then issues no tokens and
    /// only external issuers are trusted. With a store, the signing keys are loaded from it, and
    /// the first instance on an empty database creates one (ES256). Starts the background JWKS
    /// refresh of config.oidc's issuers. Throws startup_error if the keys cannot be loaded.
    identity(const config& cfg, std::unique_ptr<oauth_store> store);
    ~identity() override;

    /// orgscim's own tokens first, then config.oidc's issuers. Failures: invalid_request (400),
    /// invalid_token (401), insufficient_scope (403: no permission, or an issuer bound to no
    /// organization), auth_unavailable (503 + Retry-After before the issuer's first JWKS).
    auth_result verify(std::string_view token) const override;

    /// A person's access token from any trusted external issuer (bound to an organization or
    /// not; no SCIM permission needed). orgscim's own tokens name clients, not people: 401.
    /// Failures as verify().
    person_result verify_person(std::string_view token) const;

    /// False until every external issuer's keys were loaded once.
    bool ready() const;
    /// Whether orgscim issues tokens (routes below answer 404 otherwise).
    bool issues_tokens() const noexcept;

    /// POST {base}/oauth2/token (RFC 6749 client_credentials, RFC 7523 client_assertion).
    scim::response token_endpoint(const http_request& req);
    /// GET {base}/oauth2/jwks.
    scim::response jwks() const;
    /// GET {base}/.well-known/openid-configuration.
    scim::response discovery() const;

    /// The `iss` and `aud` of the tokens orgscim issues.
    static std::string issuer_url(const config& cfg);
    static std::string audience(const config& cfg);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace orgscim::plugin
