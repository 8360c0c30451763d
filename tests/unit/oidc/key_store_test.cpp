#include <gtest/gtest.h>

#include <orgscim/oidc/key_store.hpp>
#include <thread>
#include <token_signer.hpp>
#include <vector>

#include "test_support.hpp"

namespace orgscim::oidc {
namespace {

using namespace std::chrono_literals;
using testing::fake_fetcher;

constexpr const char* jwks_url = "https://op.test/jwks";
constexpr const char* disco_url = "https://op.test/.well-known/openid-configuration";

class KeyStoreTest : public ::testing::Test {
  protected:
    KeyStoreTest() {
        for (alg a : all_algs) opts_.allowed_algs.insert(a);
        opts_.issuer = "https://op.test";
        opts_.jwks_uri = jwks_url;
        opts_.refresh = 3600s;
        opts_.retry = 30s;
        opts_.kid_miss_cooldown = 30s;
        opts_.negative_ttl = 300s;
    }

    static const signing_key& key(int i) {
        static const std::vector<signing_key> keys = [] {
            std::vector<signing_key> v;
            v.push_back(signing_key::generate(alg::es256, "k0"));
            v.push_back(signing_key::generate(alg::es256, "k1"));
            v.push_back(signing_key::generate(alg::es256, "k2"));
            return v;
        }();
        return keys.at(static_cast<std::size_t>(i));
    }
    void publish(std::vector<signing_key> keys) { fetcher_.set(jwks_url, jwks_json(keys)); }

    key_store_options opts_;
    fake_fetcher fetcher_;
    settable_clock clock_{time_point(std::chrono::seconds(1'800'000'000))};
};

TEST_F(KeyStoreTest, NeverLoadedIsKeysUnavailableAnd503) {
    fetcher_.fail(jwks_url, errc::fetch_failed);
    key_store s(opts_, fetcher_, clock_);
    auto r = s.find("k0");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::keys_unavailable);
    EXPECT_EQ(http_status(r.error()), 503);
    EXPECT_FALSE(s.loaded());
    EXPECT_EQ(s.last_error(), errc::fetch_failed);
    // Before the retry interval nobody refetches; afterwards one request does.
    EXPECT_FALSE(s.find("k0"));
    EXPECT_EQ(fetcher_.count(), 1u);
    clock_.advance(31s);
    publish({key(0)});
    EXPECT_TRUE(s.find("k0"));
    EXPECT_EQ(fetcher_.count(), 2u);
    EXPECT_TRUE(s.loaded());
}

TEST_F(KeyStoreTest, LoadsLazilyOnceAndServesFromCache) {
    publish({key(0), key(1)});
    key_store s(opts_, fetcher_, clock_);
    EXPECT_EQ(fetcher_.count(), 0u);
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(s.find("k0"));
        ASSERT_TRUE(s.find("k1"));
    }
    EXPECT_EQ(fetcher_.count(), 1u);
    EXPECT_EQ(s.find("k1").value()->kid, "k1");
}

TEST_F(KeyStoreTest, UnknownKidRefetchesAtMostOncePerCooldownThenNegativeCaches) {
    publish({key(0)});
    key_store s(opts_, fetcher_, clock_);
    ASSERT_TRUE(s.find("k0"));
    // Inside the cooldown of the initial load: no refetch at all.
    for (int i = 0; i < 1000; ++i) {
        auto r = s.find("random-" + std::to_string(i));
        ASSERT_FALSE(r);
        ASSERT_EQ(r.error(), errc::unknown_kid);
    }
    EXPECT_EQ(fetcher_.count(), 1u);
    clock_.advance(31s);
    // One refetch for the first miss, none for the next 999 (cooldown from that attempt).
    for (int i = 0; i < 1000; ++i) ASSERT_FALSE(s.find("later-" + std::to_string(i)));
    EXPECT_EQ(fetcher_.count(), 2u);
    // A kid that missed after a refetch is negatively cached even once the cooldown has passed.
    clock_.advance(31s);
    ASSERT_FALSE(s.find("later-0"));
    EXPECT_EQ(fetcher_.count(), 2u);
    // ...but a new kid after the cooldown does refetch, and finds a rotated-in key.
    publish({key(0), key(1)});
    ASSERT_TRUE(s.find("k1"));
    EXPECT_EQ(fetcher_.count(), 3u);
    // A miss never evicts good keys.
    EXPECT_TRUE(s.find("k0"));
}

TEST_F(KeyStoreTest, NegativeCacheExpires) {
    publish({key(0)});
    key_store s(opts_, fetcher_, clock_);
    ASSERT_TRUE(s.find("k0"));
    clock_.advance(31s);
    ASSERT_FALSE(s.find("k2"));
    EXPECT_EQ(fetcher_.count(), 2u);
    publish({key(0), key(2)});
    clock_.advance(60s);
    ASSERT_FALSE(s.find("k2")) << "still negatively cached";
    clock_.advance(300s);
    EXPECT_TRUE(s.find("k2"));
}

TEST_F(KeyStoreTest, NegativeCacheIsBounded) {
    opts_.negative_max = 4;
    opts_.kid_miss_cooldown = 1s;
    publish({key(0)});
    key_store s(opts_, fetcher_, clock_);
    ASSERT_TRUE(s.find("k0"));
    for (int i = 0; i < 20; ++i) {
        clock_.advance(2s);
        ASSERT_FALSE(s.find("x" + std::to_string(i)));
    }
    EXPECT_EQ(fetcher_.count(), 21u);
    // x0 was evicted long ago, so it refetches again; x19 is still cached.
    clock_.advance(2s);
    ASSERT_FALSE(s.find("x19"));
    EXPECT_EQ(fetcher_.count(), 21u);
    ASSERT_FALSE(s.find("x0"));
    EXPECT_EQ(fetcher_.count(), 22u);
}

TEST_F(KeyStoreTest, FailedRefreshKeepsTheLastGoodSet) {
    publish({key(0)});
    key_store s(opts_, fetcher_, clock_);
    ASSERT_TRUE(s.find("k0"));
    for (auto bad : {0, 1, 2, 3}) {
        switch (bad) {
            case 0:
                fetcher_.fail(jwks_url, errc::fetch_failed);
                break;
            case 1:
                fetcher_.set(jwks_url, "{}", 500);
                break;
            case 2:
                fetcher_.set(jwks_url, "garbage");
                break;
            case 3:
                fetcher_.set(jwks_url, R"({"keys":[{"kty":"oct","k":"AAAA"}]})");
                break;
        }
        clock_.advance(3601s);
        EXPECT_TRUE(s.find("k0")) << "stale-if-error, case " << bad;
        EXPECT_TRUE(s.last_error()) << bad;
    }
    EXPECT_EQ(s.last_error(), errc::no_usable_keys);
    // Next success replaces the set.
    publish({key(1)});
    clock_.advance(3601s);
    EXPECT_TRUE(s.find("k1"));
    EXPECT_FALSE(s.last_error());
}

TEST_F(KeyStoreTest, RefreshIfDueRunsBeforeExpiryAndRetriesAfterFailure) {
    publish({key(0)});
    key_store s(opts_, fetcher_, clock_);
    s.refresh_if_due();
    EXPECT_EQ(fetcher_.count(), 1u);
    s.refresh_if_due();
    EXPECT_EQ(fetcher_.count(), 1u);
    clock_.advance(3000s);  // < 90% of 3600
    s.refresh_if_due();
    EXPECT_EQ(fetcher_.count(), 1u);
    clock_.advance(300s);  // > 90%
    s.refresh_if_due();
    EXPECT_EQ(fetcher_.count(), 2u);
    fetcher_.fail(jwks_url, errc::fetch_failed);
    clock_.advance(3300s);
    s.refresh_if_due();
    EXPECT_EQ(fetcher_.count(), 3u);
    clock_.advance(10s);
    s.refresh_if_due();
    EXPECT_EQ(fetcher_.count(), 3u) << "retry interval not reached";
    clock_.advance(21s);
    s.refresh_if_due();
    EXPECT_EQ(fetcher_.count(), 4u);
}

TEST_F(KeyStoreTest, SingleFlightUnderConcurrency) {
    publish({key(0)});
    fetcher_.delay(200ms);
    key_store s(opts_, fetcher_, clock_);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            if (s.find("k0")) ++ok;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 8);
    EXPECT_EQ(fetcher_.count(), 1u);
}

TEST_F(KeyStoreTest, DiscoveryIsFetchedOnceAndIssuerMustMatchExactly) {
    opts_.jwks_uri.clear();
    opts_.discovery_url = disco_url;
    fetcher_.set(disco_url, R"({"issuer":"https://op.test","jwks_uri":"https://op.test/jwks"})");
    publish({key(0)});
    key_store s(opts_, fetcher_, clock_);
    ASSERT_TRUE(s.find("k0"));
    EXPECT_EQ(fetcher_.count(disco_url), 1u);
    clock_.advance(31s);
    EXPECT_FALSE(s.find("nope"));
    EXPECT_EQ(fetcher_.count(disco_url), 1u) << "no discovery refetch on a kid miss";
    EXPECT_EQ(fetcher_.count(jwks_url), 2u);

    struct row {
        const char* doc;
        errc e;
    };
    for (
        const auto& r :
        {row{R"({"issuer":"https://op.test/","jwks_uri":"https://op.test/jwks"})",
             errc::discovery_issuer_mismatch},
         row{R"({"issuer":"https://OP.test","jwks_uri":"https://op.test/jwks"})",
             errc::discovery_issuer_mismatch},
         row{R"({"issuer":"https://op.test","jwks_uri":"http://op.test/jwks"})",
             errc::insecure_url},
         row{R"({"issuer":"https://op.test"})", errc::bad_discovery},
         row{R"({"issuer":"https://op.test","issuer":"https://op.test","jwks_uri":"https://op.test/jwks"})",
             errc::duplicate_member}}) {
        fake_fetcher f;
        f.set(disco_url, r.doc);
        f.set(jwks_url, jwks_json({key(0)}));
        key_store s2(opts_, f, clock_);
        EXPECT_EQ(s2.find("k0").error(), errc::keys_unavailable) << r.doc;
        EXPECT_EQ(s2.last_error(), r.e) << r.doc;
    }
}

TEST_F(KeyStoreTest, OversizedSetIsAFailure) {
    opts_.max_bytes = 64;
    publish({key(0)});
    key_store s(opts_, fetcher_, clock_);
    EXPECT_EQ(s.find("k0").error(), errc::keys_unavailable);
    EXPECT_EQ(s.last_error(), errc::fetch_too_large);
}

TEST_F(KeyStoreTest, MissingKidOnlyForSingleKeySets) {
    publish({key(0)});
    key_store s(opts_, fetcher_, clock_);
    EXPECT_TRUE(s.find(""));
    publish({key(0), key(1)});
    clock_.advance(3601s);
    EXPECT_EQ(s.find("").error(), errc::unknown_kid);
}

}  // namespace
}  // namespace orgscim::oidc
