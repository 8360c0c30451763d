// Bearer JWTs end to end (issue 4): the real `orgscim serve`, a REAL OpenID provider
// (oidc-provider from npm) on loopback issuing client-credentials tokens, and orgscim's own
// /oauth2/token with a client created by `orgscim clients create`. The SCIM cycle runs with both.
//
// Needs node and `npm ci --prefix tests/tools` for the provider cases; they skip when missing,
// except under CI=true, where a missing tool is a failure.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <orgscim/testing/http_client.hpp>
#include <orgscim/testing/node_tools.hpp>
#include <orgscim/testing/process.hpp>
#include <thread>
#include <token_signer.hpp>

#include "server_launcher.hpp"

namespace orgscim::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string base64(std::string_view in) {
    static constexpr char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        for (int s : {18, 12, 6, 0}) out += abc[(v >> s) & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += abc[(v >> 18) & 63];
        out += abc[(v >> 12) & 63];
        out += i + 1 < in.size() ? abc[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// The real provider of tests/tools (support: node_tools.hpp), with this file's short names.
struct provider_process : oidc_provider {
    provider_process() : oidc_provider(ORGSCIM_SOURCE_DIR) {}
    std::string token(const std::string& form = "grant_type=client_credentials&scope=scim") {
        return client_token(form);
    }
};

// The config orgscim is restarted with: `issuer` trusted for `org`.
std::string config_trusting(const std::string& issuer, const std::string& org) {
    return R"({"oidc":{"issuers":[{"org":")" + org + R"(","issuer":")" + issuer +
           R"(","allow_http":true,"audiences":["https://scim.test/v2"],
             "allowed_algs":["RS256","ES256"],"jwks_retry_s":2,"http_timeout_ms":2000}]}})";
}

void write_config(orgscim_server& srv, const std::string& text) {
    std::ofstream(srv.dir() + "/config.json", std::ios::trunc) << text;
}

using headers = std::vector<std::pair<std::string, std::string>>;

headers bearer(const std::string& token, bool body = false) {
    headers h{{"Authorization", "Bearer " + token}};
    if (body) h.emplace_back("Content-Type", "application/scim+json");
    return h;
}

// Create, filter, PATCH, disable, delete one user with `token` under `base`.
void scim_cycle(http_client& c, const std::string& token, const std::string& base) {
    auto created = c.request(
        "POST", base + "/Users", bearer(token, true),
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.org",
            "name":{"givenName":"Ada","familyName":"Lovelace"},"active":true})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id(json::parse(created.body).at("id").as_string());

    auto found = c.request("GET", base + "/Users?filter=userName%20eq%20%22ada%40example.org%22",
                           bearer(token));
    ASSERT_EQ(found.status, 200) << found.body;
    EXPECT_EQ(json::parse(found.body).at("totalResults").as_int64(), 1);

    auto patched = c.request("PATCH", base + "/Users/" + id, bearer(token, true),
                             R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations":[{"op":"replace","path":"name.givenName","value":"Augusta"}]})");
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(json::parse(patched.body).at("name").at("givenName").as_string(), "Augusta");

    auto disabled = c.request("PATCH", base + "/Users/" + id, bearer(token, true),
                              R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations":[{"op":"replace","value":{"active":false}}]})");
    ASSERT_EQ(disabled.status, 200) << disabled.body;
    EXPECT_FALSE(json::parse(disabled.body).at("active").as_bool());

    EXPECT_EQ(c.request("DELETE", base + "/Users/" + id, bearer(token)).status, 204);
    EXPECT_EQ(c.request("GET", base + "/Users/" + id, bearer(token)).status, 404);
}

std::string own_token(http_client& c, const std::string& id, const std::string& secret) {
    auto r = c.request("POST", "/oauth2/token",
                       {{"Authorization", "Basic " + base64(id + ":" + secret)},
                        {"Content-Type", "application/x-www-form-urlencoded"}},
                       "grant_type=client_credentials");
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return std::string(json::parse(r.body).at("access_token").as_string());
}

TEST(IdentityBlackbox, ScimCycleWithATokenFromARealProvider) {
    ORGSCIM_REQUIRE_NODE_TOOLS();
    provider_process op;
    orgscim_server srv({}, "{}");
    const auto acme = srv.new_tenant("acme");
    const auto other = srv.new_tenant("other");
    write_config(srv, config_trusting(op.url(), acme.org));
    srv.restart();
    http_client c("127.0.0.1", srv.port());

    const auto token = op.token();
    scim_cycle(c, token, "/scim/v2");
    scim_cycle(c, token, "/o/" + acme.org + "/scim/v2");
    EXPECT_EQ(c.request("GET", "/readyz").status, 200);

    // Provisioning (scope scim) is not managing: invitations, members and events need
    // scim:admin (issue 4: read vs write vs admin per route).
    EXPECT_EQ(c.request("GET", "/scim/v2/Invitations", bearer(token)).status, 403);
    EXPECT_EQ(c.request("GET", "/scim/v2/Organizations", bearer(token)).status, 403);
    const auto admin = op.token("grant_type=client_credentials&scope=scim%20scim%3Aadmin");
    EXPECT_EQ(c.request("GET", "/scim/v2/Invitations", bearer(admin)).status, 200);
    const auto read_only = op.token("grant_type=client_credentials&scope=scim%3Aread");
    EXPECT_EQ(c.request("GET", "/scim/v2/Users", bearer(read_only)).status, 200);
    EXPECT_EQ(c.request("POST", "/scim/v2/Users", bearer(read_only),
                        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
                            "userName":"ro@example.com"})")
                  .status,
              403);

    // Bound to acme: another organization's path does not exist for this token.
    EXPECT_EQ(c.request("GET", "/o/" + other.org + "/scim/v2/Users", bearer(token)).status, 404);

    // A token for another audience (resource indicator): 401 invalid_token, reason not leaked.
    auto wrong_aud = c.request(
        "GET", "/scim/v2/Users",
        bearer(op.token("grant_type=client_credentials&scope=scim&resource=https%3A%2F%2Fother."
                        "test%2Fapi")));
    EXPECT_EQ(wrong_aud.status, 401);
    EXPECT_NE(wrong_aud.header("WWW-Authenticate").find("error=\"invalid_token\""),
              std::string::npos);
    EXPECT_EQ(wrong_aud.body.find("audience"), std::string::npos);

    // A token from an issuer nobody trusts (signed with a key made here): 401.
    const auto stranger = oidc::signing_key::generate(oidc::alg::rs256, "stranger");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const auto forged = oidc::mint_token(stranger,
                                         {{"iss", "https://evil.test"},
                                          {"sub", "x"},
                                          {"aud", "https://scim.test/v2"},
                                          {"scope", "scim"},
                                          {"exp", now + 600}},
                                         "at+jwt");
    EXPECT_EQ(c.request("GET", "/scim/v2/Users", bearer(forged)).status, 401);

    // Read-only scope: reads pass, writes are 403 insufficient_scope.
    const auto ro = op.token("grant_type=client_credentials&scope=scim:read");
    EXPECT_EQ(c.request("GET", "/scim/v2/Users", bearer(ro)).status, 200);
    auto denied = c.request("POST", "/scim/v2/Users", bearer(ro, true),
                            R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
                                "userName":"ro@example.org"})");
    EXPECT_EQ(denied.status, 403);
    EXPECT_NE(denied.header("WWW-Authenticate").find("insufficient_scope"), std::string::npos);

    // Workload identity federation (RFC 7523): the provider's token, presented as a client
    // assertion, gets an orgscim token for the client that registered the provider's iss+sub.
    const auto created = json::parse(srv.cli({"clients", "create", "--org", acme.org, "--json"}));
    const std::string cid(created.at("client_id").as_string());
    const std::string form =
        "grant_type=client_credentials&client_id=" + cid +
        "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=" +
        token;
    const headers form_type{{"Content-Type", "application/x-www-form-urlencoded"}};
    EXPECT_EQ(c.request("POST", "/oauth2/token", form_type, form).status, 401)
        << "no federated credential registered yet";
    srv.cli({"clients", "federate", cid, "--issuer", op.url(), "--subject", "scim-client"});
    auto fed = c.request("POST", "/oauth2/token", form_type, form);
    ASSERT_EQ(fed.status, 200) << fed.body;
    const std::string fed_token(json::parse(fed.body).at("access_token").as_string());
    EXPECT_EQ(c.request("GET", "/scim/v2/Users", bearer(fed_token)).status, 200);

    // The static secret keeps working next to the JWTs.
    EXPECT_EQ(c.request("GET", "/scim/v2/Users", bearer(acme.token)).status, 200);
}

TEST(IdentityBlackbox, ProviderDownFromTheStartIs503WithRetryAfter) {
    // A port nobody listens on: bind, read the port, close.
    std::string dead_issuer;
    {
        orgscim_server probe;  // any free loopback port, released when it stops
        dead_issuer = "http://127.0.0.1:" + std::to_string(probe.port());
    }
    orgscim_server srv({}, "{}");
    const auto acme = srv.new_tenant("acme");
    write_config(srv, config_trusting(dead_issuer, acme.org));
    srv.restart();
    http_client c("127.0.0.1", srv.port());

    const auto key = oidc::signing_key::generate(oidc::alg::rs256, "k1");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const auto token = oidc::mint_token(key,
                                        {{"iss", dead_issuer},
                                         {"sub", "svc"},
                                         {"aud", "https://scim.test/v2"},
                                         {"scope", "scim"},
                                         {"exp", now + 600}},
                                        "at+jwt");
    auto r = c.request("GET", "/scim/v2/Users", bearer(token));
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_FALSE(r.header("Retry-After").empty());
    EXPECT_EQ(c.request("GET", "/readyz").status, 503);
    // Static secrets do not depend on the provider.
    EXPECT_EQ(c.request("GET", "/scim/v2/Users", bearer(acme.token)).status, 200);
}

TEST(IdentityBlackbox, ScimCycleWithOrgscimsOwnClientCredentialsToken) {
    // The issuer is public_base_url: fixed here, since the port changes on restart.
    orgscim_server srv({}, R"({"public_base_url":"https://scim.example.test"})");
    const auto acme = srv.new_tenant("acme");
    const auto other = srv.new_tenant("other");
    const auto created =
        json::parse(srv.cli({"clients", "create", "--org", acme.org, "--name", "entra", "--json"}));
    const std::string id(created.at("client_id").as_string());
    const std::string secret(created.at("client_secret").as_string());
    http_client c("127.0.0.1", srv.port());

    auto disc = c.request("GET", "/.well-known/openid-configuration");
    ASSERT_EQ(disc.status, 200) << disc.body;
    const auto d = json::parse(disc.body);
    EXPECT_EQ(d.at("token_endpoint").as_string(),
              std::string(d.at("issuer").as_string()) + "/oauth2/token");
    auto jwks = c.request("GET", "/oauth2/jwks");
    ASSERT_EQ(jwks.status, 200);
    EXPECT_EQ(json::parse(jwks.body).at("keys").as_array().size(), 1u);

    const auto token = own_token(c, id, secret);
    ASSERT_FALSE(token.empty());
    scim_cycle(c, token, "/scim/v2");
    EXPECT_EQ(c.request("GET", "/o/" + other.org + "/scim/v2/Users", bearer(token)).status, 404);

    // Secret in the body (client_secret_post) works too; a wrong secret is invalid_client.
    auto post =
        c.request("POST", "/oauth2/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
                  "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret);
    EXPECT_EQ(post.status, 200) << post.body;
    auto bad = c.request("POST", "/oauth2/token",
                         {{"Authorization", "Basic " + base64(id + ":wrong")},
                          {"Content-Type", "application/x-www-form-urlencoded"}},
                         "grant_type=client_credentials");
    EXPECT_EQ(bad.status, 401);

    // The token endpoint has its own route in the metrics (not "{unmatched}").
    auto m = c.request("GET", "/metrics");
    EXPECT_NE(m.body.find("route=\"/oauth2/token\",method=\"POST\",status=\"200\""),
              std::string::npos)
        << m.body.substr(0, 2000);

    // The signing key is in the database: a restart keeps the issued token valid.
    srv.restart();
    http_client c2("127.0.0.1", srv.port());
    EXPECT_EQ(c2.request("GET", "/scim/v2/Users", bearer(token)).status, 200);

    // Secret rotation: the new secret works, the old one stops (--old-expires-in 0).
    const auto rotated =
        json::parse(srv.cli({"clients", "rotate", id, "--old-expires-in", "0", "--json"}));
    const std::string secret2(rotated.at("client_secret").as_string());
    EXPECT_FALSE(own_token(c2, id, secret2).empty());
    auto old = c2.request("POST", "/oauth2/token",
                          {{"Authorization", "Basic " + base64(id + ":" + secret)},
                           {"Content-Type", "application/x-www-form-urlencoded"}},
                          "grant_type=client_credentials");
    EXPECT_EQ(old.status, 401);

    // Revoked: no new tokens at once.
    const auto listed = json::parse(srv.cli({"clients", "list", "--org", acme.org, "--json"}));
    ASSERT_EQ(listed.as_array().size(), 1u);
    EXPECT_EQ(listed.as_array()[0].at("state").as_string(), "active");
    srv.cli({"clients", "revoke", id});
    auto after = c2.request("POST", "/oauth2/token",
                            {{"Authorization", "Basic " + base64(id + ":" + secret2)},
                             {"Content-Type", "application/x-www-form-urlencoded"}},
                            "grant_type=client_credentials");
    EXPECT_EQ(after.status, 401);
}

// A person signed in at the organization's issuer acts with their roles in the directory: an
// admin of the MSP manages the customer below it; an app token of the same issuer does not.
TEST(IdentityBlackbox, PersonTokenActsWithTheirDirectoryRolesAcrossTheTree) {
    ORGSCIM_REQUIRE_NODE_TOOLS();
    oidc_provider op(ORGSCIM_SOURCE_DIR);
    orgscim_server srv({}, "{}");
    const auto msp = srv.new_tenant("msp");
    const auto child = json::parse(
        srv.cli({"orgs", "create", "--name", "Customer", "--parent", msp.org, "--json"}));
    const std::string child_id(child.at("id").as_string());
    srv.cli({"orgs", "manage", "--org", child_id});  // the MSP's roles reach managed children
    write_config(srv, config_trusting(op.url(), msp.org));
    srv.restart();
    srv.cli({"orgs", "grant", "--org", msp.org, "--issuer", op.url(), "--subject", "alice@msp.test",
             "--role", "full-admin"});
    http_client c("127.0.0.1", srv.port());

    const auto alice = op.sign_in("alice@msp.test", "openid email scim scim:admin");
    auto seen = c.request("GET", "/scim/v2/Organizations/" + child_id, bearer(alice));
    EXPECT_EQ(seen.status, 200) << seen.body;
    EXPECT_NE(seen.body.find("Customer"), std::string::npos);

    // The app (client credentials) of the same issuer is a credential of the MSP only.
    const auto app = op.client_token("grant_type=client_credentials&scope=scim%20scim%3Aadmin");
    EXPECT_EQ(c.request("GET", "/scim/v2/Organizations/" + child_id, bearer(app)).status, 404);
    // Someone the directory does not know is no admin anywhere below.
    const auto mallory = op.sign_in("mallory@msp.test", "openid email scim scim:admin");
    EXPECT_EQ(c.request("GET", "/scim/v2/Organizations/" + child_id, bearer(mallory)).status, 404);
}

// A person's roles decide what they may do with an organization's Users and Groups, in the
// organization their issuer is bound to and in the customers it manages; their token needs no
// SCIM scope. An app token of the same issuer stays a credential of the MSP alone.
TEST(IdentityBlackbox, PersonTokensReachChildUsersAndGroupsThroughTheirRoles) {
    ORGSCIM_REQUIRE_NODE_TOOLS();
    oidc_provider op(ORGSCIM_SOURCE_DIR);
    orgscim_server srv({}, "{}");
    const auto msp = srv.new_tenant("msp");
    const auto other = srv.new_tenant("other");
    const std::string child(json::parse(srv.cli({"orgs", "create", "--name", "Customer", "--parent",
                                                 msp.org, "--json"}))
                                .at("id")
                                .as_string());
    srv.cli({"orgs", "manage", "--org", child});
    write_config(srv, config_trusting(op.url(), msp.org));
    srv.restart();
    srv.cli({"orgs", "grant", "--org", msp.org, "--issuer", op.url(), "--subject", "alice@msp.test",
             "--role", "full-admin"});
    srv.cli({"orgs", "grant", "--org", msp.org, "--issuer", op.url(), "--subject", "bob@msp.test",
             "--role", "read-only"});
    http_client c("127.0.0.1", srv.port());
    const auto alice = op.sign_in("alice@msp.test");  // openid email profile: no SCIM scope
    const auto bob = op.sign_in("bob@msp.test");
    const std::string base = "/o/" + child + "/scim/v2";

    // Alice (Full Admin in the MSP) provisions in the managed customer.
    auto user = c.request("POST", base + "/Users", bearer(alice, true),
                          R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                          R"("userName":"eve@customer.test"})");
    ASSERT_EQ(user.status, 201) << user.body;
    const std::string uid(json::parse(user.body).at("id").as_string());
    const std::string eve = "?filter=userName%20eq%20%22eve%40customer.test%22";
    EXPECT_NE(std::string(json::parse(user.body).at("meta").at("location").as_string())
                  .find("/o/" + child + "/scim/v2/Users/"),
              std::string::npos);
    auto group = c.request("POST", base + "/Groups", bearer(alice, true),
                           R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],)"
                           R"("displayName":"Ops","members":[{"value":")" +
                               uid + R"("}]})");
    ASSERT_EQ(group.status, 201) << group.body;
    const std::string gid(json::parse(group.body).at("id").as_string());
    auto listed = c.request("GET", base + "/Users" + eve, bearer(alice));
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(json::parse(listed.body).at("totalResults").as_int64(), 1);
    // Nothing of it is in the MSP.
    auto own = c.request("GET", "/scim/v2/Users" + eve, bearer(msp.token));
    EXPECT_EQ(json::parse(own.body).at("totalResults").as_int64(), 0) << own.body;

    // Bob (Read Only) reads there and writes nothing.
    EXPECT_EQ(c.request("GET", base + "/Users/" + uid, bearer(bob)).status, 200);
    EXPECT_EQ(c.request("GET", base + "/Groups/" + gid, bearer(bob)).status, 200);
    EXPECT_EQ(c.request("POST", base + "/Users", bearer(bob, true),
                        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                        R"("userName":"bob-was-here"})")
                  .status,
              403);
    EXPECT_EQ(c.request("DELETE", base + "/Groups/" + gid, bearer(bob)).status, 403);
    EXPECT_EQ(c.request("GET", base + "/Groups/" + gid, bearer(alice)).status, 200);

    // No role in an organization outside the tree: as if it did not exist.
    EXPECT_EQ(c.request("GET", "/o/" + other.org + "/scim/v2/Users", bearer(alice)).status, 404);
    // Alice deletes what she made; the bound org is the target without an org in the path.
    EXPECT_EQ(c.request("DELETE", base + "/Users/" + uid, bearer(alice)).status, 204);
    EXPECT_EQ(c.request("GET", "/scim/v2/Users", bearer(alice)).status, 200);
    // The app and an unknown person keep their token's answer: no credential of the customer.
    const auto app = op.client_token("grant_type=client_credentials&scope=scim%20scim%3Aadmin");
    EXPECT_EQ(c.request("GET", base + "/Users", bearer(app)).status, 404);
    EXPECT_EQ(c.request("GET", base + "/Users", bearer(op.sign_in("mallory@msp.test"))).status,
              403);
}

// Issuers added with the CLI reach the running server (within issuer_reload_interval), and a
// removed one stops working; a bad entry is refused with its path, exit code 3.
TEST(IdentityBlackbox, IssuersAddedAndRemovedWithTheCliWhileServing) {
    ORGSCIM_REQUIRE_NODE_TOOLS();
    provider_process op;
    orgscim_server srv({}, "{}");
    const auto acme = srv.new_tenant("acme");
    http_client c("127.0.0.1", srv.port());
    const auto token = op.token();
    EXPECT_EQ(c.request("GET", "/scim/v2/Users", bearer(token)).status, 401);

    std::string err;
    auto [bad_rc, bad_out] = orgscim::testing::run_command(
        {orgscim_server::binary(), "issuers", "add", "--org", acme.org, "--issuer", op.url(),
         "--allow-http", "--db", srv.db()},
        &err);
    EXPECT_EQ(bad_rc, 3) << err;  // no audience: the config loader's own message
    EXPECT_NE(err.find("audiences"), std::string::npos) << err;

    const auto added =
        json::parse(srv.cli({"issuers", "add", "--org", acme.org, "--issuer", op.url(),
                             "--allow-http", "--audience", "https://scim.test/v2", "--json"}));
    const std::string id(added.at("id").as_string());
    const auto listed = json::parse(srv.cli({"issuers", "list", "--json"}));
    ASSERT_EQ(listed.as_array().size(), 1u);
    EXPECT_EQ(listed.as_array()[0].at("org").as_string(), acme.org);

    auto wait_for = [&](int status) {
        const auto end = std::chrono::steady_clock::now() + 25s;
        int got = 0;
        while (std::chrono::steady_clock::now() < end) {
            got = c.request("GET", "/scim/v2/Users", bearer(token)).status;
            if (got == status) break;
            srv.process().drain();
            std::this_thread::sleep_for(200ms);
        }
        return got;
    };
    EXPECT_EQ(wait_for(200), 200) << "the added issuer never reached the server";

    srv.cli({"issuers", "remove", id});
    EXPECT_EQ(wait_for(401), 401) << "the removed issuer kept working";
    EXPECT_EQ(json::parse(srv.cli({"issuers", "list", "--json"})).as_array().size(), 0u);
}

}  // namespace
}  // namespace orgscim::testing
