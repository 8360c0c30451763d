// The verifier against a REAL OpenID provider (panva/oidc-provider from npm) on loopback, fetched
// through the real libcurl fetcher: discovery, JWKS, client-credentials tokens, key rotation, the
// provider going away, and a provider that was never reachable.
//
// Needs node and `npm ci --prefix tests/tools`. Skips when they are missing, except under CI=true,
// where a missing tool is a failure.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <curl_fetcher.hpp>
#include <orgscim/oidc/base64url.hpp>
#include <orgscim/oidc/key_store.hpp>
#include <orgscim/oidc/verifier.hpp>
#include <orgscim/testing/node_tools.hpp>
#include <token_signer.hpp>

namespace orgscim::oidc {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// The real provider of tests/tools (support: node_tools.hpp), with this file's short names and
// its test-only control endpoints.
struct provider_process : testing::oidc_provider {
    explicit provider_process(std::vector<std::string> extra = {})
        : oidc_provider(ORGSCIM_SOURCE_DIR, std::move(extra)) {}

    /// A client-credentials access token from the provider's /token endpoint.
    std::string token(const std::string& form = "grant_type=client_credentials&scope=scim") {
        return client_token(form);
    }
    json::value admin(const std::string& method, const std::string& target) {
        auto r = client().request(method, target);
        EXPECT_EQ(r.status, 200) << r.body;
        return json::parse(r.body);
    }
    std::int64_t jwks_requests() {
        return admin("GET", "/__test/stats").at("jwks_requests").as_int64();
    }
};

config config_for(const std::string& issuer) {
    const std::string text = R"({"issuers":[{"org":"org-1","issuer":")" + issuer +
                             R"(","allow_http":true,"audiences":["https://scim.test/v2"],
        "allowed_algs":["RS256","ES256"],"typ":["at+jwt"],"kid_miss_cooldown_s":30,
        "jwks_refresh_s":600,"jwks_retry_s":5,"http_timeout_ms":3000}]})";
    config c;
    std::vector<std::string> errors;
    load_config(json::parse(text), "oidc", c, errors);
    EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
    return c;
}

std::string kid_of(const std::string& token) {
    // Only to make the rotation visible in assertions; the verifier parses headers itself.
    const auto h = base64url_decode(token.substr(0, token.find('.')));
    return h ? std::string(json::parse(*h).at("kid").as_string()) : std::string();
}

class OidcProviderTest : public ::testing::Test {
  protected:
    void SetUp() override { ORGSCIM_REQUIRE_NODE_TOOLS(); }
    curl_fetcher fetcher_;
    settable_clock clock_{std::chrono::system_clock::now()};
};

TEST_F(OidcProviderTest, DiscoveryJwksAndARealClientCredentialsToken) {
    provider_process op;
    verifier v(config_for(op.url()), fetcher_, clock_);
    EXPECT_FALSE(v.ready());
    const auto token = op.token();
    auto p = v.verify(token);
    ASSERT_TRUE(p) << to_string(p.error());
    EXPECT_TRUE(v.ready());
    EXPECT_EQ(p->org, "org-1");
    EXPECT_EQ(p->issuer, op.url());
    EXPECT_EQ(p->subject, "scim-client");
    EXPECT_EQ(p->client_id, "scim-client");
    EXPECT_EQ(p->key, op.url() + "|scim-client");
    EXPECT_EQ(p->scopes, std::vector<std::string>{"scim"});
    EXPECT_TRUE(p->has(perm_read | perm_write));
    EXPECT_EQ(op.jwks_requests(), 1);

    // Same token again: served from the verified-token cache, no new fetch.
    EXPECT_TRUE(v.verify(token));
    EXPECT_EQ(op.jwks_requests(), 1);
}

TEST_F(OidcProviderTest, ScopeAndAudienceFromTheProvider) {
    provider_process op;
    verifier v(config_for(op.url()), fetcher_, clock_);
    auto read_only = v.verify(op.token("grant_type=client_credentials&scope=scim:read"));
    ASSERT_TRUE(read_only) << to_string(read_only.error());
    EXPECT_TRUE(read_only->has(perm_read));
    EXPECT_FALSE(read_only->has(perm_write)) << "the host answers 403 insufficient_scope on writes";

    auto other = v.verify(op.token(
        "grant_type=client_credentials&scope=scim&resource=https%3A%2F%2Fother.test%2Fapi"));
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error(), errc::wrong_audience);
    EXPECT_EQ(http_status(other.error()), 401);
}

TEST_F(OidcProviderTest, KeyRotationMidRun) {
    provider_process op;
    verifier v(config_for(op.url()), fetcher_, clock_);
    const auto old_token = op.token();
    ASSERT_TRUE(v.verify(old_token));

    const auto new_kid = std::string(op.admin("POST", "/__test/rotate").at("kid").as_string());
    const auto new_token = op.token();
    ASSERT_EQ(kid_of(new_token), new_kid);
    ASSERT_NE(kid_of(old_token), new_kid);

    // Inside the kid-miss cooldown the new kid is refused without a fetch...
    auto early = v.verify(new_token);
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error(), errc::unknown_kid);
    EXPECT_EQ(op.jwks_requests(), 1);
    // ...after it, one refetch picks up the new key.
    clock_.advance(31s);
    auto p = v.verify(new_token);
    ASSERT_TRUE(p) << to_string(p.error());
    EXPECT_EQ(op.jwks_requests(), 2);
    // The old token still verifies by signature (not only from the cache): the old key is still
    // published, as a provider does until the old tokens have expired.
    v.clear_cache();
    EXPECT_TRUE(v.verify(old_token));

    // Once the provider retires the old key and the set is refreshed, old tokens stop verifying.
    op.admin("POST", "/__test/retire");
    ASSERT_FALSE(v.store_for(0).refresh());
    v.clear_cache();
    auto gone = v.verify(old_token);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error(), errc::unknown_kid);
    EXPECT_TRUE(v.verify(new_token));
}

TEST_F(OidcProviderTest, RandomKidStormCostsAtMostOneFetchPerCooldown) {
    provider_process op;
    verifier v(config_for(op.url()), fetcher_, clock_);
    ASSERT_TRUE(v.verify(op.token()));
    const auto attacker = signing_key::generate(alg::rs256, "x");
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    const std::string payload = json::serialize(json::object{{"iss", op.url()},
                                                             {"sub", "a"},
                                                             {"aud", "https://scim.test/v2"},
                                                             {"exp", now + 600},
                                                             {"iat", now}});
    clock_.advance(31s);
    for (int i = 0; i < 1000; ++i) {
        const std::string header =
            R"({"alg":"RS256","typ":"at+jwt","kid":"rnd-)" + std::to_string(i) + "\"}";
        auto r = v.verify(sign_compact(attacker, header, payload));
        ASSERT_FALSE(r);
        ASSERT_EQ(r.error(), errc::unknown_kid);
    }
    EXPECT_EQ(op.jwks_requests(), 2);
}

TEST_F(OidcProviderTest, ProviderGoneCachedKeysKeepWorking) {
    auto op = std::make_unique<provider_process>();
    verifier v(config_for(op->url()), fetcher_, clock_);
    const auto token = op->token();
    ASSERT_TRUE(v.verify(token));
    op.reset();  // SIGKILL

    // Past the refresh time: the refresh fails, the last good set stays.
    clock_.advance(601s);
    v.clear_cache();
    v.refresh_due_keys();
    EXPECT_EQ(v.store_for(0).last_error(), errc::fetch_failed);
    auto p = v.verify(token);
    ASSERT_TRUE(p) << to_string(p.error());
    EXPECT_TRUE(v.ready());
}

TEST_F(OidcProviderTest, ProviderUnreachableFromTheStartIs503) {
    // A port that was free a moment ago: nothing listens there.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    ::close(fd);

    verifier v(config_for(url), fetcher_, clock_);
    v.refresh_due_keys();
    EXPECT_FALSE(v.ready());
    // Any well-formed token for that issuer now gets keys_unavailable, not 401.
    const auto key = signing_key::generate(alg::es256, "k");
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    auto r = v.verify(sign_compact(
        key, R"({"alg":"ES256","typ":"at+jwt","kid":"k"})",
        json::serialize(json::object{
            {"iss", url}, {"sub", "s"}, {"aud", "https://scim.test/v2"}, {"exp", now + 60}})));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::keys_unavailable);
    EXPECT_EQ(http_status(r.error()), 503);
    EXPECT_EQ(v.retry_after(), 5s);
    EXPECT_EQ(v.store_for(0).last_error(), errc::fetch_failed);
}

TEST_F(OidcProviderTest, CurlFetcherLimits) {
    provider_process op;
    fetch_request req;
    req.allow_http = true;
    req.timeout = 3s;

    req.url = op.url() + "/jwks";
    auto ok = fetcher_.fetch(req);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_NE(ok->body.find("\"keys\""), std::string::npos);

    req.url = op.url() + "/__test/big?bytes=300000";
    req.max_bytes = 256 * 1024;
    auto big = fetcher_.fetch(req);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error(), errc::fetch_too_large);

    req.url = op.url() + "/__test/status?code=500";
    auto s500 = fetcher_.fetch(req);
    ASSERT_TRUE(s500);
    EXPECT_EQ(s500->status, 500);

    req.url = op.url() + "/__test/redirect?to=" + op.url() + "/jwks";
    auto redir = fetcher_.fetch(req);
    ASSERT_TRUE(redir);
    EXPECT_EQ(redir->status, 302) << "redirects are never followed";

    req.url = op.url() + "/__test/slow?ms=5000";
    req.timeout = 300ms;
    const auto t0 = std::chrono::steady_clock::now();
    auto slow = fetcher_.fetch(req);
    ASSERT_FALSE(slow);
    EXPECT_EQ(slow.error(), errc::fetch_failed);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);

    // Plain http without the switch never leaves the process; other schemes never do.
    req.timeout = 3s;
    req.allow_http = false;
    req.url = op.url() + "/jwks";
    const auto before = op.jwks_requests();
    EXPECT_EQ(fetcher_.fetch(req).error(), errc::insecure_url);
    EXPECT_EQ(op.jwks_requests(), before);
    req.url = "file:///etc/passwd";
    EXPECT_EQ(fetcher_.fetch(req).error(), errc::insecure_url);
    req.allow_http = true;
    EXPECT_EQ(fetcher_.fetch(req).error(), errc::insecure_url);
    // https to a plain-http port: the TLS handshake fails.
    req.url = "https://127.0.0.1:" + std::to_string(op.port()) + "/jwks";
    EXPECT_EQ(fetcher_.fetch(req).error(), errc::fetch_failed);
}

}  // namespace
}  // namespace orgscim::oidc
