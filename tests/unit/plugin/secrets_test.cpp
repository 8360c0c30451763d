#include "secrets.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

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
    // The thread's digest context is reused: each call starts afresh.
    auto hex = [](const std::string& raw) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string out;
        for (const char c : raw) {
            out += digits[static_cast<unsigned char>(c) >> 4];
            out += digits[static_cast<unsigned char>(c) & 15];
        }
        return out;
    };
    EXPECT_EQ(hex(hash_secret("")),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(hex(hash_secret("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hash_secret("abc"), h);
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

TEST_F(secrets_store, cached_check_skips_the_store_until_ttl) {
    const auto a = issue_secret(store, org, "a", std::nullopt, true).value();
    secret_cache cache(1000);
    auto first = verify_secret(store, cache, a.secret, 10'000);
    ASSERT_EQ(first.status, secret_status::valid);
    EXPECT_EQ(store.find_calls, 1);
    // Revoked behind the cache's back (another process): still valid until the entry is 1000 ms
    // old, without a lookup, with the same token.
    ASSERT_TRUE(store.revoke_token(a.info.id, 10'001));
    const auto cached = verify_secret(store, cache, a.secret, 10'999);
    EXPECT_EQ(cached.status, secret_status::valid);
    EXPECT_EQ(cached.info.id, a.info.id);
    EXPECT_EQ(cached.info.org_id, org);
    EXPECT_TRUE(cached.info.can_write);
    EXPECT_EQ(store.find_calls, 1);
    EXPECT_EQ(verify_secret(store, cache, a.secret, 11'000).status, secret_status::revoked);
    EXPECT_EQ(store.find_calls, 2);
    // Revoked is never remembered: every later check asks again.
    EXPECT_EQ(verify_secret(store, cache, a.secret, 11'001).status, secret_status::revoked);
    EXPECT_EQ(store.find_calls, 3);
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(secrets_store, cached_check_never_outlives_the_token) {
    const auto b = issue_secret(store, org, "b", 10'500, false).value();
    secret_cache cache(60'000);
    ASSERT_EQ(verify_secret(store, cache, b.secret, 10'000).status, secret_status::valid);
    const auto cached = verify_secret(store, cache, b.secret, 10'499);
    EXPECT_EQ(cached.status, secret_status::valid);
    EXPECT_FALSE(cached.info.can_write);
    EXPECT_EQ(store.find_calls, 1);
    EXPECT_EQ(verify_secret(store, cache, b.secret, 10'500).status, secret_status::expired);
    EXPECT_EQ(store.find_calls, 2);
    // Expired at the time of the check: nothing to remember.
    EXPECT_EQ(verify_secret(store, cache, b.secret, 10'501).status, secret_status::expired);
    EXPECT_EQ(store.find_calls, 3);
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(secrets_store, unknown_and_unavailable_are_never_cached) {
    const auto a = issue_secret(store, org, "a", std::nullopt, true).value();
    secret_cache cache(1000);
    const auto stranger = generate_secret();
    EXPECT_EQ(verify_secret(store, cache, stranger, 0).status, secret_status::unknown);
    EXPECT_EQ(verify_secret(store, cache, stranger, 1).status, secret_status::unknown);
    EXPECT_EQ(store.find_calls, 2);
    store.unavailable = true;
    EXPECT_EQ(verify_secret(store, cache, a.secret, 2).status, secret_status::unavailable);
    EXPECT_EQ(cache.size(), 0u);
    store.unavailable = false;
    EXPECT_EQ(verify_secret(store, cache, a.secret, 3).status, secret_status::valid);
    EXPECT_EQ(store.find_calls, 4);
    EXPECT_EQ(cache.size(), 1u);
}

TEST_F(secrets_store, ttl_zero_asks_the_store_every_time) {
    const auto a = issue_secret(store, org, "a", std::nullopt, true).value();
    secret_cache cache(0);
    EXPECT_FALSE(cache.enabled());
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(verify_secret(store, cache, a.secret, i).status, secret_status::valid);
    }
    EXPECT_EQ(store.find_calls, 3);
    EXPECT_EQ(cache.size(), 0u);
    ASSERT_TRUE(store.revoke_token(a.info.id, 3));
    EXPECT_EQ(verify_secret(store, cache, a.secret, 4).status, secret_status::revoked);
}

TEST_F(secrets_store, clock_set_back_does_not_stretch_an_entry) {
    const auto a = issue_secret(store, org, "a", std::nullopt, true).value();
    secret_cache cache(1000);
    ASSERT_EQ(verify_secret(store, cache, a.secret, 10'000).status, secret_status::valid);
    ASSERT_TRUE(store.revoke_token(a.info.id, 10'000));
    EXPECT_EQ(verify_secret(store, cache, a.secret, 9'000).status, secret_status::revoked);
    EXPECT_EQ(store.find_calls, 2);
}

TEST_F(secrets_store, cache_is_bounded_in_size) {
    secret_cache cache(60'000, 2);
    std::vector<issued_secret> s;
    for (int i = 0; i < 5; ++i)
        s.push_back(issue_secret(store, org, "s", std::nullopt, true).value());
    for (const auto& x : s) {
        EXPECT_EQ(verify_secret(store, cache, x.secret, 0).status, secret_status::valid);
        EXPECT_LE(cache.size(), 2u);
    }
    // The most recent one survived the last start-over.
    const int before = store.find_calls;
    EXPECT_EQ(verify_secret(store, cache, s.back().secret, 1).status, secret_status::valid);
    EXPECT_EQ(store.find_calls, before);
}

TEST_F(secrets_store, cache_is_shared_by_threads) {
    std::vector<issued_secret> s;
    for (int i = 0; i < 3; ++i)
        s.push_back(issue_secret(store, org, "s", std::nullopt, i != 1).value());
    // Fewer slots than secrets: the threads also race the start-overs.
    secret_cache cache(60'000, 2);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                const auto& x = s[static_cast<std::size_t>(i + t) % s.size()];
                const auto c = verify_secret(store, cache, x.secret, i);
                if (c.status != secret_status::valid || c.info.id != x.info.id ||
                    c.info.can_write != x.info.can_write) {
                    ++wrong;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(wrong, 0);
    EXPECT_LE(cache.size(), 2u);
}

}  // namespace
