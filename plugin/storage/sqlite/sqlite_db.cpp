#include "sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/waiter.hpp>
#include <orgscim/scim/text.hpp>
#include <string>
#include <string_view>

#include "sql/records.hpp"
#include "sqlite/shared_map_vfs.hpp"

namespace orgscim::plugin::sqlite {

using scim::store_errc;

namespace {

store_errc map_code(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
            return store_errc::unavailable;
        case SQLITE_CONSTRAINT:
            // Only a duplicate key is the client's doing; NOT NULL or CHECK failures are ours.
            return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
                       ? store_errc::conflict
                       : store_errc::internal;
        default:
            return store_errc::internal;
    }
}

// Statements are prepared once per connection; sqlite_store builds SQL per filter shape, so the
// cache is bounded.
constexpr std::size_t max_cached_statements = 512;

// scim_fold(text): scim::fold_case() for the filters that compare stored JSON values
// (sql/filter_to_sql.cpp); SQLite's lower() folds ASCII only.
void scim_fold(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    const int n = sqlite3_value_bytes(argv[0]);
    if (p == nullptr) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    thread_local std::string folded;
    folded.clear();
    scim::fold_case_append(std::string_view(p, static_cast<std::size_t>(n)), folded);
    sqlite3_result_text(ctx, folded.data(), static_cast<int>(folded.size()), SQLITE_TRANSIENT);
}

// Switching a file to WAL can answer SQLITE_BUSY at once, without the busy handler, while
// another connection is creating the same file (four migrators starting together hit it about
// once in fifty rounds on a loaded machine), so the switch is retried for the busy timeout.
int enter_wal(sqlite3* db, unsigned busy_timeout_ms) {
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
    for (;;) {
        const int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
        if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= until) return rc;
        sqlite3_sleep(1);
    }
}

}  // namespace

// With statistics on (SQLite's default), every sqlite3_malloc and sqlite3_free takes one global
// mutex to count bytes, so the server's threads queue on it: a GET made 1.2 futex calls, nearly
// all from inside sqlite3Malloc (perf, docs/performance.md). orgscim never reads the statistics.
bool disable_memory_statistics() { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }

void fail(store_errc c) { throw db_failure{c, {}, {}}; }

void report(const db_failure& e) {
    if (e.where.empty() || e.code == store_errc::conflict) return;
    sql::log_driver_error("sqlite", e.where, e.message);
}

void report_unexpected(const std::exception& e) {
    sql::log_driver_error("sqlite", "unexpected", e.what());
}

// --- connection ------------------------------------------------------------------------------

connection::connection(const std::string& path, const connection_options& opts) {
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (opts.create ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, shared_map_vfs());
    if (rc != SQLITE_OK) {
        const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);  // a failed open still allocates a handle
        throw db_failure{map_code(rc), "open", why};
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(opts.busy_timeout_ms));
    try {
        const int frc = sqlite3_create_function_v2(
            db_, "scim_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
            scim_fold, nullptr, nullptr, nullptr);
        if (frc != SQLITE_OK) fail(frc, "create_function");
        if (opts.wal) {
            if (const int rc = enter_wal(db_, opts.busy_timeout_ms); rc != SQLITE_OK)
                fail(rc, "exec");
        }
        if (!opts.synchronous.empty()) exec("PRAGMA synchronous=" + opts.synchronous);
        // sqlite::checkpointer copies frames off the request path; this backstop, in a writer's
        // own commit, finds them copied and lets the next write restart the WAL, which a
        // checkpoint racing continuous writers never does.
        if (opts.checkpoint_backstop) exec("PRAGMA wal_autocheckpoint=16000");
        // Savepoints (every store call inside a unit of work, docs/storage.md) keep the pages
        // they change in a sub-journal: in memory instead of a temporary file, where a Bulk of
        // 1,000 operations spent a third of its time in pwrite.
        if (!opts.read_only) exec("PRAGMA temp_store=MEMORY");
        if (opts.large_cache) exec("PRAGMA cache_size=-16384");
        // Pages are read through a mapping instead of a pread per page: every write by another
        // connection empties this connection's page cache. The mapping is the file's, shared
        // by its connections and kept across their transactions (shared_map_vfs.hpp).
        if (opts.map_pages) exec("PRAGMA mmap_size=" + std::to_string(shared_map_bytes));
        if (opts.foreign_keys) exec("PRAGMA foreign_keys=ON");
        if (opts.read_only) exec("PRAGMA query_only=1");
    } catch (...) {
        sqlite3_close_v2(db_);
        throw;
    }
}

connection::~connection() {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
}

std::size_t connection::sql_hash::operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
}

void connection::fail(int rc, std::string_view where) const {
    throw db_failure{map_code(rc), std::string(where), sqlite3_errmsg(db_)};
}

void connection::exec(const std::string& sql) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, "exec");
}

std::int64_t connection::changes() const noexcept { return sqlite3_changes(db_); }

std::int64_t connection::last_insert_rowid() const noexcept {
    return sqlite3_last_insert_rowid(db_);
}

sqlite3_stmt* connection::prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    // Emptied only between calls: a statement still in use would be finalized under its owner.
    if (cache_.size() >= max_cached_statements && in_use_ == 0) {
        for (auto& [text, st] : cache_) sqlite3_finalize(st);
        cache_.clear();
    }
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) fail(rc, "prepare");
    cache_.emplace(std::string(sql), st);
    return st;
}

// --- stmt ------------------------------------------------------------------------------------

stmt::stmt(connection& c, std::string_view sql) : c_(c), st_(c.prepare(sql)) { ++c_.in_use_; }

stmt::~stmt() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    --c_.in_use_;
}

void stmt::check(int rc) {
    if (rc != SQLITE_OK) c_.fail(rc, "bind");
}

stmt& stmt::bind(int i, std::string_view v) {
    check(sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
}

stmt& stmt::bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(st_, i, v));
    return *this;
}

stmt& stmt::bind(int i, const std::optional<std::string>& v) {
    return v ? bind(i, std::string_view(*v)) : bind_null(i);
}

stmt& stmt::bind(int i, std::optional<std::int64_t> v) { return v ? bind(i, *v) : bind_null(i); }

stmt& stmt::bind_blob(int i, std::string_view v) {
    check(sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
}

stmt& stmt::bind_null(int i) {
    check(sqlite3_bind_null(st_, i));
    return *this;
}

bool stmt::step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    c_.fail(sqlite3_extended_errcode(c_.db_), "step");
}

void stmt::run() {
    while (step()) {
    }
}

std::string_view stmt::view(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p == nullptr
               ? std::string_view()
               : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col)));
}

std::string_view stmt::blob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(st_, col));
    return p == nullptr
               ? std::string_view()
               : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col)));
}

std::int64_t stmt::int64(int col) const { return sqlite3_column_int64(st_, col); }

bool stmt::is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

std::optional<std::string> stmt::opt_text(int col) const {
    if (is_null(col)) return std::nullopt;
    return text(col);
}

std::optional<std::int64_t> stmt::opt_int64(int col) const {
    if (is_null(col)) return std::nullopt;
    return int64(col);
}

// --- transaction -----------------------------------------------------------------------------

transaction::transaction(connection& c, bool write)
    : c_(c), nested_(sqlite3_get_autocommit(c.db_) == 0) {
    stmt(c_, nested_ ? "SAVEPOINT nested" : (write ? "BEGIN IMMEDIATE" : "BEGIN")).run();
}

transaction::~transaction() {
    if (done_) return;
    // Also after a failed COMMIT (SQLITE_BUSY leaves the transaction open). A savepoint is
    // rolled back and then released, so the enclosing transaction goes on without it.
    sqlite3_exec(c_.db_, nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK", nullptr,
                 nullptr, nullptr);
}

void transaction::commit() {
    stmt(c_, nested_ ? "RELEASE nested" : "COMMIT").run();
    done_ = true;
}

// --- unit and the gate's group commit --------------------------------------------------------

namespace {
// A shared COMMIT waits for every unit in it, so the first one's answer waits for the others'
// work: this bounds that wait, and the transaction's size.
constexpr int max_units_per_commit = 64;
}  // namespace

void file_gate::lock() {
    mu_.lock();
    if (++depth_ == 1) end_batch(true);
}

void file_gate::unlock() {
    --depth_;
    mu_.unlock();
}

void file_gate::acquire_for_unit() {
    units_waiting_.fetch_add(1, std::memory_order_relaxed);
    mu_.lock();
    units_waiting_.fetch_sub(1, std::memory_order_relaxed);
    ++depth_;
}

void file_gate::end_batch(bool commit, bool rerun) noexcept {
    if (open_ == nullptr) return;
    std::optional<store_errc> failed;
    if (commit) {
        const int rc = sqlite3_exec(open_->db_, "COMMIT", nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) {
            const db_failure e{map_code(rc), "commit", sqlite3_errmsg(open_->db_)};
            report(e);
            failed = e.code;
        }
    }
    // Also after a failed COMMIT (SQLITE_BUSY leaves the transaction open).
    if (!commit || failed) sqlite3_exec(open_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
    if (finished_ > 1) shared_.fetch_add(static_cast<std::uint64_t>(finished_));
    {
        std::lock_guard lk(done_mu_);
        current_->done = true;
        current_->failed = failed;
        current_->rerun = rerun;
    }
    done_cv_.notify_all();
    current_ = std::make_shared<batch>();
    finished_ = 0;
    open_ = nullptr;
}

void file_gate::pass_on() noexcept {
    // Whoever waits in acquire_for_unit() takes the gate next and either joins the open
    // transaction or ends it (another connection); lock() ends it for every other writer.
    if (finished_ > 0 && finished_ < max_units_per_commit &&
        units_waiting_.load(std::memory_order_relaxed) > 0)
        return;
    end_batch(finished_ > 0);
}

void file_gate::leave_open() noexcept {
    if (finished_ >= max_units_per_commit) end_batch(true);
    unlock();
}

void file_gate::finish(const std::shared_ptr<batch>& b) {
    bool done = false;
    {
        std::lock_guard lk(done_mu_);
        done = b->done;
    }
    if (!done) {
        // Batches end in order, so the open one is `b`: lock() commits it.
        lock();
        unlock();
    }
    wait_for(b);
}

void file_gate::wait_for(const std::shared_ptr<batch>& b) {
    std::unique_lock lk(done_mu_);
    done_cv_.wait(lk, [&] { return b->done; });
    if (b->failed) fail(*b->failed);
    if (b->rerun) {
        throw db_failure{store_errc::unavailable, "commit",
                         "another unit failed after writing in the shared transaction"};
    }
}

unit::unit(file_gate& gate, connection& c, bool rerunnable)
    : gate_(gate), c_(c), slot_(this), rerunnable_(rerunnable) {}

unit::~unit() {
    if (slot_.joined() || !begun_ || done_) return;
    undo();
}

bool unit::wrote() const noexcept { return sqlite3_total_changes64(c_.db_) != changes_at_begin_; }

void unit::undo() noexcept {
    if (in_savepoint_) {
        sqlite3_exec(c_.db_, "ROLLBACK TO unit; RELEASE unit", nullptr, nullptr, nullptr);
    } else if (gate_.finished_ > 0 && wrote()) {  // a spoiled unit has written too
        // No savepoint to go back to: the transaction goes, and with it the work that the
        // (rerunnable) units before this one left in it; they run again.
        gate_.end_batch(false, true);
    }
    // Else this unit began the transaction, so pass_on() rolls back the unit's work alone, or
    // it wrote nothing and the others' work goes on.
    done_ = true;
    leave();
}

void unit::leave() noexcept {
    gate_.pass_on();
    gate_.unlock();
}

void unit::begin() {
    gate_.acquire_for_unit();
    try {
        if (gate_.open_ != nullptr && gate_.open_ != &c_) gate_.end_batch(true);
        if (gate_.open_ == nullptr) {
            stmt(c_, "BEGIN IMMEDIATE").run();
            gate_.open_ = &c_;
            gate_.rerunnable_only_ = rerunnable_;
        } else if (!rerunnable_ || !gate_.rerunnable_only_) {
            stmt(c_, "SAVEPOINT unit").run();
            in_savepoint_ = true;
            gate_.rerunnable_only_ = false;
        }
    } catch (...) {
        leave();
        throw;
    }
    changes_at_begin_ = sqlite3_total_changes64(c_.db_);
    begun_ = true;
}

void unit::commit() {
    if (slot_.joined() || done_) return;
    if (!begun_) {
        done_ = true;
        return;
    }
    if (spoiled_) {
        undo();
        throw db_failure{store_errc::unavailable, "commit",
                         "a store call failed after writing; the unit runs again"};
    }
    if (in_savepoint_) stmt(c_, "RELEASE unit").run();
    done_ = true;
    auto mine = gate_.current_;
    ++gate_.finished_;
    try {
        if (waiter* w = waiter::current()) {
            // A request's coroutine (the server's writer thread): the writes of the coroutines
            // ready on this thread join the open transaction while this one yields, with no
            // thread to wake; the first of them to come back with it still open commits it for
            // all.
            slot_.release();
            gate_.leave_open();
            w->yield();
            gate_.finish(mine);
            return;
        }
        leave();
        gate_.wait_for(mine);
    } catch (const db_failure&) {
        batch_rerun_ = mine->rerun;  // read after wait_for() saw the batch done
        throw;
    }
}

connection* unit_connection(const file_gate& gate) {
    unit* u = sql::thread_unit<unit>::open();
    if (u == nullptr || u->done_ || &u->gate_ != &gate) return nullptr;
    if (!u->begun_) u->begin();
    return &u->c_;
}

write_scope::write_scope(file_gate& gate, connection& own, std::mutex* own_mu) {
    if (unit* u = sql::thread_unit<unit>::open(); u != nullptr && &u->gate_ == &gate && !u->done_) {
        if (!u->begun_) u->begin();
        c_ = &u->c_;
        if (u->rerunnable_) {
            bare_in_ = u;
            changes_at_start_ = sqlite3_total_changes64(c_->db_);
            return;
        }
    } else {
        gate_lock_ = std::unique_lock(gate);
        if (own_mu != nullptr) own_lock_ = std::unique_lock(*own_mu);
        c_ = &own;
    }
    t_.emplace(*c_, true);
}

write_scope::~write_scope() {
    // SQLite undoes a failed statement itself, and a statement counts its changes only when it
    // succeeds: a scope that changed no row has nothing to undo.
    if (bare_in_ != nullptr && !committed_ && sqlite3_total_changes64(c_->db_) != changes_at_start_)
        bare_in_->spoiled_ = true;
}

void write_scope::commit() {
    if (t_) t_->commit();
    committed_ = true;
}

// --- migrations ------------------------------------------------------------------------------

int schema_version(connection& c) {
    {
        stmt s(c,
               "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = "
               "'schema_migrations'");
        if (!s.step() || s.int64(0) == 0) return 0;
    }
    stmt s(c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    return s.step() ? static_cast<int>(s.int64(0)) : 0;
}

std::unique_ptr<connection> open_store(const std::string& path,
                                       const connection_options& opts,
                                       int min_version,
                                       std::string_view tables) {
    std::unique_ptr<connection> c;
    int version = 0;
    try {
        c = std::make_unique<connection>(path, opts);
        version = schema_version(*c);
    } catch (const db_failure& e) {
        report(e);
        throw startup_error("cannot open SQLite database " + path);
    }
    if (version < min_version) {
        throw startup_error("SQLite database " + path + " has no " + std::string(tables) +
                            " tables (migration " + std::to_string(min_version) +
                            "): open the backend first");
    }
    return c;
}

std::vector<int> migrate(connection& c, std::span<const sql::migration> all, std::int64_t now_ms) {
    c.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_ms INTEGER NOT NULL)");
    transaction t(c, true);
    std::vector<int> applied;
    for (const sql::migration* m : sql::pending_migrations(all, schema_version(c))) {
        try {
            c.exec(std::string(m->sql));
        } catch (db_failure& e) {
            e.where = "migration " + std::to_string(m->version);
            throw;
        }
        stmt(c, "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)")
            .bind(1, std::int64_t{m->version})
            .bind(2, now_ms)
            .run();
        applied.push_back(m->version);
    }
    t.commit();
    return applied;
}

}  // namespace orgscim::plugin::sqlite
