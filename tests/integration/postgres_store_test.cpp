// PostgreSQL against the conformance suite, on a throwaway cluster started by the test itself
// (pg_cluster: initdb + pg_ctl, unix socket in a temp dir). With CI=true a cluster that cannot
// start fails the tests; elsewhere they are skipped with the reason.
#include "postgres/postgres_store.hpp"

#include <cstdlib>
#include <thread>

#include "pg_cluster.hpp"
#include "postgres/postgres_migrations.hpp"
#include "scale_figures.hpp"
#include "store_conformance.hpp"

namespace orgscim::conformance {
namespace {

plugin::postgres_config pg_config() {
    plugin::postgres_config cfg;
    cfg.pool_size = 8;
    cfg.connect_timeout_ms = 5000;
    cfg.statement_timeout_ms = 10000;
    return cfg;
}

struct pg_instance final : store_instance {
    pg_instance(const std::string& uri, std::function<std::int64_t()> clock)
        : s(pg_config(), uri, std::move(clock)) {}
    scim::resource_store& store() override { return s; }
    plugin::backend* backend() override { return &s; }
    plugin::postgres_store s;
};

orgscim::testing::pg_cluster* cluster() {
    std::string why;
    auto* c = orgscim::testing::pg_cluster::shared(&why);
    if (c == nullptr && orgscim::testing::ci_requires_services()) {
        ADD_FAILURE() << "CI=true and PostgreSQL could not be started: " << why;
    }
    return c;
}

struct pg_traits {
    static std::optional<std::string> skip_reason() {
        std::string why;
        if (orgscim::testing::pg_cluster::shared(&why) != nullptr) return std::nullopt;
        if (orgscim::testing::ci_requires_services()) return std::nullopt;  // open() fails instead
        return "PostgreSQL could not be started (set CI=true to make this a failure): " + why;
    }
    static std::unique_ptr<store_instance> open(std::function<std::int64_t()> clock) {
        auto* c = cluster();
        if (c == nullptr) return nullptr;
        return std::make_unique<pg_instance>(c->create_database(), std::move(clock));
    }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(postgres, store_conformance, ::testing::Types<pg_traits>);
INSTANTIATE_TYPED_TEST_SUITE_P(postgres, backend_conformance, ::testing::Types<pg_traits>);

namespace {

class postgres_only : public ::testing::Test {
  protected:
    void SetUp() override {
        if (auto why = pg_traits::skip_reason()) GTEST_SKIP() << *why;
        cluster_ = cluster();
        ASSERT_NE(cluster_, nullptr);
        scim::register_core_schemas(reg_);
        user_ = reg_.find_by_id("User");
        group_ = reg_.find_by_id("Group");
    }
    scim::schema_registry reg_;
    const scim::resource_type* user_ = nullptr;
    const scim::resource_type* group_ = nullptr;
    orgscim::testing::pg_cluster* cluster_ = nullptr;
};

TEST_F(postgres_only, instances_starting_together_migrate_once) {
    std::string uri = cluster_->create_database();
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&] {
            try {
                plugin::postgres_store s(pg_config(), uri);
                ++ok;
            } catch (const std::exception&) {
                ++failed;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 6);
    EXPECT_EQ(failed.load(), 0);
    std::string db = uri.substr(uri.find(":///") + 4);
    db = db.substr(0, db.find('?'));
    // Each version once, although six processes raced to apply them.
    EXPECT_EQ(cluster_->query("SELECT count(*) FROM schema_migrations", db),
              std::to_string(plugin::postgres::migrations().size()));
}

TEST_F(postgres_only, unreachable_server_fails_fast_at_startup) {
    auto cfg = pg_config();
    cfg.connect_timeout_ms = 1000;
    auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(plugin::postgres_store(cfg, "postgresql:///x?host=/nonexistent-dir&port=1"),
                 plugin::startup_error);
    // A blackholed TCP address must not hang beyond connect_timeout either.
    EXPECT_THROW(plugin::postgres_store(cfg, "postgresql://192.0.2.1:5432/x"),
                 plugin::startup_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(postgres_only, open_backend_reads_the_uri_from_the_environment) {
    plugin::storage_config sc;
    sc.backend = "postgresql";
    sc.postgresql = pg_config();
    sc.postgresql.uri_env = "ORGSCIM_TEST_PG_URI_UNSET";
    ::unsetenv("ORGSCIM_TEST_PG_URI_UNSET");
    EXPECT_THROW(plugin::open_backend(sc), plugin::startup_error);
    sc.postgresql.uri_env = "ORGSCIM_TEST_PG_URI";
    ::setenv("ORGSCIM_TEST_PG_URI", cluster_->create_database().c_str(), 1);
    auto b = plugin::open_backend(sc);
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(b->healthy());
}

TEST_F(postgres_only, concurrent_writers_keep_the_rules) {
    plugin::postgres_store s(pg_config(), cluster_->create_database());
    // Same userName from many threads at once: exactly one wins.
    std::atomic<int> created{0};
    std::atomic<int> conflicts{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, i] {
            write_set w;
            w.attrs = json::object{{"userName", i % 2 == 0 ? "Racer" : "rACER"}};
            auto r = s.create("t1", *user_, w);
            if (r) {
                ++created;
            } else if (r.error() == store_errc::conflict) {
                ++conflicts;
            } else {
                ++other;
            }
        });
    }
    for (auto& t : threads) t.join();
    threads.clear();
    EXPECT_EQ(created.load(), 1);
    EXPECT_EQ(conflicts.load(), 7);
    EXPECT_EQ(other.load(), 0);

    // Many threads adding members to one group: no lost update, version counts every write.
    std::vector<std::string> ids;
    for (int i = 0; i < 80; ++i) {
        write_set w;
        w.attrs = json::object{{"userName", "m" + std::to_string(i)}};
        ids.push_back(s.create("t1", *user_, w)->id);
    }
    write_set g;
    g.attrs = json::object{{"displayName", "G"}};
    auto grp = s.create("t1", *group_, g);
    ASSERT_TRUE(grp.has_value());
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = t; i < 80; i += 8) {
                auto r = s.update("t1", *group_, grp->id, std::nullopt, fetch_options{false, false},
                                  [&](const resource_record& cur) -> scim::result<write_set> {
                                      write_set w;
                                      w.attrs = cur.attrs;
                                      w.add_members = {ids[static_cast<std::size_t>(i)]};
                                      return w;
                                  });
                if (!r) ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    auto got = s.get("t1", *group_, grp->id, {});
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->members.size(), 80u);
    EXPECT_EQ(got->meta.version, 81u);
}

// totalResults of an unfiltered list comes from resource_counts (migration 6), not count(*): it
// must follow concurrent creates and deletes, a tenant's bulk deletion, and be backfilled when
// the migration runs on a database that already holds resources.
TEST_F(postgres_only, unfiltered_totals_follow_every_writer) {
    std::string uri = cluster_->create_database();
    std::string db = uri.substr(uri.find(":///") + 4);
    db = db.substr(0, db.find('?'));
    auto total = [&](plugin::postgres_store& s, std::string_view tenant,
                     const scim::resource_type& type) {
        scim::list_request req;
        req.limit = 0;
        auto r = s.list(tenant, type, req);
        EXPECT_TRUE(r.has_value());
        return r ? r->total : -1;
    };
    {
        plugin::postgres_store s(pg_config(), uri);
        std::vector<std::string> ids(40);
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = t; i < 40; i += 8) {
                    write_set w;
                    w.attrs = json::object{{"userName", "u" + std::to_string(i)}};
                    auto r = s.create("t1", *user_, w);
                    if (r) ids[static_cast<std::size_t>(i)] = r->id;
                }
            });
        }
        for (auto& th : threads) th.join();
        threads.clear();
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = t; i < 15; i += 8) {
                    EXPECT_TRUE(s.remove("t1", *user_, ids[static_cast<std::size_t>(i)], {}));
                }
            });
        }
        for (auto& th : threads) th.join();
        write_set g;
        g.attrs = json::object{{"displayName", "G"}};
        ASSERT_TRUE(s.create("t1", *group_, g).has_value());
        write_set other;
        other.attrs = json::object{{"userName", "elsewhere"}};
        ASSERT_TRUE(s.create("t2", *user_, other).has_value());
        EXPECT_EQ(total(s, "t1", *user_), 25);
        EXPECT_EQ(total(s, "t1", *group_), 1);
        EXPECT_EQ(total(s, "t2", *user_), 1);
        EXPECT_EQ(total(s, "t3", *user_), 0);

        // The bulk deletion an organization's removal runs.
        cluster_->query("DELETE FROM resources WHERE tenant = 't2'", db);
        EXPECT_EQ(total(s, "t2", *user_), 0);
        EXPECT_EQ(total(s, "t1", *user_), 25);
    }
    // The same database as it was before migration 6, with resources in it (migrations 7 to 15
    // undone too, so that all of them run again).
    cluster_->query(
        "DROP TABLE resource_counts; DROP FUNCTION resource_counts_add, resource_counts_remove "
        "CASCADE; DROP TABLE member_flow_counts; DROP TABLE member_flow; DROP FUNCTION "
        "member_flow_keep, member_flow_count_keep CASCADE; DROP INDEX memberships_user, "
        "memberships_unlisted, memberships_guest; DROP TABLE resource_blocks; DROP FUNCTION "
        "resource_blocks_keep CASCADE; DROP FUNCTION directory_lock_org; CREATE INDEX "
        "resources_username ON resources (tenant, type, username_f); ALTER TABLE events ADD "
        "CONSTRAINT events_id_key UNIQUE (id); DROP FUNCTION directory_provision_home; DROP INDEX "
        "group_members_by_member; CREATE INDEX group_members_member ON group_members (tenant, "
        "member_id); DELETE FROM schema_migrations WHERE version >= 6",
        db);
    plugin::postgres_store s(pg_config(), uri);
    EXPECT_EQ(total(s, "t1", *user_), 25);
    EXPECT_EQ(total(s, "t1", *group_), 1);
    // Migration 10's backfill counted every row in its block.
    EXPECT_EQ(cluster_->query("SELECT (SELECT sum(n) FROM resource_blocks) = (SELECT count(*) "
                              "FROM resources)",
                              db),
              "t");
    write_set w;
    w.attrs = json::object{{"userName", "after"}};
    ASSERT_TRUE(s.create("t1", *user_, w).has_value());
    EXPECT_EQ(total(s, "t1", *user_), 26);
}

TEST_F(postgres_only, recovers_after_the_server_drops_connections) {
    std::string uri = cluster_->create_database();
    plugin::postgres_store s(pg_config(), uri);
    write_set w;
    w.attrs = json::object{{"userName", "alice"}};
    auto u = s.create("t1", *user_, w);
    ASSERT_TRUE(u.has_value());
    cluster_->query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
        "'orgscim'");
    // The first call may find its pooled connection dead: that is `unavailable`, never a hang or
    // `internal`; the pool then reconnects.
    auto first = s.get("t1", *user_, u->id, {});
    if (!first) {
        EXPECT_EQ(first.error(), store_errc::unavailable);
    }
    bool recovered = false;
    for (int i = 0; i < 10 && !recovered; ++i)
        recovered = s.get("t1", *user_, u->id, {}).has_value();
    EXPECT_TRUE(recovered);
    EXPECT_TRUE(s.healthy());
}

TEST_F(postgres_only, statement_timeout_maps_to_unavailable) {
    auto cfg = pg_config();
    cfg.statement_timeout_ms = 300;
    std::string uri = cluster_->create_database();
    plugin::postgres_store s(cfg, uri);
    write_set w;
    w.attrs = json::object{{"userName", "alice"}};
    auto u = s.create("t1", *user_, w);
    ASSERT_TRUE(u.has_value());
    // Another session holds the row lock; our update must give up, not hang.
    std::string db = uri.substr(uri.find(":///") + 4);
    db = db.substr(0, db.find('?'));
    std::thread holder([&] {
        cluster_->query("BEGIN; SELECT 1 FROM resources FOR UPDATE; SELECT pg_sleep(2); COMMIT;",
                        db);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto start = std::chrono::steady_clock::now();
    auto r = s.update("t1", *user_, u->id, std::nullopt, {},
                      [](const resource_record& cur) -> scim::result<write_set> {
                          write_set ws;
                          ws.attrs = cur.attrs;
                          return ws;
                      });
    auto waited = std::chrono::steady_clock::now() - start;
    holder.join();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), store_errc::unavailable);
    EXPECT_LT(waited, std::chrono::milliseconds(1500));
}

// Scale figures (W2, W5, a 100,000-member group); see scale_figures.hpp. On request only.
TEST_F(postgres_only, DISABLED_scale_figures) {
    plugin::postgres_store s(pg_config(), cluster_->create_database());
    run_scale_figures(s, reg_);
}

}  // namespace
}  // namespace orgscim::conformance
