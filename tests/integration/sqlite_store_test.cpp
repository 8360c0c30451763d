// SQLite against the conformance suite, on a real database file in a temp dir; plus what only a
// file-backed database can show: durability across kill -9, reopening, migrations, concurrency.
#include "sqlite/sqlite_store.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <orgscim/testing/process.hpp>
#include <random>
#include <thread>

#include "store_conformance.hpp"

namespace orgscim::conformance {
namespace {

plugin::sqlite_config config_in(const std::string& dir) {
    plugin::sqlite_config cfg;
    cfg.path = dir + "/orgscim.db";
    cfg.busy_timeout_ms = 5000;
    return cfg;
}

struct sqlite_instance final : store_instance {
    explicit sqlite_instance(std::function<std::int64_t()> clock)
        : s(config_in(dir.path()), std::move(clock)) {}
    scim::resource_store& store() override { return s; }
    plugin::backend* backend() override { return &s; }
    orgscim::testing::temp_dir dir;  // declared first: outlives the store
    plugin::sqlite_store s;
};

struct sqlite_traits {
    static std::unique_ptr<store_instance> open(std::function<std::int64_t()> clock) {
        return std::make_unique<sqlite_instance>(std::move(clock));
    }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(sqlite, store_conformance, ::testing::Types<sqlite_traits>);
INSTANTIATE_TYPED_TEST_SUITE_P(sqlite, backend_conformance, ::testing::Types<sqlite_traits>);

namespace {

class sqlite_file : public ::testing::Test {
  protected:
    void SetUp() override {
        scim::register_core_schemas(reg_);
        user_ = reg_.find_by_id("User");
    }
    scim::schema_registry reg_;
    const scim::resource_type* user_ = nullptr;
    orgscim::testing::temp_dir dir_;
};

TEST_F(sqlite_file, acknowledged_write_survives_kill_9) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(fds[0]);
        int code = 1;
        try {
            plugin::sqlite_store s(config_in(dir_.path()));
            write_set w;
            w.attrs = json::object{{"userName", "durable"}};
            auto r = s.create("t1", *user_, w);
            if (r) {
                std::string line = r->id + "\n";
                if (::write(fds[1], line.data(), line.size()) == static_cast<ssize_t>(line.size()))
                    code = 0;
            }
            // Acknowledged: now wait to be killed without any chance to clean up.
            if (code == 0) ::pause();
        } catch (...) {
        }
        ::_exit(code);
    }
    ::close(fds[1]);
    std::string id;
    char ch;
    while (::read(fds[0], &ch, 1) == 1 && ch != '\n') id.push_back(ch);
    ::close(fds[0]);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child did not get as far as the acknowledgement";
    ASSERT_EQ(id.size(), 36u);

    plugin::sqlite_store s(config_in(dir_.path()));
    auto got = s.get("t1", *user_, id, {});
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->attrs.at("userName"), "durable");
}

TEST_F(sqlite_file, reopening_keeps_data_and_does_not_migrate_twice) {
    std::string id;
    {
        plugin::sqlite_store s(config_in(dir_.path()));
        write_set w;
        w.attrs = json::object{{"userName", "kept"}};
        id = s.create("t1", *user_, w)->id;
        ASSERT_TRUE(s.create_org("Org", std::nullopt).has_value());
    }
    plugin::sqlite_store s(config_in(dir_.path()));
    EXPECT_EQ(s.get("t1", *user_, id, {})->attrs.at("userName"), "kept");
    EXPECT_EQ(s.list_orgs()->size(), 1u);
    auto [rc, out] = orgscim::testing::run_command(
        {"sqlite3", dir_.path() + "/orgscim.db", "SELECT count(*) FROM schema_migrations"});
    if (rc == 0) {
        EXPECT_EQ(out, "1\n");
    }
}

TEST_F(sqlite_file, bad_settings_fail_at_startup) {
    auto cfg = config_in(dir_.path());
    cfg.synchronous = "sometimes";
    EXPECT_THROW(plugin::sqlite_store{cfg}, plugin::startup_error);
    cfg = config_in(dir_.path() + "/missing/dir");
    EXPECT_THROW(plugin::sqlite_store{cfg}, plugin::startup_error);
    plugin::storage_config sc;
    sc.backend = "sqlite";
    sc.sqlite = config_in(dir_.path());
    EXPECT_NE(plugin::open_backend(sc), nullptr);
    sc.backend = "mysql";
    EXPECT_THROW(plugin::open_backend(sc), plugin::startup_error);
}

TEST_F(sqlite_file, readers_run_in_parallel_with_a_writer) {
    plugin::sqlite_store s(config_in(dir_.path()));
    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i) {
        write_set w;
        w.attrs = json::object{{"userName", "u" + std::to_string(i)}};
        ids.push_back(s.create("t1", *user_, w)->id);
    }
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::atomic<long> reads{0};
    std::thread writer([&] {
        for (int i = 0; i < 200 && !stop; ++i) {
            write_set w;
            w.attrs = json::object{{"userName", "w" + std::to_string(i)}};
            if (!s.create("t1", *user_, w)) ++failures;
        }
    });
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                auto r = s.get("t1", *user_, ids[static_cast<std::size_t>((i * 7 + t) % 200)],
                               fetch_options{false, false});
                if (!r) ++failures;
                ++reads;
            }
        });
    }
    for (auto& r : readers) r.join();
    stop = true;
    writer.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(reads.load(), 8000);
}

TEST_F(sqlite_file, get_by_id_throughput) {
    plugin::sqlite_store s(config_in(dir_.path()));
    std::vector<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
        write_set w;
        w.attrs = json::object{{"userName", "u" + std::to_string(i)},
                               {"name", json::object{{"givenName", "G"}, {"familyName", "F"}}},
                               {"emails", json::array{json::object{{"value", "u@example.com"}}}}};
        ids.push_back(s.create("t1", *user_, w)->id);
    }
    const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
    const int per_thread = 20000;
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    std::atomic<int> failures{0};
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                if (!s.get("t1", *user_, ids[static_cast<std::size_t>((i + t * 31) % 1000)], {}))
                    ++failures;
            }
        });
    }
    for (auto& p : pool) p.join();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ figure ] GET by id (with groups): %.0f/s on %u threads\n",
                threads * per_thread / secs, threads);
    EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace orgscim::conformance

namespace orgscim::conformance {
namespace {

// Scale figures for the workloads of the load test (W2: userName eq; W5: a page of 100 at a
// random offset), plus a one-member change to a 100,000-member group. Slow to set up, so it only
// runs on request: --gtest_also_run_disabled_tests (ORGSCIM_SCALE_USERS overrides 1,000,000).
TEST_F(sqlite_file, DISABLED_scale_figures) {
    const char* env = std::getenv("ORGSCIM_SCALE_USERS");
    const int users = env != nullptr ? std::atoi(env) : 1'000'000;
    plugin::sqlite_store s(config_in(dir_.path()));
    const auto* group_type = reg_.find_by_id("Group");
    auto t_load = std::chrono::steady_clock::now();
    std::vector<std::string> member_ids;
    for (int i = 0; i < users; ++i) {
        write_set w;
        w.attrs = json::object{
            {"userName", "user" + std::to_string(i) + "@example.com"},
            {"displayName", "User " + std::to_string(i)},
            {"emails",
             json::array{json::object{{"value", "user" + std::to_string(i) + "@example.com"}}}}};
        auto r = s.create("t1", *user_, w);
        ASSERT_TRUE(r.has_value());
        if (i < 100'000) member_ids.push_back(r->id);
    }
    std::printf("[ figure ] created %d users in %.1f s\n", users,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count());
    auto timed = [](const char* what, int n, auto&& fn) {
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) fn(i);
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        std::printf("[ figure ] %s: %.2f ms each (%d runs)\n", what, ms / n, n);
    };
    std::mt19937 rng(42);
    timed("W2 userName eq (list, total)", 200, [&](int) {
        auto f = scim::parse_filter("userName eq \"USER" + std::to_string(rng() % users) +
                                    "@example.com\"");
        ASSERT_TRUE(f && scim::bind(**f, *user_));
        scim::list_request req;
        req.filter = f->get();
        auto r = s.list("t1", *user_, req);
        ASSERT_TRUE(r && r->total == 1);
    });
    timed("W5 page of 100 at a random offset", 50, [&](int) {
        scim::list_request req;
        req.offset = static_cast<std::int64_t>(rng() % static_cast<unsigned>(users));
        req.limit = 100;
        auto r = s.list("t1", *user_, req);
        ASSERT_TRUE(r && r->total == users);
    });
    timed("emails.value eq", 200, [&](int) {
        auto f = scim::parse_filter("emails.value eq \"user" + std::to_string(rng() % users) +
                                    "@EXAMPLE.com\"");
        ASSERT_TRUE(f && scim::bind(**f, *user_));
        scim::list_request req;
        req.filter = f->get();
        auto r = s.list("t1", *user_, req);
        ASSERT_TRUE(r && r->total == 1);
    });
    // A 100,000-member group, then single-member changes.
    write_set g;
    g.attrs = json::object{{"displayName", "Everyone"}};
    auto start = std::chrono::steady_clock::now();
    g.add_members = member_ids;
    auto grp = s.create("t1", *group_type, g);
    ASSERT_TRUE(grp.has_value());
    std::printf("[ figure ] group with %zu members created in %.0f ms\n", member_ids.size(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count());
    timed("one-member remove+add on the 100,000-member group", 50, [&](int i) {
        auto r = s.update("t1", *group_type, grp->id, std::nullopt, fetch_options{false, false},
                          [&](const resource_record& cur) -> scim::result<write_set> {
                              write_set w;
                              w.attrs = cur.attrs;
                              if (i % 2 == 0) {
                                  w.remove_members = {member_ids[7]};
                              } else {
                                  w.add_members = {member_ids[7]};
                              }
                              return w;
                          });
        ASSERT_TRUE(r.has_value());
    });
}

}  // namespace
}  // namespace orgscim::conformance
