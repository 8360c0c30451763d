// oauth_store: one suite run on SQLite (a real file) and PostgreSQL (the throwaway cluster),
// through open_oauth_store(). The race test starts several instances on an empty database the
// way orgscim processes start (read the keys, find none, add one) and checks that one key results.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <orgscim/plugin/storage/oauth_store.hpp>
#include <thread>
#include <vector>

#include "store_databases.hpp"

namespace orgscim::store_tests {
namespace {

using plugin::oauth_client_info;
using plugin::oauth_store;
using plugin::signing_key_info;
using scim::store_errc;

template <class Db>
class oauth_store_suite : public ::testing::Test {
  protected:
    void SetUp() override {
        if (auto why = Db::skip_reason()) GTEST_SKIP() << *why;
        db_ = std::make_unique<Db>();
        auto org = db_->admin().create_org("acme", std::nullopt);
        ASSERT_TRUE(org);
        org_ = org->id;
        store_ = open();
    }
    std::unique_ptr<oauth_store> open() {
        return plugin::open_oauth_store(db_->storage(), [this] { return now_.load(); });
    }
    oauth_client_info client(const std::string& id) const {
        oauth_client_info c;
        c.client_id = id;
        c.org_id = org_;
        c.name = "Client " + id;
        c.permissions = 1;
        c.secrets.push_back({"sec_" + id, "hash-of-" + id, 0, std::nullopt});
        return c;
    }

    std::unique_ptr<Db> db_;
    std::string org_;
    std::atomic<std::int64_t> now_{1'700'000'000'000};
    std::unique_ptr<oauth_store> store_;
};

using backends = ::testing::Types<sqlite_database, postgres_database>;
TYPED_TEST_SUITE(oauth_store_suite, backends, backend_name);

TYPED_TEST(oauth_store_suite, clients_are_created_found_listed_and_revoked) {
    auto& s = *this->store_;
    ASSERT_TRUE(s.create_client(this->client("oc_a")));
    this->now_ += 10;
    ASSERT_TRUE(s.create_client(this->client("oc_b")));

    auto a = s.find_client("oc_a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->org_id, this->org_);
    EXPECT_EQ(a->name, "Client oc_a");
    EXPECT_EQ(a->permissions, 1);
    EXPECT_EQ(a->created_ms, 1'700'000'000'000) << "created_ms 0 is stamped with the clock";
    ASSERT_EQ(a->secrets.size(), 1u);
    EXPECT_EQ(a->secrets[0].id, "sec_oc_a");
    EXPECT_EQ(a->secrets[0].hash, "hash-of-oc_a");
    EXPECT_FALSE(a->secrets[0].expires_ms);
    EXPECT_FALSE(a->revoked_ms);

    EXPECT_EQ(s.create_client(this->client("oc_a")).error(), store_errc::conflict);
    auto stray = this->client("oc_c");
    stray.org_id = "no-such-org";
    EXPECT_EQ(s.create_client(stray).error(), store_errc::not_found);
    EXPECT_EQ(s.find_client("oc_c").error(), store_errc::not_found);

    auto all = s.list_clients(this->org_);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].client_id, "oc_a");
    EXPECT_EQ((*all)[1].client_id, "oc_b");
    EXPECT_EQ((*all)[1].secrets.size(), 1u) << "listed with their secrets";
    EXPECT_TRUE(s.list_clients("other-org")->empty());

    EXPECT_TRUE(s.revoke_client("oc_a", 42));
    EXPECT_TRUE(s.revoke_client("oc_a", 99));
    EXPECT_EQ(s.find_client("oc_a")->revoked_ms, 42) << "the first revocation stays";
    EXPECT_EQ(s.revoke_client("oc_nope", 1).error(), store_errc::not_found);
}

TYPED_TEST(oauth_store_suite, trusted_issuers_are_added_listed_and_removed) {
    auto& s = *this->store_;
    ASSERT_TRUE(s.add_issuer({"iss_a", this->org_, R"({"issuer":"https://a.test"})", 5}));
    ASSERT_TRUE(s.add_issuer({"iss_b", "", R"({"issuer":"https://b.test"})", 6}));
    EXPECT_EQ(s.add_issuer({"iss_a", this->org_, "{}", 7}).error(), store_errc::conflict);
    auto all = s.list_issuers();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].id, "iss_a");
    EXPECT_EQ((*all)[0].org_id, this->org_);
    EXPECT_EQ((*all)[0].entry, R"({"issuer":"https://a.test"})");
    EXPECT_EQ((*all)[1].org_id, "");
    ASSERT_TRUE(s.remove_issuer("iss_a"));
    EXPECT_EQ(s.remove_issuer("iss_a").error(), store_errc::not_found);
    ASSERT_EQ(s.list_issuers()->size(), 1u);
}

TYPED_TEST(oauth_store_suite, secrets_rotate) {
    auto& s = *this->store_;
    ASSERT_TRUE(s.create_client(this->client("oc_a")));
    ASSERT_TRUE(s.add_secret("oc_a", {"sec_2", "hash-2", 5, std::int64_t{500}}));
    ASSERT_TRUE(s.add_secret("oc_a", {"sec_3", "hash-3", 6, std::nullopt}));
    EXPECT_EQ(s.add_secret("oc_nope", {"sec_4", "h", 7, std::nullopt}).error(),
              store_errc::not_found);

    ASSERT_TRUE(s.expire_other_secrets("oc_a", "sec_3", 1000));
    auto c = s.find_client("oc_a");
    ASSERT_EQ(c->secrets.size(), 3u);
    for (const auto& sec : c->secrets) {
        if (sec.id == "sec_3") {
            EXPECT_FALSE(sec.expires_ms) << "the kept secret";
        } else if (sec.id == "sec_2") {
            EXPECT_EQ(sec.expires_ms, 500) << "an earlier expiry is never pushed back";
        } else {
            EXPECT_EQ(sec.expires_ms, 1000);
        }
    }
    EXPECT_EQ(s.expire_other_secrets("oc_nope", "x", 1).error(), store_errc::not_found);
}

TYPED_TEST(oauth_store_suite, federated_identities_are_added_once) {
    auto& s = *this->store_;
    ASSERT_TRUE(s.create_client(this->client("oc_a")));
    ASSERT_TRUE(s.add_federated("oc_a", {"https://login.example", "sub-1"}));
    ASSERT_TRUE(s.add_federated("oc_a", {"https://login.example", "sub-1"}));
    ASSERT_TRUE(s.add_federated("oc_a", {"https://login.example", "sub-0"}));
    EXPECT_EQ(s.add_federated("oc_nope", {"i", "s"}).error(), store_errc::not_found);
    auto c = s.find_client("oc_a");
    ASSERT_EQ(c->federated.size(), 2u);
    EXPECT_EQ(c->federated[0].subject, "sub-0");
    EXPECT_EQ(c->federated[1].subject, "sub-1");
}

TYPED_TEST(oauth_store_suite, signing_keys_first_then_rotation) {
    auto& s = *this->store_;
    auto none = s.signing_keys();
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    ASSERT_TRUE(s.add_signing_key({"k1", "ES256", "PEM-1", 0}));
    // Rotation: a key added without a read that found none is always added.
    ASSERT_TRUE(s.add_signing_key({"k2", "ES256", "PEM-2", 1'800'000'000'000}));
    EXPECT_EQ(s.add_signing_key({"k2", "ES256", "PEM-x", 5}).error(), store_errc::conflict);
    auto keys = s.signing_keys();
    ASSERT_TRUE(keys);
    ASSERT_EQ(keys->size(), 2u);
    EXPECT_EQ((*keys)[0].kid, "k1") << "oldest first";
    EXPECT_EQ((*keys)[0].created_ms, 1'700'000'000'000);
    EXPECT_EQ((*keys)[0].private_pem, "PEM-1");
    EXPECT_EQ((*keys)[1].kid, "k2");
}

TYPED_TEST(oauth_store_suite, a_second_first_key_is_refused) {
    auto other = this->open();
    ASSERT_TRUE(this->store_->signing_keys()->empty());
    ASSERT_TRUE(other->signing_keys()->empty());
    ASSERT_TRUE(this->store_->add_signing_key({"k-a", "ES256", "PEM-a", 0}));
    EXPECT_EQ(other->add_signing_key({"k-b", "ES256", "PEM-b", 0}).error(), store_errc::conflict);
    auto keys = other->signing_keys();
    ASSERT_EQ(keys->size(), 1u);
    EXPECT_EQ((*keys)[0].kid, "k-a");
}

TYPED_TEST(oauth_store_suite, instances_starting_together_create_one_signing_key) {
    constexpr int n = 6;
    std::vector<std::unique_ptr<oauth_store>> stores;
    for (int i = 0; i < n; ++i) stores.push_back(this->open());
    std::latch all_read(n);
    std::atomic<int> added{0};
    std::atomic<int> refused{0};
    std::vector<std::string> kid_used(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            auto keys = stores[i]->signing_keys();
            const bool empty = keys && keys->empty();
            all_read.arrive_and_wait();  // every instance saw the empty table
            if (!empty) return;
            auto r = stores[i]->add_signing_key({"k" + std::to_string(i), "ES256", "PEM", 0});
            if (r) ++added;
            if (!r && r.error() == store_errc::conflict) ++refused;
            keys = stores[i]->signing_keys();
            if (keys && keys->size() == 1) kid_used[i] = (*keys)[0].kid;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(added.load(), 1);
    EXPECT_EQ(refused.load(), n - 1);
    ASSERT_EQ(this->store_->signing_keys()->size(), 1u);
    const auto kid = (*this->store_->signing_keys())[0].kid;
    for (int i = 0; i < n; ++i) EXPECT_EQ(kid_used[i], kid) << "instance " << i;
}

class oauth_store_postgres : public ::testing::Test {
  protected:
    void SetUp() override {
        if (auto why = postgres_database::skip_reason()) GTEST_SKIP() << *why;
    }
};

TEST_F(oauth_store_postgres, an_unmigrated_database_is_refused_at_open) {
    postgres_database db(false);
    EXPECT_THROW(plugin::open_oauth_store(db.storage()), plugin::startup_error);
}

TEST_F(oauth_store_postgres, an_unset_uri_variable_is_refused_at_open) {
    postgres_database db;
    auto cfg = db.storage();
    cfg.postgresql.uri_env = "ORGSCIM_TEST_STORE_PG_URI_UNSET";
    ::unsetenv(cfg.postgresql.uri_env.c_str());
    EXPECT_THROW(plugin::open_oauth_store(cfg), plugin::startup_error);
}

}  // namespace
}  // namespace orgscim::store_tests
