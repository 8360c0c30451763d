#pragma once
// The npm test tools of tests/tools (installed by `npm ci --prefix tests/tools`): a real OpenID
// provider (oidc-provider) and an SMTP sink, started on loopback port 0 by the tests that need
// them.

#include <chrono>
#include <cstddef>
#include <memory>
#include <orgscim/testing/http_client.hpp>
#include <orgscim/testing/process.hpp>
#include <set>
#include <string>
#include <vector>

namespace orgscim::testing {

/// Full path of `node` on PATH, or "" when there is none.
std::string find_node();

/// True when node and the npm packages of tests/tools are installed (source dir given by the
/// caller, usually ORGSCIM_SOURCE_DIR).
bool node_tools_present(const std::string& source_dir);

// In a gtest test body or SetUp(): skips when node or the npm packages of tests/tools are
// missing, except under CI=true, where a missing tool is a failure. Needs ORGSCIM_SOURCE_DIR.
#define ORGSCIM_REQUIRE_NODE_TOOLS()                                                           \
    do {                                                                                       \
        if (!::orgscim::testing::node_tools_present(ORGSCIM_SOURCE_DIR)) {                     \
            if (::orgscim::testing::ci_requires_services())                                    \
                FAIL() << "node or npm test tools missing: run `npm ci --prefix tests/tools`"; \
            GTEST_SKIP() << "node or npm test tools missing (npm ci --prefix tests/tools)";    \
        }                                                                                      \
    } while (0)

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
    unsigned short port() const { return port_; }
    child_process& process() { return *proc_; }
    /// A client of the provider (its /__test/* control endpoints, for instance).
    http_client& client() { return *client_; }

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
    unsigned short port_ = 0;
};

/// tests/tools/smtp-sink.mjs: a real SMTP server (npm smtp-server) on loopback that writes every
/// message it accepts to <dir>/<n>.eml (n = 1, 2, ...) once the whole message has arrived, with
/// an "X-Envelope-To:" first line naming the recipients.
class smtp_sink {
  public:
    /// Starts the sink with its own mail directory (args: e.g. {"--fail-first", "1"}) and waits
    /// until it listens. Throws std::runtime_error on failure.
    explicit smtp_sink(const std::string& source_dir, std::vector<std::string> args = {});
    ~smtp_sink();
    smtp_sink(const smtp_sink&) = delete;
    smtp_sink& operator=(const smtp_sink&) = delete;

    /// smtp://127.0.0.1:<port>
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
    const std::string& dir() const { return dir_.path(); }

    /// How many messages have arrived.
    std::size_t received() const;
    /// Waits until at least `n` messages have arrived; false when they did not in time.
    bool wait_received(std::size_t n, std::chrono::milliseconds timeout) const;
    /// The n-th message (from 1), waiting up to `timeout` for it; "" when it did not arrive.
    std::string message(std::size_t n,
                        std::chrono::milliseconds timeout = std::chrono::seconds(15)) const;
    /// The next message to `to` not returned by this call before, waiting up to `timeout`; ""
    /// when none arrived.
    std::string next_to(const std::string& to,
                        std::chrono::milliseconds timeout = std::chrono::seconds(15));

  private:
    temp_dir dir_;
    std::unique_ptr<child_process> proc_;
    unsigned short port_ = 0;
    std::set<std::string> seen_;
};

}  // namespace orgscim::testing
