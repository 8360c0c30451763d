#include "secrets.hpp"

#include <gtest/gtest.h>

#include <set>

#include "fake_backend.hpp"

namespace {

using namespace orgscim::plugin;
using orgscim::plugin::testing::fake_backend;

TEST(secrets, shape_prefix_and_entropy) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const auto s = generate_secret();
        EXPECT_EQ(s.size(), secret_length);
        EXPECT_TRUE(s.starts_with("oss_"));
        EXPECT_TRUE(looks_like_secret(s)) << s;
        EXPECT_EQ(s.find_first_of("+/="), std::string::npos);
        seen.insert(s);
    }
    EXPECT_EQ(seen.size(), 200u);
}

TEST(secrets, looks_like_secret_rejects_near_misses) {
    const auto s = generate_secret();
    EXPECT_FALSE(looks_like_secret(s.substr(1)));
    EXPECT_FALSE(looks_like_secret(s + "A"));
    EXPECT_FALSE(looks_like_secret("oss" + s.substr(3, 1) + s));
    std::string bad = s;
    bad[10] = '+';
    EXPECT_FALSE(looks_like_secret(bad));
    EXPECT_FALSE(looks_like_secret("xss_" + s.substr(4)));
}

TEST(secrets, hash_is_raw_sha256) {
    // SHA-256("abc"), FIPS 180-2 test vector.
    const auto h = hash_secret("abc");
    ASSERT_EQ(h.size(), 32u);
    EXPECT_EQ(static_cast<unsigned char>(h[0]), 0xbau);
    EXPECT_EQ(static_cast<unsigned char>(h[31]), 0xadu);
}

struct secrets_store : ::testing::Test {
    fake_backend store;
    std::string org = store.create_org("acme", std::nullopt).value().id;
};

TEST_F(secrets_store, store_sees_only_the_hash) {
    const auto issued = issue_secret(store, org, "entra", std::nullopt, true).value();
    const auto hit = store.find_token(hash_secret(issued.secret));
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->first.id, issued.info.id);
    EXPECT_FALSE(store.find_token(issued.secret));  // not stored in clear
}

TEST_F(secrets_store, verify_valid_unknown_revoked_expired) {
    const auto a = issue_secret(store, org, "a", std::nullopt, true).value();
    const auto b = issue_secret(store, org, "b", 1000, false).value();
    auto ca = verify_secret(store, a.secret, 500);
    EXPECT_EQ(ca.status, secret_status::valid);
    EXPECT_EQ(ca.info.org_id, org);
    EXPECT_TRUE(ca.info.can_write);
    // Several secrets active at once (rotation).
    auto cb = verify_secret(store, b.secret, 500);
    EXPECT_EQ(cb.status, secret_status::valid);
    EXPECT_FALSE(cb.info.can_write);
    EXPECT_EQ(verify_secret(store, b.secret, 1000).status, secret_status::expired);
    EXPECT_EQ(verify_secret(store, generate_secret(), 500).status, secret_status::unknown);
    ASSERT_TRUE(store.revoke_token(a.info.id, 600));
    EXPECT_EQ(verify_secret(store, a.secret, 700).status, secret_status::revoked);
    store.unavailable = true;
    EXPECT_EQ(verify_secret(store, a.secret, 700).status, secret_status::unavailable);
}

TEST_F(secrets_store, issue_for_missing_org_fails) {
    const auto r = issue_secret(store, "nope", "x", std::nullopt, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), store_errc::not_found);
}

}  // namespace
