// SQLite's group commit (sqlite::unit and its file_gate): a unit that finishes while another
// waits at the gate leaves its work in the open transaction, and the waiting unit's commit, or
// whoever takes the gate next, commits it. The threads are sequenced through the gate's own
// counters, so each test takes the path it names, every time. The coroutine cases run units in
// the HTTP host's own request coroutines on one thread, as the server's writer does.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <orgscim/testing/process.hpp>
#include <string>
#include <thread>

#include "request_coroutine.hpp"
#include "sqlite/sqlite_db.hpp"
#include "sqlite/write_gate.hpp"

namespace {

using namespace orgscim::plugin;
using orgscim::plugin::server_detail::spawn_request;
using orgscim::scim::store_errc;
using namespace std::chrono_literals;

struct file {
    orgscim::testing::temp_dir dir;
    std::string path = dir.path() + "/g.db";
    std::shared_ptr<sqlite::file_gate> gate = sqlite::write_gate(path);
    std::unique_ptr<sqlite::connection> writer, other;

    file() {
        writer = std::make_unique<sqlite::connection>(
            path, sqlite::connection_options{.create = true, .wal = true, .foreign_keys = true});
        writer->exec(
            "CREATE TABLE t (x INTEGER PRIMARY KEY);"
            "CREATE TABLE child (x INTEGER REFERENCES t (x) DEFERRABLE INITIALLY DEFERRED)");
        other = std::make_unique<sqlite::connection>(
            path, sqlite::connection_options{.foreign_keys = true});
    }

    // Rows of t as a reader on its own connection sees them (committed work only).
    std::int64_t committed(std::int64_t x) {
        sqlite::stmt q(*other, "SELECT count(*) FROM t WHERE x = ?1");
        q.bind(1, x);
        q.step();
        return q.int64(0);
    }

    void wait_for_waiters(int n) const {
        for (int i = 0; i < 2000 && gate->units_waiting() < n; ++i)
            std::this_thread::sleep_for(1ms);
        EXPECT_EQ(gate->units_waiting(), n);  // not ASSERT: the caller goes on, nothing hangs
    }
};

void insert(sqlite::connection& c, const char* table, std::int64_t x) {
    sqlite::stmt s(c, std::string("INSERT INTO ") + table + " (x) VALUES (?1)");
    s.bind(1, x);
    s.run();
}

void expect_a_lone_unit_commits(file& f, std::int64_t x) {
    sqlite::unit u(*f.gate, *f.writer);
    insert(*sqlite::unit_connection(*f.gate), "t", x);
    u.commit();
    EXPECT_EQ(f.committed(x), 1);
}

// Thread A: a unit that inserts `a` and then, once `go` is set, commits. Returns how its commit
// ended (nullopt: committed).
std::future<std::optional<store_errc>> first_unit(file& f, std::int64_t a, std::atomic<bool>& go) {
    std::promise<void> holding;
    auto held = holding.get_future();
    auto done = std::async(
        std::launch::async,
        [&f, a, &go, holding = std::move(holding)]() mutable -> std::optional<store_errc> {
            sqlite::unit u(*f.gate, *f.writer);
            insert(*sqlite::unit_connection(*f.gate), "t", a);
            holding.set_value();
            while (!go.load()) std::this_thread::sleep_for(1ms);
            try {
                u.commit();
                return std::nullopt;
            } catch (const sqlite::db_failure& e) {
                return e.code;
            }
        });
    held.wait();
    return done;
}

// A (first_unit, row 1) holds the gate while `b` runs on its own thread and queues at the gate;
// then A commits, which hands the gate to b. Returns how A's commit ended, after b has ended.
std::optional<store_errc> a_then_b(file& f, const std::function<void()>& b) {
    std::atomic<bool> go{false};
    auto a = first_unit(f, 1, go);
    std::thread tb(b);
    f.wait_for_waiters(1);
    go = true;
    auto result = a.get();
    tb.join();
    return result;
}

TEST(group_commit, a_finished_unit_is_committed_by_the_unit_that_waited_for_the_gate) {
    file f;
    std::optional<store_errc> b_result{store_errc::internal};
    EXPECT_EQ(a_then_b(f,
                       [&] {
                           sqlite::unit u(*f.gate, *f.writer);
                           insert(*sqlite::unit_connection(*f.gate), "t", 2);  // waits at the gate
                           // A has handed the gate on and waits: its row is in this transaction,
                           // uncommitted.
                           EXPECT_EQ(f.committed(1), 0);
                           u.commit();
                           b_result = std::nullopt;
                       }),
              std::nullopt);
    EXPECT_EQ(b_result, std::nullopt);
    EXPECT_EQ(f.committed(1), 1);
    EXPECT_EQ(f.committed(2), 1);
    EXPECT_EQ(f.gate->units_in_shared_commits(), 2u);
}

TEST(group_commit, a_unit_that_fails_after_joining_takes_only_its_own_work) {
    file f;
    EXPECT_EQ(a_then_b(f,
                       [&] {
                           sqlite::unit u(*f.gate, *f.writer);
                           insert(*sqlite::unit_connection(*f.gate), "t", 2);
                           // Left uncommitted: rolled back to its savepoint; A's row is still
                           // committed.
                       }),
              std::nullopt);
    EXPECT_EQ(f.committed(1), 1);
    EXPECT_EQ(f.committed(2), 0);
    // The gate goes on: a unit alone commits by itself.
    expect_a_lone_unit_commits(f, 3);
}

TEST(group_commit, a_unit_on_another_connection_commits_the_open_work_first) {
    file f;
    auto second = std::make_unique<sqlite::connection>(f.path, sqlite::connection_options{});
    EXPECT_EQ(a_then_b(f,
                       [&] {
                           sqlite::unit u(*f.gate, *second);
                           insert(*sqlite::unit_connection(*f.gate), "t", 2);
                           // A's work could not join this connection's transaction: it was
                           // committed before it.
                           EXPECT_EQ(f.committed(1), 1);
                           u.commit();
                       }),
              std::nullopt);
    EXPECT_EQ(f.committed(2), 1);
}

TEST(group_commit, a_writer_outside_units_that_takes_the_gate_commits_the_open_work_first) {
    // B finishes while a plain writer P and a unit C wait: whichever of them takes the gate,
    // A's and B's work is committed once, and P's write is its own transaction, committed when
    // it returns (a round that P wins takes file_gate::lock()'s path; P queues first).
    file f;
    for (std::int64_t round = 0; round < 20; ++round) {
        const std::int64_t base = round * 10;
        std::atomic<bool> go{false};
        auto a = first_unit(f, base + 1, go);
        std::atomic<bool> b_go{false};
        std::thread b([&] {
            sqlite::unit u(*f.gate, *f.writer);
            insert(*sqlite::unit_connection(*f.gate), "t", base + 2);
            while (!b_go.load()) std::this_thread::sleep_for(1ms);
            u.commit();
        });
        f.wait_for_waiters(1);
        go = true;  // A hands the gate to B
        for (int i = 0; i < 2000 && f.gate->units_waiting() > 0; ++i)
            std::this_thread::sleep_for(1ms);
        // P queues at the gate first, so it is usually woken first when B lets go.
        std::atomic<bool> p_committed_alone{false};
        std::thread p([&] {
            sqlite::write_scope w(*f.gate, *f.writer);
            insert(w.conn(), "t", base + 4);
            w.commit();
            // Its own COMMIT, not a savepoint in work that waits for someone else's.
            p_committed_alone = f.committed(base + 4) == 1;
        });
        std::this_thread::sleep_for(5ms);
        std::thread c([&] {
            sqlite::unit u(*f.gate, *f.writer);
            insert(*sqlite::unit_connection(*f.gate), "t", base + 3);
            u.commit();
        });
        f.wait_for_waiters(1);
        b_go = true;
        b.join();
        c.join();
        p.join();
        EXPECT_EQ(a.get(), std::nullopt);
        EXPECT_TRUE(p_committed_alone);
        for (std::int64_t x = base + 1; x <= base + 4; ++x) EXPECT_EQ(f.committed(x), 1) << x;
    }
}

TEST(group_commit, a_shared_commit_that_fails_fails_every_unit_in_it_and_keeps_none) {
    file f;
    std::optional<store_errc> b_result;
    EXPECT_EQ(a_then_b(f,
                       [&] {
                           sqlite::unit u(*f.gate, *f.writer);
                           // A deferred foreign key: the statement passes, the COMMIT refuses.
                           insert(*sqlite::unit_connection(*f.gate), "child", 99);
                           try {
                               u.commit();
                           } catch (const sqlite::db_failure& e) {
                               b_result = e.code;
                           }
                       }),
              store_errc::internal);
    EXPECT_EQ(b_result, store_errc::internal);
    EXPECT_EQ(f.committed(1), 0);
    // Nothing is left open: the next unit begins and commits on its own.
    expect_a_lone_unit_commits(f, 3);
}

TEST(group_commit, many_threads_of_units_lose_nothing_and_keep_no_failed_work) {
    file f;
    constexpr int threads = 8, per_thread = 200;
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&f, t] {
            for (int i = 0; i < per_thread; ++i) {
                const std::int64_t x = t * per_thread + i + 1;
                sqlite::unit u(*f.gate, *f.writer);
                insert(*sqlite::unit_connection(*f.gate), "t", x);
                if (x % 5 != 0) u.commit();  // every fifth unit fails
            }
        });
    }
    for (auto& t : ts) t.join();
    sqlite::stmt q(*f.other, "SELECT count(*), count(*) FILTER (WHERE x % 5 = 0) FROM t");
    q.step();
    EXPECT_EQ(q.int64(0), threads * per_thread * 4 / 5);
    EXPECT_EQ(q.int64(1), 0);
}

// --- units in coroutines of one thread (the server's writer) ------------------------------

// How one coroutine's unit ended: nullopt committed, else the error its commit() threw.
struct outcome {
    bool ran = false;
    std::optional<store_errc> failed;
    // Its row was visible to another connection when commit() returned.
    bool committed_on_return = false;
};

// Runs n units in n coroutines of one thread, all spawned before the first runs; unit i inserts
// row first + i into `table` and commits unless `abandon(i)`.
std::vector<outcome> run_coroutine_units(
    file& f,
    int n,
    std::int64_t first,
    const char* table = "t",
    const std::function<bool(int)>& abandon = [](int) { return false; },
    const std::function<void(int)>& before = [](int) {}) {
    boost::asio::io_context io(1);
    std::vector<outcome> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        spawn_request(io.get_executor(), [&, i] {
            auto& o = out[static_cast<std::size_t>(i)];
            o.ran = true;
            before(i);
            sqlite::unit u(*f.gate, *f.writer);
            insert(*sqlite::unit_connection(*f.gate), table, first + i);
            if (abandon(i)) return;
            try {
                u.commit();
                o.committed_on_return = f.committed(first + i) == 1;
            } catch (const sqlite::db_failure& e) {
                o.failed = e.code;
            }
        });
    }
    io.run();
    return out;
}

TEST(group_commit, coroutines_of_one_thread_share_commits_of_at_most_64_units) {
    file f;
    const auto out = run_coroutine_units(f, 100, 1);
    for (int i = 0; i < 100; ++i) {
        const auto& o = out[static_cast<std::size_t>(i)];
        EXPECT_TRUE(o.ran && !o.failed && o.committed_on_return) << i;
        EXPECT_EQ(f.committed(1 + i), 1) << i;
    }
    // No unit committed alone: the first 64 shared one COMMIT, the other 36 the next.
    EXPECT_EQ(f.gate->units_in_shared_commits(), 100u);
    expect_a_lone_unit_commits(f, 1000);
}

TEST(group_commit, a_coroutine_unit_that_fails_takes_only_its_own_work) {
    file f;
    const auto out = run_coroutine_units(f, 20, 1, "t", [](int i) { return i % 5 == 2; });
    for (int i = 0; i < 20; ++i) {
        const bool abandoned = i % 5 == 2;
        EXPECT_EQ(f.committed(1 + i), abandoned ? 0 : 1) << i;
        if (!abandoned) {
            EXPECT_TRUE(out[static_cast<std::size_t>(i)].committed_on_return) << i;
        }
    }
    expect_a_lone_unit_commits(f, 1000);
}

TEST(group_commit, a_shared_commit_that_fails_fails_every_coroutine_in_it) {
    file f;
    // Row 7's unit inserts a child with no parent: the deferred foreign key fails the COMMIT
    // that the eight units share.
    boost::asio::io_context io(1);
    std::vector<std::optional<store_errc>> failed(8, std::nullopt);
    for (int i = 0; i < 8; ++i) {
        spawn_request(io.get_executor(), [&, i] {
            sqlite::unit u(*f.gate, *f.writer);
            insert(*sqlite::unit_connection(*f.gate), i == 7 ? "child" : "t", 1 + i);
            try {
                u.commit();
            } catch (const sqlite::db_failure& e) {
                failed[static_cast<std::size_t>(i)] = e.code;
            }
        });
    }
    io.run();
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(failed[static_cast<std::size_t>(i)], store_errc::internal) << i;
        EXPECT_EQ(f.committed(1 + i), 0) << i;
    }
    expect_a_lone_unit_commits(f, 1000);
}

TEST(group_commit, a_writer_on_another_thread_commits_what_yielded_coroutines_left_open) {
    file f;
    bool first_committed_by_other = false;
    const auto out = run_coroutine_units(
        f, 2, 1, "t", [](int) { return false; },
        [&](int i) {
            if (i != 1) return;
            // Unit 0 has finished and yielded with its row in the open transaction; a plain writer
            // on another thread takes the gate, which commits that row before its own write.
            EXPECT_EQ(f.committed(1), 0);
            std::thread([&] {
                sqlite::write_scope w(*f.gate, *f.writer);
                insert(w.conn(), "t", 500);
                w.commit();
            }).join();
            first_committed_by_other = f.committed(1) == 1 && f.committed(500) == 1;
        });
    EXPECT_TRUE(first_committed_by_other);
    for (int i = 0; i < 2; ++i) {
        EXPECT_TRUE(out[static_cast<std::size_t>(i)].committed_on_return) << i;
        EXPECT_FALSE(out[static_cast<std::size_t>(i)].failed) << i;
    }
}

// --- rerunnable units: no savepoints; a failure after writing sends its batch to run again ---

// How one rerunnable coroutine unit ended.
struct rerun_outcome {
    std::optional<store_errc> failed;  // what commit() threw, if it threw
    bool rerun = false;                // unit::rerun() afterwards
};

// Runs n units in n coroutines of one thread, rerunnable unless `once(i)`; unit i inserts row
// first + i through a write_scope, then `body(i)` decides how it ends: true commits it, false
// abandons it.
std::vector<rerun_outcome> run_rerunnable_units(
    file& f,
    int n,
    std::int64_t first,
    const std::function<bool(int)>& body,
    const std::function<bool(int)>& once = [](int) { return false; }) {
    boost::asio::io_context io(1);
    std::vector<rerun_outcome> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        spawn_request(io.get_executor(), [&, i] {
            auto& o = out[static_cast<std::size_t>(i)];
            sqlite::unit u(*f.gate, *f.writer, !once(i));
            {
                sqlite::write_scope w(*f.gate, *f.writer);
                insert(w.conn(), "t", first + i);
                w.commit();
            }
            const bool commit = body(i);
            if (commit) {
                try {
                    u.commit();
                } catch (const sqlite::db_failure& e) {
                    o.failed = e.code;
                }
            }
            o.rerun = u.rerun();
        });
    }
    io.run();
    return out;
}

TEST(group_commit,
     a_rerunnable_unit_that_fails_after_writing_sends_the_units_before_it_to_run_again) {
    file f;
    // Units 0-4 leave their rows in the open transaction; unit 5 writes and is abandoned, which
    // only a rollback of the whole transaction undoes. Units 6 and 7 begin the next one.
    const auto out = run_rerunnable_units(f, 8, 1, [](int i) { return i != 5; });
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(out[static_cast<std::size_t>(i)].failed, store_errc::unavailable) << i;
        EXPECT_TRUE(out[static_cast<std::size_t>(i)].rerun) << i;
        EXPECT_EQ(f.committed(1 + i), 0) << i;
    }
    EXPECT_FALSE(out[5].rerun);  // it failed by itself: nothing to run again
    EXPECT_EQ(f.committed(6), 0);
    for (int i = 6; i < 8; ++i) {
        EXPECT_FALSE(out[static_cast<std::size_t>(i)].failed) << i;
        EXPECT_EQ(f.committed(1 + i), 1) << i;
    }
    // Run again (not rerunnable), the first five commit.
    const auto again = run_rerunnable_units(
        f, 5, 1, [](int) { return true; }, [](int) { return true; });
    for (int i = 0; i < 5; ++i) {
        EXPECT_FALSE(again[static_cast<std::size_t>(i)].failed) << i;
        EXPECT_EQ(f.committed(1 + i), 1) << i;
    }
    expect_a_lone_unit_commits(f, 1000);
}

TEST(group_commit,
     a_rerunnable_unit_after_a_unit_run_once_takes_a_savepoint_and_only_its_own_work) {
    file f;
    // Unit 0 is not rerunnable: unit 1 joins its transaction in a savepoint, so unit 1's
    // failure rolls back unit 1 alone, and unit 2 (after it) joins the same way.
    const auto out = run_rerunnable_units(
        f, 3, 1, [](int i) { return i != 1; }, [](int i) { return i == 0; });
    EXPECT_FALSE(out[0].failed);
    EXPECT_FALSE(out[0].rerun);
    EXPECT_EQ(f.committed(1), 1);
    EXPECT_EQ(f.committed(2), 0);
    EXPECT_FALSE(out[2].failed);
    EXPECT_EQ(f.committed(3), 1);
}

TEST(group_commit, a_store_call_that_fails_after_writing_spoils_a_rerunnable_unit) {
    file f;
    const auto out = run_rerunnable_units(f, 4, 1, [&f](int i) {
        if (i == 2) {
            // A call that wrote row 100 and then failed: no savepoint can take row 100 back.
            sqlite::write_scope w(*f.gate, *f.writer);
            insert(w.conn(), "t", 100);
        }
        if (i == 3) {
            // A call that failed in its first statement changed nothing: the unit goes on.
            sqlite::write_scope w(*f.gate, *f.writer);
            EXPECT_THROW(insert(w.conn(), "t", 1 + i), sqlite::db_failure);  // its own row again
        }
        return true;
    });
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(out[static_cast<std::size_t>(i)].failed, store_errc::unavailable) << i;
        EXPECT_TRUE(out[static_cast<std::size_t>(i)].rerun) << i;
        EXPECT_EQ(f.committed(1 + i), 0) << i;
    }
    EXPECT_EQ(f.committed(100), 0);
    EXPECT_FALSE(out[3].failed);
    EXPECT_FALSE(out[3].rerun);
    EXPECT_EQ(f.committed(4), 1);
    expect_a_lone_unit_commits(f, 1000);
}

TEST(group_commit, a_rerunnable_unit_alone_that_fails_after_writing_is_rolled_back_and_runs_again) {
    file f;
    {
        sqlite::unit u(*f.gate, *f.writer, true);
        {
            sqlite::write_scope w(*f.gate, *f.writer);
            insert(w.conn(), "t", 1);
            w.commit();
        }
        {
            sqlite::write_scope w(*f.gate, *f.writer);
            insert(w.conn(), "t", 2);
        }
        EXPECT_THROW(u.commit(), sqlite::db_failure);
        EXPECT_TRUE(u.rerun());
    }
    EXPECT_EQ(f.committed(1), 0);
    EXPECT_EQ(f.committed(2), 0);
    expect_a_lone_unit_commits(f, 3);
}

}  // namespace
