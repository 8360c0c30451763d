// Reads that wait for PostgreSQL in coroutines (pg::pool::read_pipelined, pg::pipe) through the
// HTTP host's own coroutines (request_coroutine.hpp): the coroutines of one thread share one
// pipelined connection, each gets its own result, a failing statement fails alone, a body that
// needs a transaction gets a connection of its own, a lost connection fails what was in flight
// and the next read connects again.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pg_cluster.hpp"
#include "postgres/pg_connection.hpp"
#include "request_coroutine.hpp"

namespace {

using orgscim::plugin::postgres_config;
using orgscim::plugin::pg::connection;
using orgscim::plugin::pg::params;
using orgscim::plugin::pg::pool;
using orgscim::plugin::pg::transaction;
using orgscim::plugin::server_detail::spawn_request;
using orgscim::scim::store_errc;
using orgscim::scim::store_result;

struct answer {
    bool done = false;
    store_result<std::pair<std::int64_t, std::string>> value = store_errc::internal;
};

class pg_pipe : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string why;
        cluster_ = orgscim::testing::pg_cluster::shared(&why);
        if (cluster_ == nullptr) {
            if (orgscim::testing::ci_requires_services()) FAIL() << why;
            GTEST_SKIP() << "PostgreSQL is not available: " << why;
        }
        cfg_.pool_size = 2;
        db_pool_ = std::make_unique<pool>(cfg_, cluster_->create_database());
    }

    // Runs `sql` (parameter $1 = i, answering (int, text)) in n coroutines of this thread.
    std::vector<answer> run_all(int n, const std::function<std::string(int)>& sql) {
        boost::asio::io_context io(1);
        std::vector<answer> out(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            spawn_request(io.get_executor(), [&, i] {
                auto& a = out[static_cast<std::size_t>(i)];
                a.value = db_pool_->read_pipelined(
                    [&](connection& c) -> store_result<std::pair<std::int64_t, std::string>> {
                        auto q = c.run(sql(i), params().int64(i));
                        return std::pair{q.int64(0, 0), std::string(q.text(0, 1))};
                    });
                a.done = true;
            });
        }
        io.run();
        return out;
    }

    orgscim::testing::pg_cluster* cluster_ = nullptr;
    postgres_config cfg_;
    std::unique_ptr<pool> db_pool_;
};

TEST_F(pg_pipe, coroutines_of_one_thread_share_one_connection_and_each_gets_its_own_result) {
    const auto out =
        run_all(64, [](int) { return "SELECT $1::bigint * 3, pg_backend_pid()::text"; });
    std::set<std::string> backends;
    for (int i = 0; i < 64; ++i) {
        const auto& a = out[static_cast<std::size_t>(i)];
        ASSERT_TRUE(a.done) << i;
        ASSERT_TRUE(a.value.has_value()) << i;
        EXPECT_EQ(a.value->first, 3 * i);
        backends.insert(a.value->second);
    }
    EXPECT_EQ(backends.size(), 1u) << "one pipelined connection for the thread";
}

TEST_F(pg_pipe, a_failing_statement_fails_alone_and_the_others_of_its_batch_are_answered) {
    // Every fifth divides by zero; the statements batched behind it are skipped by the server
    // and must be sent again, not failed.
    const auto out = run_all(40, [](int i) {
        return i % 5 == 0 ? "SELECT 1 / ($1::bigint - $1::bigint), ''"
                          : "SELECT $1::bigint + 1000, 'ok'";
    });
    for (int i = 0; i < 40; ++i) {
        const auto& a = out[static_cast<std::size_t>(i)];
        ASSERT_TRUE(a.done) << i;
        if (i % 5 == 0) {
            EXPECT_EQ(a.value.error(), store_errc::internal) << i;
        } else {
            ASSERT_TRUE(a.value.has_value()) << i;
            EXPECT_EQ(a.value->first, i + 1000);
            EXPECT_EQ(a.value->second, "ok");
        }
    }
}

TEST_F(pg_pipe, a_body_that_opens_a_transaction_runs_again_on_a_connection_of_its_own) {
    boost::asio::io_context io(1);
    std::string pipe_backend, own_backend;
    int runs = 0;
    spawn_request(io.get_executor(), [&] {
        auto r = db_pool_->read_pipelined([&](connection& c) -> store_result<std::string> {
            ++runs;
            auto first = c.run("SELECT pg_backend_pid()::text");
            if (runs == 1) pipe_backend = std::string(first.text(0, 0));
            transaction t(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            auto q = c.run("SELECT pg_backend_pid()::text");
            std::string pid(q.text(0, 0));
            t.commit();
            return pid;
        });
        ASSERT_TRUE(r.has_value());
        own_backend = *r;
    });
    io.run();
    EXPECT_EQ(runs, 2);
    EXPECT_FALSE(pipe_backend.empty());
    EXPECT_FALSE(own_backend.empty());
    EXPECT_NE(pipe_backend, own_backend);
}

TEST_F(pg_pipe, a_lost_connection_fails_what_was_in_flight_and_the_next_read_connects_again) {
    // The pipe's backend is terminated while 8 statements wait on it.
    std::atomic<bool> stop{false};
    std::thread killer([&] {
        while (!stop.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            const auto n = cluster_->query(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                "application_name = 'orgscim' AND query LIKE '%pg_sleep%'");
            if (n != "0") return;
        }
    });
    const auto lost = run_all(8, [](int) { return "SELECT $1::bigint, pg_sleep(5)::text"; });
    stop = true;
    killer.join();
    for (int i = 0; i < 8; ++i) {
        const auto& a = lost[static_cast<std::size_t>(i)];
        ASSERT_TRUE(a.done) << i;
        EXPECT_EQ(a.value.error(), store_errc::unavailable) << i;
    }
    const auto after = run_all(4, [](int) { return "SELECT $1::bigint, 'again'"; });
    for (int i = 0; i < 4; ++i) {
        const auto& a = after[static_cast<std::size_t>(i)];
        ASSERT_TRUE(a.value.has_value()) << i;
        EXPECT_EQ(a.value->first, i);
        EXPECT_EQ(a.value->second, "again");
    }
}

TEST_F(pg_pipe, without_a_waiter_a_read_blocks_on_a_pooled_connection_as_before) {
    auto r = db_pool_->read_pipelined([&](connection& c) -> store_result<std::int64_t> {
        return c.run("SELECT 41 + 1").int64(0, 0);
    });
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 42);
}

}  // namespace
