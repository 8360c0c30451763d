#include "auth.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_backend.hpp"
#include "secrets.hpp"

namespace {

using namespace orgscim::plugin;
using orgscim::plugin::testing::fake_backend;
using ::testing::HasSubstr;

struct auth : ::testing::Test {
    fake_backend store;
    std::int64_t now = 1000;
    authenticator a{store, [this] { return now; }, nullptr, 0};
    std::string org = store.create_org("acme", std::nullopt).value().id;
    issued_secret rw = issue_secret(store, org, "rw", std::nullopt, true).value();
    issued_secret ro = issue_secret(store, org, "ro", std::nullopt, false).value();

    auth_result run(std::vector<std::string> values) {
        orgscim::scim::header_list h{{"content-type", "application/scim+json"}};
        for (auto& v : values) h.emplace_back("authorization", std::move(v));
        return a.authenticate(h);
    }
    static std::string challenge(const auth_result& r) { return r.error().challenge; }
};

TEST_F(auth, valid_secret_gives_caller) {
    const auto r = run({"Bearer " + rw.secret});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->tenant, org);
    EXPECT_EQ(r->credential_id, rw.info.id);
    EXPECT_TRUE(r->can_read);
    EXPECT_TRUE(r->can_write);
    const auto q = run({"Bearer " + ro.secret});
    ASSERT_TRUE(q);
    EXPECT_FALSE(q->can_write);
}

TEST_F(auth, scheme_is_case_insensitive) {
    EXPECT_TRUE(run({"bearer " + rw.secret}));
    EXPECT_TRUE(run({"BEARER   " + rw.secret + " "}));
}

TEST_F(auth, missing_or_other_scheme_is_401_without_error) {
    for (const auto& r : {run({}), run({"Basic dXNlcjpwYXNz"}), run({"Bearertoken"})}) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().status, 401);
        EXPECT_EQ(challenge(r), "Bearer realm=\"scim\"");
    }
}

TEST_F(auth, malformed_is_400_invalid_request) {
    for (const auto& r : {run({"Bearer " + rw.secret, "Bearer " + rw.secret}), run({"Bearer"}),
                          run({"Bearer   "}), run({"Bearer " + rw.secret + " " + ro.secret})}) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().status, 400);
        EXPECT_EQ(challenge(r), "Bearer realm=\"scim\", error=\"invalid_request\"");
    }
}

TEST_F(auth, bad_tokens_are_401_invalid_token) {
    const std::string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    for (const std::string& t :
         {generate_secret(), rw.secret.substr(0, rw.secret.size() - 1), std::string("oss_short"),
          jwt, std::string("opaque-token"), std::string("bad\x01token"),
          std::string(max_bearer_length + 1, 'a')}) {
        const auto r = run({"Bearer " + t});
        ASSERT_FALSE(r) << t;
        EXPECT_EQ(r.error().status, 401) << t;
        EXPECT_EQ(challenge(r), "Bearer realm=\"scim\", error=\"invalid_token\"") << t;
        // The log reason never carries the token.
        EXPECT_EQ(r.error().reason.find(t), std::string::npos);
    }
}

TEST_F(auth, without_cache_revocation_is_immediate_and_expiry_checked) {
    ASSERT_TRUE(run({"Bearer " + rw.secret}));
    ASSERT_TRUE(store.revoke_token(rw.info.id, now));
    const auto r = run({"Bearer " + rw.secret});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 401);
    EXPECT_EQ(r.error().credential_id, rw.info.id);
    EXPECT_THAT(r.error().reason, HasSubstr("revoked"));

    const auto exp = issue_secret(store, org, "exp", 2000, true).value();
    EXPECT_TRUE(run({"Bearer " + exp.secret}));
    now = 2000;
    const auto e = run({"Bearer " + exp.secret});
    ASSERT_FALSE(e);
    EXPECT_THAT(e.error().reason, HasSubstr("expired"));
}

TEST_F(auth, cached_secret_is_trusted_for_the_ttl_then_asked_again) {
    authenticator cached{store, [this] { return now; }, nullptr, 500};
    const auto call = [&](const std::string& secret) {
        return cached.authenticate({{"authorization", "Bearer " + secret}});
    };
    ASSERT_TRUE(call(rw.secret));
    const int lookups = store.find_calls;
    ASSERT_TRUE(store.revoke_token(rw.info.id, now));
    now = 1499;
    const auto r = call(rw.secret);
    ASSERT_TRUE(r);  // revoked elsewhere: seen within the TTL at the latest, not sooner
    EXPECT_EQ(r->tenant, org);
    EXPECT_EQ(r->credential_id, rw.info.id);
    EXPECT_TRUE(r->can_write);
    EXPECT_EQ(store.find_calls, lookups);
    now = 1500;
    const auto gone = call(rw.secret);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().status, 401);
    EXPECT_THAT(gone.error().reason, HasSubstr("revoked"));

    // The read-only secret stays read-only when it comes from the cache.
    ASSERT_TRUE(call(ro.secret));
    const auto again = call(ro.secret);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->can_write);

    // The token's own expiry wins over the TTL.
    const auto exp = issue_secret(store, org, "exp", now + 100, true).value();
    ASSERT_TRUE(call(exp.secret));
    now += 100;
    const auto e = call(exp.secret);
    ASSERT_FALSE(e);
    EXPECT_THAT(e.error().reason, HasSubstr("expired"));
}

TEST_F(auth, outage_is_not_cached) {
    authenticator cached{store, [this] { return now; }, nullptr, 60'000};
    const orgscim::scim::header_list h{{"authorization", "Bearer " + rw.secret}};
    store.unavailable = true;
    EXPECT_EQ(cached.authenticate(h).error().status, 503);
    store.unavailable = false;
    EXPECT_TRUE(cached.authenticate(h));
    const auto unknown = generate_secret();
    const orgscim::scim::header_list u{{"authorization", "Bearer " + unknown}};
    EXPECT_EQ(cached.authenticate(u).error().status, 401);
    const int lookups = store.find_calls;
    EXPECT_EQ(cached.authenticate(u).error().status, 401);
    EXPECT_EQ(store.find_calls, lookups + 1);
}

TEST_F(auth, store_outage_is_503_not_401) {
    store.unavailable = true;
    const auto r = run({"Bearer " + rw.secret});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 503);
    const auto res = to_response(r.error());
    bool retry = false;
    for (const auto& [k, v] : res.headers) retry = retry || k == "Retry-After";
    EXPECT_TRUE(retry);
}

TEST_F(auth, responses_carry_scim_error_body) {
    const auto r = run({"Bearer nope"});
    ASSERT_FALSE(r);
    const auto res = to_response(r.error());
    EXPECT_EQ(res.status, 401);
    EXPECT_THAT(res.body, HasSubstr("urn:ietf:params:scim:api:messages:2.0:Error"));
    EXPECT_THAT(res.body, HasSubstr("\"status\":\"401\""));
    std::string ct, www;
    for (const auto& [k, v] : res.headers) {
        if (k == "Content-Type") ct = v;
        if (k == "WWW-Authenticate") www = v;
    }
    EXPECT_EQ(ct, "application/scim+json");
    EXPECT_EQ(www, "Bearer realm=\"scim\", error=\"invalid_token\"");
    const auto f = to_response(insufficient_scope("x"));
    EXPECT_EQ(f.status, 403);
    EXPECT_THAT(f.body, HasSubstr("\"status\":\"403\""));
}

struct fixed_jwt final : jwt_verifier {
    auth_result verify(std::string_view token) const override {
        if (token == "a.b.c") {
            orgscim::scim::caller c;
            c.tenant = "org-jwt";
            c.can_read = true;
            return c;
        }
        return invalid_token("bad signature");
    }
};

TEST_F(auth, jwt_shaped_tokens_go_to_the_verifier) {
    authenticator with_jwt{store, [] { return 0; }, std::make_shared<fixed_jwt>(), 0};
    const auto ok = with_jwt.authenticate({{"authorization", "Bearer a.b.c"}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->tenant, "org-jwt");
    const auto bad = with_jwt.authenticate({{"authorization", "Bearer a.b.d"}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().status, 401);
    // Secrets never reach the JWT verifier.
    EXPECT_TRUE(with_jwt.authenticate({{"authorization", "Bearer " + rw.secret}}));
}

}  // namespace
