#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <orgscim/oidc/config.hpp>

namespace orgscim::oidc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> load(std::string_view json, config& out) {
    std::vector<std::string> errors;
    load_config(boost::json::parse(json), "oidc", out, errors);
    return errors;
}

std::vector<std::string> load(std::string_view json) {
    config c;
    return load(json, c);
}

constexpr const char* generic = R"({"issuers":[{"org":"o1","issuer":"https://op.example",
    "audiences":["https://scim.example/v2"],"allowed_algs":["RS256","ES256"]}]})";

TEST(OidcConfig, GenericIssuerGetsDiscoveryAndDefaults) {
    config c;
    ASSERT_THAT(load(generic, c), IsEmpty());
    ASSERT_EQ(c.issuers.size(), 1u);
    const auto& i = c.issuers[0];
    EXPECT_EQ(i.org, "o1");
    EXPECT_EQ(i.discovery_url, "https://op.example/.well-known/openid-configuration");
    EXPECT_TRUE(i.allowed_algs.contains(alg::rs256));
    EXPECT_TRUE(i.allowed_algs.contains(alg::es256));
    EXPECT_FALSE(i.allowed_algs.contains(alg::ps256));
    EXPECT_EQ(i.leeway_s, 60);
    EXPECT_EQ(i.claims.scope_claim, "scope");
    EXPECT_EQ(i.claims.identity, identity_key::iss_sub);
    EXPECT_FALSE(i.require_authz_claim);
    EXPECT_FALSE(i.trust_email);  // an issuer's emails count only when it says they are verified
}

TEST(OidcConfig, TrustEmailIsPerIssuerOptIn) {
    config c;
    ASSERT_THAT(load(R"({"issuers":[
        {"issuer":"https://sso.example/api/oidc","trust_email":true,
         "audiences":["a"],"allowed_algs":["RS256"]},
        {"issuer":"https://op.example","audiences":["a"],"allowed_algs":["RS256"]}]})",
                     c),
                IsEmpty());
    EXPECT_TRUE(c.issuers[0].trust_email);
    EXPECT_FALSE(c.issuers[1].trust_email);
}

TEST(OidcConfig, EntraPresets) {
    config c;
    ASSERT_THAT(load(R"({"issuers":[
        {"org":"a","preset":"entra_v2","tenant":"11111111-1111-1111-1111-111111111111",
         "audiences":["api://orgscim"],"allowed_algs":["RS256"]},
        {"org":"b","preset":"entra_v1","tenant":"22222222-2222-2222-2222-222222222222",
         "audiences":["api://orgscim"],"allowed_algs":["RS256"]},
        {"org":"c","preset":"entra_v2","tenant":"multi-tenant",
         "tenants":["33333333-3333-3333-3333-333333333333"],
         "audiences":["api://orgscim"],"allowed_algs":["RS256"]}]})",
                     c),
                IsEmpty());
    EXPECT_EQ(c.issuers[0].issuer,
              "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0");
    EXPECT_EQ(c.issuers[0].discovery_url,
              "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0/"
              ".well-known/openid-configuration");
    EXPECT_EQ(c.issuers[0].claims.scope_claim, "scp");
    EXPECT_EQ(c.issuers[0].claims.identity, identity_key::tid_oid);
    EXPECT_TRUE(c.issuers[0].require_authz_claim);
    EXPECT_EQ(c.issuers[1].issuer, "https://sts.windows.net/22222222-2222-2222-2222-222222222222/");
    EXPECT_EQ(c.issuers[1].discovery_url,
              "https://login.microsoftonline.com/22222222-2222-2222-2222-222222222222/"
              ".well-known/openid-configuration");
    EXPECT_EQ(c.issuers[2].issuer, "https://login.microsoftonline.com/{tenantid}/v2.0");
    EXPECT_TRUE(c.issuers[2].is_template());
    EXPECT_TRUE(c.issuers[2].tenant.empty());
    EXPECT_EQ(c.issuers[2].discovery_url,
              "https://login.microsoftonline.com/organizations/v2.0/.well-known/"
              "openid-configuration");
}

TEST(OidcConfig, EveryErrorNamesItsPath) {
    struct row {
        const char* json;
        const char* error;
    };
    const row rows[] = {
        {R"([])", "oidc: expected object"},
        {R"({"issuer":[]})", "oidc.issuer: unknown key"},
        {R"({"issuers":{}})", "oidc.issuers: expected array"},
        {R"({"issuers":[1]})", "oidc.issuers[0]: expected object"},
        {R"({"issuers":[{"issuer":"https://x","audiences":["a"],"allowed_algs":["RS256"],"color":1}]})",
         "oidc.issuers[0].color: unknown key"},
        {R"({"issuers":[{"issuer":"https://x","audiences":["a"],"allowed_algs":["HS256"]}]})",
         "oidc.issuers[0].allowed_algs[0]: HMAC algorithms are never accepted"},
        {R"({"issuers":[{"issuer":"https://x","audiences":["a"],"allowed_algs":["none"]}]})",
         "oidc.issuers[0].allowed_algs[0]: unsupported algorithm \"none\""},
        {R"({"issuers":[{"issuer":"https://x","audiences":["a"],"allowed_algs":["rs256"]}]})",
         "oidc.issuers[0].allowed_algs[0]: unsupported algorithm"},
        {R"({"issuers":[{"issuer":"https://x","audiences":["a"],"allowed_algs":[]}]})",
         "oidc.issuers[0].allowed_algs: at least one algorithm"},
        {R"({"issuers":[{"issuer":"https://x","audiences":[],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].audiences: at least one audience"},
        {R"({"issuers":[{"issuer":"https://x","audiences":["a",1],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].audiences[1]: expected string"},
        {R"({"issuers":[{"audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].issuer: required"},
        {R"({"issuers":[{"issuer":"http://x","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].discovery_url: must be an https URL"},
        {R"({"issuers":[{"issuer":"http://x.example","allow_http":true,"audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].discovery_url: allow_http is for loopback URLs only"},
        {R"({"issuers":[{"issuer":"https://x","jwks_uri":"https://x/k","discovery_url":"https://x/d","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].jwks_uri: give discovery_url or jwks_uri, not both"},
        {R"({"issuers":[{"issuer":"https://x","leeway_s":9999,"audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].leeway_s: must be between 0 and 300"},
        {R"({"issuers":[{"issuer":"https://x","leeway_s":"60","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].leeway_s: expected integer"},
        {R"({"issuers":[{"issuer":"https://x","allow_http":"yes","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].allow_http: expected boolean"},
        {R"({"issuers":[{"issuer":"https://x","trust_email":1,"audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].trust_email: expected boolean"},
        {R"({"issuers":[{"preset":"entra_v2","tenant":"11111111-1111-1111-1111-111111111111","trust_email":true,"audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].trust_email: not allowed with a preset"},
        {R"({"issuers":[{"preset":"entra_v3","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].preset: must be"},
        {R"({"issuers":[{"preset":"entra_v2","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].tenant: required with preset"},
        {R"({"issuers":[{"preset":"entra_v2","tenant":"contoso","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].tenant: must be a lower-case tenant GUID"},
        {R"({"issuers":[{"org":"o","preset":"entra_v2","tenant":"multi-tenant","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].tenants: required"},
        {R"({"issuers":[{"preset":"entra_v2","tenant":"multi-tenant","tenants":["x"],"audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].tenants[0]: expected tenant GUID"},
        {R"({"issuers":[{"issuer":"https://x/{tenantid}","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].discovery_url: required for an issuer template"},
        {R"({"issuers":[{"issuer":"https://x","tenant":"t","audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].tenant: only meaningful with a preset"},
        {R"({"issuers":[{"issuer":"https://x","typ":[],"audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].typ: empty allowlist"},
        {R"({"issuers":[{"issuer":"https://x","claims":{"identity":"email"},"audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].claims.identity: must be"},
        {R"({"issuers":[{"issuer":"https://x","claims":{"permissions":{"read":["a"],"owner":[]}},"audiences":["a"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[0].claims.permissions.owner: unknown key"},
        {R"({"issuers":[{"issuer":"https://x","audiences":["a"],"allowed_algs":["RS256"]},
                        {"issuer":"https://x","audiences":["b"],"allowed_algs":["RS256"]}]})",
         "oidc.issuers[1].issuer: duplicates issuers[0]"},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.json);
        const auto errors = load(r.json);
        bool found = false;
        for (const auto& e : errors) found = found || e.find(r.error) == 0;
        EXPECT_TRUE(found) << ::testing::PrintToString(errors);
    }
}

TEST(OidcConfig, LoopbackHttpAllowedOnlyWithTheSwitch) {
    EXPECT_THAT(load(R"({"issuers":[{"issuer":"http://127.0.0.1:3000","allow_http":true,
                   "audiences":["a"],"allowed_algs":["RS256"]}]})"),
                IsEmpty());
    EXPECT_THAT(
        load(
            R"({"issuers":[{"issuer":"http://localhost:3000","jwks_uri":"http://localhost:3000/jwks",
                   "allow_http":true,"audiences":["a"],"allowed_algs":["RS256"]}]})"),
        IsEmpty());
    EXPECT_THAT(load(R"({"issuers":[{"issuer":"http://127.0.0.1.evil.example","allow_http":true,
                   "audiences":["a"],"allowed_algs":["RS256"]}]})"),
                ElementsAre(HasSubstr("loopback")));
}

TEST(OidcConfig, EmptyOidcObjectIsValid) {
    config c;
    EXPECT_THAT(load("{}", c), IsEmpty());
    EXPECT_TRUE(c.issuers.empty());
}

}  // namespace
}  // namespace orgscim::oidc
