#pragma once
// What every SQLite store of orgscim does the same way: open a connection, run cached prepared
// statements, hold a transaction, apply migrations, and turn driver errors into store_errc.
// Each store keeps only its SQL and its rules. Nothing here locks: a connection is used by one
// thread at a time under its owner's mutex (and the file's gate around writes).

#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <orgscim/scim/store.hpp>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sql/migrator.hpp"
#include "sql/thread_unit.hpp"
#include "sqlite/write_gate.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace orgscim::plugin::sqlite {

/// A driver error (or a store rule that fails mid-statement), thrown inside the SQLite code and
/// never across a store's interface: guarded() turns it into its code.
struct db_failure {
    scim::store_errc code;
    std::string where;    ///< "open", "prepare", "step", ...; empty when not the driver's
    std::string message;  ///< SQLite's message, for the log (or an operator's transfer_error)
};

/// Throws db_failure{c} without a driver message (nothing is logged for it).
[[noreturn]] void fail(scim::store_errc c);

/// Turns off SQLite's allocation statistics before its first use (see the .cpp). False when
/// SQLite is already initialized in this process, and nothing changed.
bool disable_memory_statistics();

/// Logs a driver failure unless it is a uniqueness conflict (the client's doing, answered 409).
void report(const db_failure& e);
void report_unexpected(const std::exception& e);

/// Runs f; a db_failure becomes its code, any other exception but bad_alloc becomes internal.
/// Both are logged here, where the error becomes a value.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const db_failure& e) {
        report(e);
        return e.code;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        report_unexpected(e);
        return scim::store_errc::internal;
    }
}

/// guarded() under `mu`, for a store whose callers share one connection.
template <class F>
auto guarded(std::mutex& mu, F&& f) -> decltype(f()) {
    std::lock_guard lk(mu);
    return guarded(std::forward<F>(f));
}

/// The pragmas of one connection, which differ by what the connection is for. Always set:
/// extended result codes (tells a duplicate key from other constraints) and the busy timeout.
struct connection_options {
    unsigned busy_timeout_ms = 5000;
    bool create = false;               ///< create the file if missing (only whoever migrates)
    bool wal = false;                  ///< journal_mode=WAL, which the file then keeps
    std::string synchronous = {};      ///< per connection; empty leaves SQLite's FULL
    bool checkpoint_backstop = false;  ///< wal_autocheckpoint=16000, see checkpointer.hpp
    bool map_pages = false;            ///< reads through the shared mapping (shared_map_vfs.hpp)
    /// A 16 MiB page cache instead of 2: for the file's main writer, whose cache stays valid
    /// between its transactions (every unit of work runs on it), not for every connection.
    bool large_cache = false;
    bool foreign_keys = false;
    bool read_only = false;  ///< query_only=1
};

class connection {
  public:
    /// Throws db_failure (code unavailable or internal) when the file cannot be opened or a
    /// pragma fails.
    connection(const std::string& path, const connection_options& opts);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Runs SQL without results (pragmas, DDL, migrations). Throws db_failure.
    void exec(const std::string& sql);
    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    std::int64_t changes() const noexcept;
    std::int64_t last_insert_rowid() const noexcept;

  private:
    friend class stmt;
    friend class transaction;
    friend class unit;
    friend class write_scope;
    friend class file_gate;
    sqlite3_stmt* prepare(std::string_view sql);
    [[noreturn]] void fail(int rc, std::string_view where) const;

    struct sql_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept;
    };
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*, sql_hash, std::equal_to<>> cache_;
    int in_use_ = 0;  // statements alive; the cache is never emptied under them
};

/// A cached prepared statement in use: bound, stepped, and reset when it goes out of scope.
/// Every call throws db_failure on a driver error.
class stmt {
  public:
    stmt(connection& c, std::string_view sql);
    ~stmt();
    stmt(const stmt&) = delete;
    stmt& operator=(const stmt&) = delete;

    stmt& bind(int i, std::string_view v);
    stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    stmt& bind(int i, std::int64_t v);
    stmt& bind(int i, const std::optional<std::string>& v);  ///< NULL when empty
    stmt& bind(int i, std::optional<std::int64_t> v);        ///< NULL when empty
    stmt& bind_blob(int i, std::string_view v);
    stmt& bind_null(int i);

    /// True while there is a row.
    bool step();
    void run();

    /// Column values of the current row; views last until the next step().
    std::string_view view(int col) const;
    std::string text(int col) const { return std::string(view(col)); }
    std::string_view blob(int col) const;
    std::int64_t int64(int col) const;
    bool is_null(int col) const;
    std::optional<std::string> opt_text(int col) const;
    std::optional<std::int64_t> opt_int64(int col) const;

  private:
    void check(int rc);
    connection& c_;
    sqlite3_stmt* st_;
};

/// BEGIN IMMEDIATE (write: takes the file's write lock now, so a read-then-write cannot fail
/// with SQLITE_BUSY halfway) or a deferred BEGIN (one snapshot for several reads); a SAVEPOINT
/// when the connection is already inside a transaction (a store call inside a unit). Rolled back
/// on scope exit unless committed. Throws db_failure.
class transaction {
  public:
    transaction(connection& c, bool write);
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    void commit();

  private:
    connection& c_;
    bool nested_ = false;
    bool done_ = false;
};

/// One unit of work on a database file: the writes, and the reads, that this thread makes through
/// any orgscim store of the file while the unit is open run in one transaction on `c`, so that a
/// SCIM write and its follow-up in the organization directory commit or roll back together. The
/// transaction begins at the unit's first store call, read or write (the file's gate, then BEGIN
/// IMMEDIATE, both held until the unit ends), so a unit that calls no store never takes the
/// write lock; each store call inside is a savepoint, so a failed one leaves the rest. Rolled
/// back unless committed. At most one per thread: another unit opened inside it joins it
/// (commit() does nothing there).
///
/// Group commit: when other units wait at the gate, a finished unit leaves its work in the open
/// transaction, hands the gate on and waits; the unit that finds nobody waiting (or the 64th)
/// commits for all of them. A unit that joins an open transaction runs in a savepoint of its
/// own, so its failure takes only its own writes. commit() returns once the work is committed:
/// a shared COMMIT that fails fails every unit in it, and none of their work stays. In a
/// coroutine (plugin::waiter::current(), the server's writer thread) a finished unit always
/// leaves its work open and yields once: the other coroutines ready on the thread add theirs,
/// and the first to come back commits (no thread hand-over between them).
///
/// A `rerunnable` unit is one whose caller runs it again from the start when rerun() says so
/// (plugin::unit_of_work::retry()). It goes without savepoints: SQLite copies every page that a
/// savepoint's writes change first into a sub-journal, 12 % of the writer's time in a POST
/// (docs/performance.md). A store call inside it that fails after writing, or the unit left
/// uncommitted after writing, cannot be undone alone, so the whole transaction is rolled back:
/// the unit and the rerunnable units that left their work in it are asked to run again (their
/// commit() throws db_failure unavailable and rerun() is true). A rerunnable unit joins without
/// a savepoint only a transaction that holds rerunnable units alone, so running it again (not
/// rerunnable) never costs anyone else their work.
class unit {
  public:
    unit(file_gate& gate, connection& c, bool rerunnable = false);
    ~unit();
    unit(const unit&) = delete;
    unit& operator=(const unit&) = delete;
    /// Commits what the unit wrote (nothing when it wrote nothing). Throws db_failure, also
    /// when the COMMIT that the unit shared with others failed, or its work was rolled back to
    /// be run again (rerun()).
    void commit();
    /// True when the unit must run again from the start, and then can succeed: one of its store
    /// calls failed after writing (commit() then rolls its work back and throws), or another
    /// unit's did in their shared transaction.
    bool rerun() const noexcept { return spoiled_ || batch_rerun_; }

  private:
    friend class write_scope;
    friend connection* unit_connection(const file_gate& gate);
    void begin();
    void leave() noexcept;  // hands the gate on after the unit's last statement
    bool wrote() const noexcept;
    void undo() noexcept;  // rolls back what the unit wrote, and hands the gate on

    file_gate& gate_;
    connection& c_;
    sql::thread_unit<unit> slot_;
    bool rerunnable_ = false;
    bool begun_ = false;
    bool done_ = false;
    bool in_savepoint_ = false;  // joined a transaction that holds other units' work
    bool spoiled_ = false;       // a store call failed after writing, with no savepoint to undo it
    bool batch_rerun_ = false;   // the shared transaction was rolled back for another unit
    std::int64_t changes_at_begin_ = 0;  // sqlite3_total_changes64 when the unit began
};

/// The connection of this thread's open unit on the file of `gate`, beginning the unit's
/// transaction if this is its first store call; null outside a unit. Reads inside a unit go
/// there, not to a read connection: they see the unit's writes, and they use the writer's page
/// cache, which stays valid, where a read connection drops its cache and its mapping every time
/// another connection has committed (a write request paid that, in munmap and page faults, on
/// each read before its first write). Throws db_failure (BEGIN IMMEDIATE failed).
connection* unit_connection(const file_gate& gate);

/// What a store's write runs in: a savepoint in this thread's unit on the file of `gate` (which
/// begins the unit's transaction if this is its first write; in a rerunnable unit no savepoint,
/// and a scope that ends uncommitted after writing spoils the unit), else `own` in BEGIN
/// IMMEDIATE under the gate, with `own_mu` (the store's lock of `own`, if any) taken after the
/// gate. Rolled back on scope exit unless committed. Throws db_failure.
class write_scope {
  public:
    write_scope(file_gate& gate, connection& own, std::mutex* own_mu = nullptr);
    ~write_scope();
    write_scope(const write_scope&) = delete;
    write_scope& operator=(const write_scope&) = delete;
    connection& conn() noexcept { return *c_; }
    void commit();

  private:
    std::unique_lock<file_gate> gate_lock_;
    std::unique_lock<std::mutex> own_lock_;
    connection* c_ = nullptr;
    std::optional<transaction> t_;
    unit* bare_in_ = nullptr;  // the rerunnable unit this scope writes in without a savepoint
    std::int64_t changes_at_start_ = 0;
    bool committed_ = false;
};

/// A store's connection to a file that open_backend() has migrated to at least `min_version`
/// (0: not checked). Throws startup_error naming the file, and `tables` when it is older.
std::unique_ptr<connection> open_store(const std::string& path,
                                       const connection_options& opts,
                                       int min_version,
                                       std::string_view tables);

/// The version in schema_migrations; 0 when the file has never been migrated.
int schema_version(connection& c);

/// Applies the pending migrations of `all`, the version read and every migration under one
/// BEGIN IMMEDIATE, so concurrent migrators apply each migration once. Returns the versions
/// applied. Throws db_failure, or startup_error when the file is newer than `all`.
std::vector<int> migrate(connection& c, std::span<const sql::migration> all, std::int64_t now_ms);

}  // namespace orgscim::plugin::sqlite
