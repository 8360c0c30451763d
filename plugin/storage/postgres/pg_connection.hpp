#pragma once
// The libpq layer shared by every PostgreSQL store: bound parameters, results, a connection with
// per-connection prepared statements, transactions and a bounded pool. Driver failures are thrown
// as db_failure / retry_failure inside a store and come back from pool::read() / pool::write()
// (or guarded()) as store_errc values, so no exception crosses a store interface.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/waiter.hpp>
#include <orgscim/scim/store.hpp>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sql/filter_to_sql.hpp"
#include "sql/migrator.hpp"
#include "sql/records.hpp"
#include "sql/thread_unit.hpp"

// libpq's PGconn and PGresult; <libpq-fe.h> stays in pg_connection.cpp.
struct pg_conn;
struct pg_result;

namespace orgscim::plugin::pg {

using scim::store_errc;

/// Thrown inside a store only; guarded() turns it into its code.
struct db_failure {
    store_errc code;
};
/// SQLSTATE 40001 / 40P01: pool::write() runs the whole transaction again.
struct retry_failure {};
/// A body given a shared pipelined connection asked for a transaction or a utility statement:
/// pool::read_pipelined() runs it again on a connection of its own.
struct needs_session {};

class pipe;

[[noreturn]] void fail(store_errc c);
void log_pg(std::string_view what, const char* msg);

/// bytea as encode(x, 'hex') gives it, back to bytes; nullopt unless lowercase hex pairs.
std::optional<std::string> from_hex(std::string_view hex);

/// Bound parameters: text, except bytea which goes in binary. An empty optional binds NULL.
class params {
  public:
    params& text(std::string_view v);
    params& text(const std::string& v) { return text(std::string_view(v)); }
    params& text(const char* v) { return text(std::string_view(v)); }
    params& text(const std::optional<std::string>& v);
    params& int64(std::int64_t v);
    params& int64(std::optional<std::int64_t> v);
    params& boolean(bool v);
    params& bytes(std::string_view v);
    params& param(const sql::param& p);
    /// A text[] literal; every element quoted and escaped, so any id is safe to pass.
    params& text_array(const std::vector<std::string>& v);

    int size() const { return static_cast<int>(values_.size()); }
    std::vector<const char*> pointers() const;
    const int* lengths() const { return lengths_.data(); }
    const int* formats() const { return formats_.data(); }

  private:
    void add(std::string v, bool is_null, bool binary);
    std::vector<std::string> values_;
    std::vector<bool> nulls_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
};

/// The rows of one statement, in text format.
class result {
  public:
    explicit result(pg_result* r) : r_(r) {}
    ~result();
    result(result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    result(const result&) = delete;
    result& operator=(const result&) = delete;
    result& operator=(result&&) = delete;

    int rows() const;
    std::string_view text(int row, int col) const;
    bool is_null(int row, int col) const;
    std::int64_t int64(int row, int col) const;
    std::optional<std::int64_t> opt_int64(int row, int col) const;
    /// Rows an INSERT / UPDATE / DELETE touched.
    std::int64_t affected() const;
    pg_result* raw() const { return r_; }

  private:
    pg_result* r_;
};

/// One session. Every failing statement throws: db_failure{conflict} on a unique violation
/// (23505, not logged), retry_failure on 40001 / 40P01, db_failure{unavailable} when the
/// connection is lost or the server is out of resources, shutting down or past lock_timeout /
/// statement_timeout, db_failure{internal} otherwise; all but the first two are logged.
class connection {
  public:
    /// Throws db_failure{unavailable} when the server cannot be reached.
    connection(const std::string& uri, const postgres_config& cfg);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Connected and outside any transaction: fit to go back to the pool.
    bool reusable() const;
    /// Inside a transaction (also one that a failed statement has aborted).
    bool in_transaction() const;
    /// How a statement is planned: `by_text` guesses from the SQL whether the best plan depends
    /// on the parameter values (plans_per_call); `reusable` is the caller's word that it does
    /// not (lookups by key, however the SQL reads).
    enum class plan { by_text, reusable };
    /// The guess of `by_text`: whether the best plan of `sql` depends on its parameter values.
    static bool plans_per_call(std::string_view sql);
    /// Runs a statement. One whose best plan depends on its parameter values is planned for each
    /// call; any other is prepared on this connection the first time, so PostgreSQL can reuse a
    /// generic plan for it.
    result run(const std::string& sql, const params& p = {}, plan how = plan::by_text);
    /// Utility statements (BEGIN, COMMIT, DDL) that cannot be prepared.
    void exec(const std::string& sql);
    void rollback_quietly();
    /// Runs utility statements, ignoring failure (a rollback on the way out).
    void exec_quietly(const char* sql);
    /// A savepoint inside the open transaction, and its end. Releasing one is owed rather than
    /// sent: it rides on the next savepoint's round trip, and COMMIT or ROLLBACK releases it
    /// anyway, so a unit of work's store calls cost one round trip each fewer (a PostgreSQL
    /// directory write holds its tree's lock across them until COMMIT). Throw as exec() does.
    void savepoint();
    void release_savepoint();
    /// Rolls the newest savepoint back and releases it, ignoring failure.
    void rollback_savepoint_quietly();

  private:
    friend class pipe;
    pg_conn* c_ = nullptr;
    pipe* pipe_ = nullptr;  // set on a pipe's connection: run() goes through the pipe
    std::unordered_map<std::string, std::string> prepared_;  // SQL -> name, "" = per call
    bool release_owed_ = false;  // a savepoint its transaction committed is still open
};

/// Opened with `begin` ("BEGIN", "BEGIN ISOLATION LEVEL ..."), or as a SAVEPOINT when the
/// connection is already inside a transaction (a store call inside a unit of work, which keeps
/// the unit's isolation); rolled back unless committed.
class transaction {
  public:
    transaction(connection& c, const char* begin);
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    void commit();

  private:
    connection& c_;
    bool nested_ = false;
    bool done_ = false;
};

/// Runs `f` (which returns a store_result) and maps driver failures to error values: the
/// db_failure's code, unavailable for a serialization failure, internal (logged) for any other
/// exception but std::bad_alloc.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const db_failure& e) {
        return e.code;
    } catch (const retry_failure&) {
        log_pg("read", "serialization failure");
        return store_errc::unavailable;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        log_pg("unexpected", e.what());
        return store_errc::internal;
    }
}

/// Connections to one database, at most postgres_config::pool_size at a time; a broken
/// connection is dropped and replaced on demand. Waiting longer than connect_timeout_ms for a
/// free connection is db_failure{unavailable}.
class pool {
  public:
    pool(const postgres_config& cfg, std::string uri);
    ~pool();
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    /// A pooled connection for as long as it lives; throws like connection.
    class lease {
      public:
        explicit lease(pool& p);
        ~lease();
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        connection& operator*() { return *c_; }
        connection* operator->() { return c_.get(); }

      private:
        pool& p_;
        std::unique_ptr<connection> c_;
    };

    /// Runs `body(connection&)` (which returns a store_result) on a leased connection in
    /// autocommit; `body` may open a transaction of its own. Driver failures come back as
    /// guarded() maps them.
    template <class F>
    auto read(F&& body) -> decltype(body(std::declval<connection&>())) {
        using R = decltype(body(std::declval<connection&>()));
        if (connection* u = unit_connection()) {
            // Inside a unit of work that has written: on its connection, so the read sees its
            // writes; in a savepoint, so a failed read does not abort the unit.
            return guarded([&]() -> R {
                return in_unit([&]() -> R {
                    transaction t(*u, "BEGIN");
                    auto r = body(*u);
                    t.commit();
                    return r;
                });
            });
        }
        return guarded([&]() -> R {
            lease l(*this);
            return body(*l);
        });
    }

    /// read() for a body that only reads and may run more than once. On a thread with a waiter
    /// (a coroutine of the HTTP host) and outside a unit of work, its statements go through
    /// this thread's pipe, which other coroutines of the thread share, and it waits without
    /// holding the thread; a body that opens a transaction is run again through read().
    template <class F>
    auto read_pipelined(F&& body) -> decltype(body(std::declval<connection&>())) {
        using R = decltype(body(std::declval<connection&>()));
        waiter* w = waiter::current();
        if (w == nullptr || !cfg_.pipeline_reads || joins_unit()) return read(body);
        try {
            return guarded([&]() -> R {
                std::shared_ptr<pipe> p = pipe_for_this_thread();
                return body(pipe_connection(*p));
            });
        } catch (const needs_session&) {
            return read(body);
        }
    }

    /// Runs `body(connection&)` in a READ COMMITTED transaction, again (up to 3 times in all)
    /// after a serialization failure or deadlock, then unavailable; an error value from `body`
    /// rolls back. Other driver failures come back as guarded() maps them.
    template <class F>
    auto write(F&& body) -> decltype(body(std::declval<connection&>())) {
        return in_transaction("BEGIN", std::forward<F>(body));
    }

    /// The same with another BEGIN (e.g. "BEGIN ISOLATION LEVEL SERIALIZABLE").
    template <class F>
    auto in_transaction(const char* begin, F&& body)
        -> decltype(body(std::declval<connection&>())) {
        using R = decltype(body(std::declval<connection&>()));
        if (joins_unit()) {
            // A savepoint in this thread's unit of work (its first write begins it); a
            // serialization failure or deadlock dooms the whole unit, which its owner runs again.
            return guarded([&]() -> R {
                return in_unit([&]() -> R {
                    connection& u = unit_begin();
                    transaction t(u, begin);
                    auto r = body(u);
                    if (r.has_value()) t.commit();
                    return r;
                });
            });
        }
        return guarded([&]() -> R {
            for (int attempt = 0; attempt < 3; ++attempt) {
                try {
                    lease l(*this);
                    transaction t(*l, begin);
                    auto r = body(*l);
                    if (r.has_value()) t.commit();
                    return r;
                } catch (const retry_failure&) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(5 * (attempt + 1)));
                }
            }
            log_pg("write", "serialization failure or deadlock after 3 attempts");
            return store_errc::unavailable;
        });
    }

    /// For a store opened on a database postgres_store has migrated: throws startup_error when
    /// the database cannot be read or has no migration `version` (`tables` names what it adds).
    void require_migration(int version, std::string_view tables);

    /// Applies the pending `migrations` under an advisory lock, so that several processes
    /// starting together apply each one once; returns the versions this call applied. Throws
    /// db_failure or retry_failure.
    std::vector<int> migrate(std::span<const sql::migration> migrations, std::int64_t now_ms);

  private:
    friend class unit;
    std::unique_ptr<connection> acquire();
    void release(std::unique_ptr<connection> c);

    // This thread's unit of work on this database (same URI, whichever store's pool opened it).
    bool joins_unit() const noexcept;
    connection* unit_connection() const noexcept;  // once the unit has written, else null
    connection& unit_begin();                      // throws db_failure
    static void doom_unit() noexcept;
    std::shared_ptr<pipe> pipe_for_this_thread();  // throws db_failure
    static connection& pipe_connection(pipe& p) noexcept;
    template <class G>
    static auto in_unit(G&& g) -> decltype(g()) {
        try {
            return g();
        } catch (const retry_failure&) {
            doom_unit();
            return store_errc::unavailable;
        }
    }

    postgres_config cfg_;
    std::string uri_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<connection>> idle_;
    unsigned open_ = 0;
    // One pipe per thread that has read through one (the HTTP host's I/O threads), beside the
    // pool's connections.
    std::mutex pipes_mu_;
    std::unordered_map<std::thread::id, std::shared_ptr<pipe>> pipes_;
};

/// One connection in libpq's pipeline mode, shared by the coroutines of one thread. A coroutine
/// queues its statement and waits through its waiter; whichever coroutine waits on the socket
/// first sends what is queued behind one sync, and the results come back in the order queued.
/// So while one batch is out, the statements of the thread's other requests gather into the
/// next, and PostgreSQL reads and answers each batch in one wake-up of its backend instead of
/// one per statement (docs/performance.md). Statements run in autocommit; one skipped because
/// another of its batch failed is sent again. Only its thread uses it; a lost connection fails
/// every statement in flight (unavailable) and the pool replaces the pipe.
class pipe {
  public:
    /// Throws db_failure{unavailable} when the server cannot be reached.
    pipe(const std::string& uri, const postgres_config& cfg);
    ~pipe();
    pipe(const pipe&) = delete;
    pipe& operator=(const pipe&) = delete;

    /// Throws like connection::run; waits through waiter::current().
    result run(const std::string& sql, const params& p, connection::plan how);
    bool broken() const noexcept { return broken_; }

  private:
    friend class pool;
    struct slot;
    void read_until(slot& mine, waiter& w);
    void take_results();
    bool sync() noexcept;  // false: the connection is lost (fail_all done)
    void fail_all() noexcept;

    connection c_;
    // Statements (and null for a sync) in the order queued: the order the results come back.
    std::deque<slot*> sent_;
    bool unsynced_ = false;  // statements queued since the last sync
    bool reading_ = false;   // one coroutine waits on the socket; the others park
    bool broken_ = false;
    unsigned names_ = 0;  // prepared statement names handed out
};

/// PostgreSQL's side of backend.hpp's unit_of_work: the writes, and reads, that this thread makes
/// through any store on the same database while it is open run in one READ COMMITTED transaction
/// on a connection leased from `p` at the first write; each store call inside is a savepoint. At
/// most one per thread: a unit opened inside another joins it (commit() does nothing there).
class unit {
  public:
    explicit unit(pool& p);
    ~unit();
    unit(const unit&) = delete;
    unit& operator=(const unit&) = delete;
    /// Commits what was written. Throws db_failure, or retry_failure (then retry() is true).
    void commit();
    /// A statement inside failed with a serialization failure or a deadlock: roll back and run
    /// the whole unit again.
    bool retry() const noexcept { return retry_; }

  private:
    friend class pool;
    pool& p_;
    std::optional<pool::lease> lease_;
    sql::thread_unit<unit> slot_;
    bool done_ = false;
    bool retry_ = false;
};

/// The URI of cfg (from the environment variable it names). Throws startup_error when unset.
std::string uri_from_env(const postgres_config& cfg);

}  // namespace orgscim::plugin::pg
