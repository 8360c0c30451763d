#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <orgscim/oidc/base64url.hpp>
#include <orgscim/oidc/verifier.hpp>
#include <token_issuer.hpp>

#include "test_support.hpp"

namespace orgscim::oidc {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr std::int64_t t_now = 1'800'000'000;
constexpr const char* form_type = "application/x-www-form-urlencoded";
constexpr const char* wif_issuer =
    "https://login.microsoftonline.com/aaaaaaaa-0000-4000-8000-00000000000a/v2.0";

class memory_directory final : public client_directory {
  public:
    std::optional<oauth_client> find_client(std::string_view id) override {
        auto it = clients.find(std::string(id));
        if (it == clients.end()) return std::nullopt;
        return it->second;
    }
    std::map<std::string, oauth_client> clients;
};

std::string basic(std::string_view id, std::string_view secret) {
    std::string s = base64url_encode(std::string(id) + ":" + std::string(secret));
    for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (s.size() % 4) s += '=';
    return "Basic " + s;
}

class TokenIssuerTest : public ::testing::Test {
  protected:
    TokenIssuerTest() {
        const auto s1 = generate_client_secret();
        const auto s2 = generate_client_secret(time_point(std::chrono::seconds(t_now + 100)));
        secret_ = s1.secret;
        second_secret_ = s2.secret;
        oauth_client c;
        c.client_id = "oc_client1";
        c.org = "org-1";
        c.secrets = {s1.record, s2.record};
        c.federated = {{wif_issuer, "sp-object-id"}};
        dir_.clients[c.client_id] = c;
        oauth_client ro = c;
        ro.client_id = "oc_readonly";
        ro.permissions = perm_read;
        dir_.clients[ro.client_id] = ro;

        wif_key_ = std::make_unique<signing_key>(signing_key::generate(alg::rs256, "wif"));
        fetcher_.set("https://login.microsoftonline.com/wif/keys", jwks_json({*wif_key_}));

        settings_.issuer = "https://orgscim.test";
        settings_.audience = "https://orgscim.test/scim/v2";
        issuer_config ic;
        ic.issuer = wif_issuer;
        ic.jwks_uri = "https://login.microsoftonline.com/wif/keys";
        ic.audiences = {"api://AzureADTokenExchange", "https://orgscim.test/oauth2/token"};
        ic.allowed_algs.insert(alg::rs256);
        settings_.assertion_issuers.issuers.push_back(ic);
    }

    token_issuer make(alg a = alg::es256) {
        return token_issuer(settings_, signing_key::generate(a, "orgscim-1"), dir_, fetcher_,
                            clock_);
    }

    static std::string access_token(const token_response& r) {
        EXPECT_EQ(r.status, 200) << r.body;
        return std::string(json::parse(r.body).at("access_token").as_string());
    }
    static std::string error_of(const token_response& r) {
        return std::string(json::parse(r.body).at("error").as_string());
    }

    std::string assertion(std::string sub, std::int64_t exp_in = 300) {
        const auto now = t_now;
        return sign_compact(*wif_key_, R"({"alg":"RS256","typ":"JWT","kid":"wif"})",
                            json::serialize(json::object{{"iss", wif_issuer},
                                                         {"sub", sub},
                                                         {"aud", "api://AzureADTokenExchange"},
                                                         {"iat", now},
                                                         {"exp", now + exp_in}}));
    }

    memory_directory dir_;
    testing::fake_fetcher fetcher_;
    settable_clock clock_{time_point(std::chrono::seconds(t_now))};
    issuer_settings settings_;
    std::string secret_, second_secret_;
    std::unique_ptr<signing_key> wif_key_;
};

TEST_F(TokenIssuerTest, GeneratedSecretsAndIds) {
    const auto a = generate_client_secret();
    const auto b = generate_client_secret();
    EXPECT_TRUE(a.secret.starts_with("ocs_"));
    EXPECT_EQ(a.secret.size(), 4u + 43u);
    EXPECT_NE(a.secret, b.secret);
    EXPECT_EQ(a.record.hash, hash_client_secret(a.secret));
    EXPECT_EQ(a.record.hash.find(a.secret), std::string::npos);
    EXPECT_TRUE(generate_client_id().starts_with("oc_"));
}

TEST_F(TokenIssuerTest, ClientCredentialsWithBasicIssuesAVerifiableJwt) {
    auto iss = make();
    auto r = iss.handle_token_request(basic("oc_client1", secret_), form_type,
                                      "grant_type=client_credentials");
    const auto token = access_token(r);
    const auto body = json::parse(r.body).as_object();
    EXPECT_EQ(body.at("token_type"), "Bearer");
    EXPECT_EQ(body.at("expires_in"), 3600);
    EXPECT_EQ(body.at("scope"), "scim:read scim:write");
    bool no_store = false;
    for (const auto& [k, v] : r.headers)
        no_store = no_store || (k == "Cache-Control" && v == "no-store");
    EXPECT_TRUE(no_store);

    auto p = iss.verify(token);
    ASSERT_TRUE(p) << to_string(p.error());
    EXPECT_EQ(p->org, "org-1");
    EXPECT_EQ(p->subject, "oc_client1");
    EXPECT_TRUE(p->has(perm_read | perm_write));
    EXPECT_FALSE(p->has(perm_admin));

    // Anyone can verify it from the published JWKS with the ordinary verifier.
    testing::fake_fetcher pub;
    pub.set("https://orgscim.test/oauth2/jwks", iss.jwks_json());
    config c;
    issuer_config ic;
    ic.issuer = "https://orgscim.test";
    ic.jwks_uri = "https://orgscim.test/oauth2/jwks";
    ic.audiences = {"https://orgscim.test/scim/v2"};
    ic.allowed_algs.insert(alg::es256);
    c.issuers.push_back(ic);
    verifier v(c, pub, clock_);
    EXPECT_TRUE(v.verify(token));

    // Expires after the TTL (plus leeway).
    clock_.advance(3661s);
    EXPECT_EQ(iss.verify(token).error(), errc::expired);
}

TEST_F(TokenIssuerTest, ClientSecretPostAndRotationOverlap) {
    auto iss = make(alg::rs256);
    EXPECT_TRUE(iss.verify(access_token(iss.handle_token_request(
        "", form_type,
        "grant_type=client_credentials&client_id=oc_client1&client_secret=" + secret_))));
    // The second (overlapping) secret works until it expires.
    EXPECT_EQ(iss.handle_token_request(basic("oc_client1", second_secret_), form_type,
                                       "grant_type=client_credentials")
                  .status,
              200);
    clock_.advance(101s);
    auto expired = iss.handle_token_request(basic("oc_client1", second_secret_), form_type,
                                            "grant_type=client_credentials");
    EXPECT_EQ(expired.status, 401);
    EXPECT_EQ(error_of(expired), "invalid_client");
}

TEST_F(TokenIssuerTest, ClientAuthenticationFailuresAreUniform) {
    auto iss = make();
    const auto wrong = iss.handle_token_request(basic("oc_client1", "ocs_wrong"), form_type,
                                                "grant_type=client_credentials");
    const auto unknown = iss.handle_token_request(basic("oc_nobody", secret_), form_type,
                                                  "grant_type=client_credentials");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.body, unknown.body);
    EXPECT_EQ(error_of(wrong), "invalid_client");
    bool challenge = false;
    for (const auto& [k, v] : wrong.headers) challenge = challenge || k == "WWW-Authenticate";
    EXPECT_TRUE(challenge);
    EXPECT_EQ(
        iss.handle_token_request("Bearer x", form_type, "grant_type=client_credentials").status,
        401);
    EXPECT_EQ(
        iss.handle_token_request("Basic !!!", form_type, "grant_type=client_credentials").status,
        401);
    EXPECT_EQ(iss.handle_token_request("", form_type, "grant_type=client_credentials").status, 401);

    dir_.clients["oc_client1"].disabled = true;
    EXPECT_EQ(iss.handle_token_request(basic("oc_client1", secret_), form_type,
                                       "grant_type=client_credentials")
                  .status,
              401);
}

TEST_F(TokenIssuerTest, RequestErrors) {
    auto iss = make();
    const auto auth = basic("oc_client1", secret_);
    struct row {
        std::string authorization, content_type, body, error;
        int status;
    };
    const std::vector<row> rows{
        {auth, "application/json", R"({"grant_type":"client_credentials"})", "invalid_request",
         400},
        {auth, form_type, "", "invalid_request", 400},
        {auth, form_type, "grant_type=password", "unsupported_grant_type", 400},
        {auth, form_type, "grant_type=client_credentials&grant_type=client_credentials",
         "invalid_request", 400},
        {auth, form_type, "grant_type=client_credentials&scope=%zz", "invalid_request", 400},
        {auth, form_type, "grant_type=client_credentials&client_secret=" + secret_,
         "invalid_request", 400},
        {auth, form_type, "grant_type=client_credentials&client_id=oc_other", "invalid_request",
         400},
        {auth, form_type, "grant_type=client_credentials&scope=scim:root", "invalid_scope", 400},
        {"", form_type, "grant_type=client_credentials&client_secret=" + secret_, "invalid_request",
         400},
        {"", form_type,
         "grant_type=client_credentials&client_assertion_type=urn%3Afoo&client_assertion=x",
         "invalid_request", 400},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.body);
        auto resp = iss.handle_token_request(r.authorization, r.content_type, r.body);
        EXPECT_EQ(resp.status, r.status);
        EXPECT_EQ(error_of(resp), r.error);
    }
}

TEST_F(TokenIssuerTest, ScopesAreBoundedByTheClient) {
    auto iss = make();
    auto r = iss.handle_token_request(basic("oc_client1", secret_), form_type,
                                      "grant_type=client_credentials&scope=scim%3Aread");
    auto p = iss.verify(access_token(r));
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->has(perm_read));
    EXPECT_FALSE(p->has(perm_write));
    auto ro = iss.handle_token_request(basic("oc_readonly", secret_), form_type,
                                       "grant_type=client_credentials&scope=scim:write");
    EXPECT_EQ(error_of(ro), "invalid_scope");
    auto admin = iss.handle_token_request(basic("oc_client1", secret_), form_type,
                                          "grant_type=client_credentials&scope=scim:admin");
    EXPECT_EQ(error_of(admin), "invalid_scope");
}

TEST_F(TokenIssuerTest, DisabledClientTokensStopAtOnce) {
    auto iss = make();
    const auto token = access_token(iss.handle_token_request(
        basic("oc_client1", secret_), form_type, "grant_type=client_credentials"));
    ASSERT_TRUE(iss.verify(token));
    dir_.clients["oc_client1"].disabled = true;
    EXPECT_EQ(iss.verify(token).error(), errc::client_not_allowed);
}

TEST_F(TokenIssuerTest, SigningKeyRotationWithOverlap) {
    auto iss = make();
    const auto grant = [&] {
        return access_token(iss.handle_token_request(basic("oc_client1", secret_), form_type,
                                                     "grant_type=client_credentials"));
    };
    const auto t1 = grant();
    iss.rotate(signing_key::generate(alg::es256, "orgscim-2"));
    const auto t2 = grant();
    EXPECT_NE(t2.substr(0, t2.find('.')), t1.substr(0, t1.find('.')));
    EXPECT_EQ(json::parse(iss.jwks_json()).at("keys").as_array().size(), 2u);
    EXPECT_TRUE(iss.verify(t1));
    EXPECT_TRUE(iss.verify(t2));
    iss.retire("orgscim-2");  // the active key cannot be retired
    iss.retire("orgscim-1");
    EXPECT_EQ(json::parse(iss.jwks_json()).at("keys").as_array().size(), 1u);
    EXPECT_EQ(iss.verify(t1).error(), errc::unknown_kid);
    EXPECT_TRUE(iss.verify(t2));
}

TEST_F(TokenIssuerTest, ClientAssertionFromATrustedIssuer) {
    auto iss = make();
    const auto ok = iss.handle_token_request(
        "", form_type,
        "grant_type=client_credentials&client_id=oc_client1&client_assertion_type=urn%3Aietf%"
        "3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" +
            assertion("sp-object-id"));
    auto p = iss.verify(access_token(ok));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->org, "org-1");

    const std::string prefix =
        "grant_type=client_credentials&client_id=oc_client1&client_assertion_type=urn%3Aietf%"
        "3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=";
    EXPECT_EQ(iss.handle_token_request("", form_type, prefix + assertion("someone-else")).status,
              401);
    EXPECT_EQ(
        iss.handle_token_request("", form_type, prefix + assertion("sp-object-id", -120)).status,
        401);
    // A self-made assertion signed by a key the trusted issuer does not publish.
    const auto forger = signing_key::generate(alg::rs256, "wif");
    const auto forged =
        sign_compact(forger, R"({"alg":"RS256","typ":"JWT","kid":"wif"})",
                     json::serialize(json::object{{"iss", wif_issuer},
                                                  {"sub", "sp-object-id"},
                                                  {"aud", "api://AzureADTokenExchange"},
                                                  {"exp", t_now + 300}}));
    EXPECT_EQ(iss.handle_token_request("", form_type, prefix + forged).status, 401);
}

TEST_F(TokenIssuerTest, DiscoveryDocument) {
    auto iss = make();
    const auto d = json::parse(iss.discovery_json()).as_object();
    EXPECT_EQ(d.at("issuer"), "https://orgscim.test");
    EXPECT_EQ(d.at("token_endpoint"), "https://orgscim.test/oauth2/token");
    EXPECT_EQ(d.at("jwks_uri"), "https://orgscim.test/oauth2/jwks");
}

}  // namespace
}  // namespace orgscim::oidc
