#pragma once
// The npm test tools of tests/tools (installed by `npm ci --prefix tests/tools`): a real OpenID
// provider (oidc-provider) and an SMTP sink, started on loopback port 0 by the tests that need
// them.

#include <memory>
#include <orgscim/testing/http_client.hpp>
#include <orgscim/testing/process.hpp>
#include <string>

namespace orgscim::testing {

/// Full path of `node` on PATH, or "" when there is none.
std::string find_node();

/// True when node and the npm packages of tests/tools are installed (source dir given by the
/// caller, usually ORGSCIM_SOURCE_DIR).
bool node_tools_present(const std::string& source_dir);

/// tests/tools/oidc-provider.mjs: discovery, JWKS, client credentials for `scim-client`, and a
/// sign-in form for people (any login; the login is the account's email).
class oidc_provider {
  public:
    /// Starts the provider and waits until it listens. Throws std::runtime_error on failure.
    explicit oidc_provider(const std::string& source_dir, std::vector<std::string> args = {});
    ~oidc_provider();
    oidc_provider(const oidc_provider&) = delete;
    oidc_provider& operator=(const oidc_provider&) = delete;

    /// The issuer, http://127.0.0.1:<port>.
    const std::string& url() const { return url_; }
    child_process& process() { return *proc_; }

    /// A client-credentials access token of scim-client (form: the token request body).
    std::string client_token(const std::string& form = "grant_type=client_credentials&scope=scim");

    /// Signs `login` in through the provider's login and consent pages (authorization code +
    /// PKCE, tests/tools/oidc-sign-in.mjs) and returns the person's access token. Throws
    /// std::runtime_error when the sign-in fails.
    std::string sign_in(const std::string& login,
                        const std::string& scope = "openid email profile invitee");

  private:
    std::string source_dir_;
    std::unique_ptr<child_process> proc_;
    std::unique_ptr<http_client> client_;
    std::string url_;
};

}  // namespace orgscim::testing
