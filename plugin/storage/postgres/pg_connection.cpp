#include "postgres/pg_connection.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <utility>
#include <variant>

namespace orgscim::plugin::pg {

void fail(store_errc c) { throw db_failure{c}; }

void log_pg(std::string_view what, const char* msg) {
    sql::log_driver_error("postgresql", what, msg != nullptr ? msg : "(no message)");
}

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    const auto nibble = [](char ch) -> int {
        if (ch >= '0' && ch <= '9') return ch - '0';
        if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
        return -1;
    };
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = nibble(hex[i]);
        const int lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

// --- params ------------------------------------------------------------------------------------

params& params::text(std::string_view v) {
    add(std::string(v), false, false);
    return *this;
}

params& params::text(const std::optional<std::string>& v) {
    if (v) return text(*v);
    add({}, true, false);
    return *this;
}

params& params::int64(std::int64_t v) {
    add(std::to_string(v), false, false);
    return *this;
}

params& params::int64(std::optional<std::int64_t> v) {
    if (v) return int64(*v);
    add({}, true, false);
    return *this;
}

params& params::boolean(bool v) {
    add(v ? "true" : "false", false, false);
    return *this;
}

params& params::bytes(std::string_view v) {
    add(std::string(v), false, true);
    return *this;
}

params& params::param(const sql::param& p) {
    if (const auto* s = std::get_if<std::string>(&p)) return text(*s);
    return int64(std::get<std::int64_t>(p));
}

params& params::text_array(const std::vector<std::string>& v) {
    std::string lit = "{";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0) lit += ',';
        lit += '"';
        for (char ch : v[i]) {
            if (ch == '"' || ch == '\\') lit += '\\';
            lit += ch;
        }
        lit += '"';
    }
    lit += '}';
    add(std::move(lit), false, false);
    return *this;
}

std::vector<const char*> params::pointers() const {
    std::vector<const char*> out;
    for (std::size_t i = 0; i < values_.size(); ++i)
        out.push_back(nulls_[i] ? nullptr : values_[i].data());
    return out;
}

void params::add(std::string v, bool is_null, bool binary) {
    lengths_.push_back(static_cast<int>(v.size()));
    formats_.push_back(binary ? 1 : 0);
    nulls_.push_back(is_null);
    values_.push_back(std::move(v));
}

// --- result ------------------------------------------------------------------------------------

result::~result() { PQclear(r_); }

int result::rows() const { return PQntuples(r_); }

std::string_view result::text(int row, int col) const {
    return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
}

bool result::is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }

std::int64_t result::int64(int row, int col) const {
    return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}

std::optional<std::int64_t> result::opt_int64(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return int64(row, col);
}

std::int64_t result::affected() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }

// --- connection --------------------------------------------------------------------------------

namespace {

void check(PGconn* c, const result& r, ExecStatusType want, std::string_view what) {
    ExecStatusType st = PQresultStatus(r.raw());
    if (st == want || (want == PGRES_COMMAND_OK && st == PGRES_TUPLES_OK)) return;
    const char* state = PQresultErrorField(r.raw(), PG_DIAG_SQLSTATE);
    std::string_view s = state != nullptr ? state : "";
    if (s == "23505") fail(store_errc::conflict);  // the client's doing: no log line
    if (s == "40001" || s == "40P01") throw retry_failure{};
    log_pg(what, PQresultErrorMessage(r.raw()));
    // No SQLSTATE: libpq's own error (connection lost mid-statement), not the server's.
    if (PQstatus(c) != CONNECTION_OK || s.empty() || s.starts_with("08") || s.starts_with("53") ||
        s.starts_with("57") || s == "55P03") {
        fail(store_errc::unavailable);
    }
    fail(store_errc::internal);
}

}  // namespace

// Statements whose plan hinges on the values bound: an id list (= ANY of one id or of 1,000), a
// semi-join into a side table (a rare email vs a common one), a substring or pattern test. A
// generic plan made for average values picked scans for these, so they are planned per call.
// Every other statement (primary-key and hash lookups, equality filters and pages over
// (tenant, type, ...) indexes) gets the same plan whatever its values; planning it on every call
// (plan_cache_mode=force_custom_plan) cost more CPU than running it (docs/performance.md).
bool connection::plans_per_call(std::string_view sql) {
    for (std::string_view marker : {"ANY(", "IN (SELECT", "EXISTS (SELECT", "strpos(", " LIKE "})
        if (sql.find(marker) != std::string_view::npos) return true;
    return false;
}

connection::connection(const std::string& uri, const postgres_config& cfg) {
    std::string timeout = std::to_string(std::max(1u, (cfg.connect_timeout_ms + 999) / 1000));
    std::string options = "-c statement_timeout=" + std::to_string(cfg.statement_timeout_ms) +
                          " -c lock_timeout=" + std::to_string(cfg.statement_timeout_ms);
    const char* keys[] = {"dbname", "connect_timeout", "options", "application_name", nullptr};
    const char* values[] = {uri.c_str(), timeout.c_str(), options.c_str(), "orgscim", nullptr};
    c_ = PQconnectdbParams(keys, values, 1);
    if (c_ == nullptr || PQstatus(c_) != CONNECTION_OK) {
        log_pg("connect", c_ != nullptr ? PQerrorMessage(c_) : "out of memory");
        PQfinish(c_);
        c_ = nullptr;
        fail(store_errc::unavailable);
    }
    // NOTICEs ("relation already exists, skipping") are not worth a log line.
    PQsetNoticeProcessor(
        c_, [](void*, const char*) {}, nullptr);
}

connection::~connection() { PQfinish(c_); }

bool connection::in_transaction() const {
    if (pipe_ != nullptr) return false;
    const auto st = PQtransactionStatus(c_);
    return st == PQTRANS_INTRANS || st == PQTRANS_INERROR;
}

void connection::exec_quietly(const char* sql) {
    if (pipe_ == nullptr && PQstatus(c_) == CONNECTION_OK) PQclear(PQexec(c_, sql));
}

bool connection::reusable() const {
    return PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) == PQTRANS_IDLE;
}

result connection::run(const std::string& sql, const params& p, plan how) {
    if (pipe_ != nullptr) return pipe_->run(sql, p, how);
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
        std::string name;
        if (how == plan::reusable || !plans_per_call(sql)) {
            name = "s" + std::to_string(prepared_.size() + 1);
            result prep(PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr));
            check(c_, prep, PGRES_COMMAND_OK, "prepare");
        }
        it = prepared_.emplace(sql, std::move(name)).first;
    }
    auto ptrs = p.pointers();
    // The unnamed statement of PQexecParams is planned with this call's values.
    result r(it->second.empty() ? PQexecParams(c_, sql.c_str(), p.size(), nullptr, ptrs.data(),
                                               p.lengths(), p.formats(), 0)
                                : PQexecPrepared(c_, it->second.c_str(), p.size(), ptrs.data(),
                                                 p.lengths(), p.formats(), 0));
    check(c_, r, PQresultStatus(r.raw()) == PGRES_TUPLES_OK ? PGRES_TUPLES_OK : PGRES_COMMAND_OK,
          "statement");
    return r;
}

void connection::exec(const std::string& sql) {
    // A transaction cannot be shared: the statements of other coroutines would land in it.
    if (pipe_ != nullptr) throw needs_session{};
    // Outside a transaction no savepoint is open, whatever ended the last one.
    if (PQtransactionStatus(c_) == PQTRANS_IDLE) release_owed_ = false;
    result r(PQexec(c_, sql.c_str()));
    check(c_, r, PGRES_COMMAND_OK, "exec");
}

void connection::savepoint() {
    exec(release_owed_ ? "RELEASE SAVEPOINT nested; SAVEPOINT nested" : "SAVEPOINT nested");
    release_owed_ = false;
}

void connection::release_savepoint() { release_owed_ = true; }

void connection::rollback_savepoint_quietly() {
    // The newest savepoint named `nested` is this one: an owed one is older and stays owed.
    exec_quietly("ROLLBACK TO SAVEPOINT nested; RELEASE SAVEPOINT nested");
}

void connection::rollback_quietly() {
    if (pipe_ == nullptr && PQstatus(c_) == CONNECTION_OK &&
        PQtransactionStatus(c_) != PQTRANS_IDLE) {
        PQclear(PQexec(c_, "ROLLBACK"));
    }
}

// --- pipe --------------------------------------------------------------------------------------

struct pipe::slot {
    waiter* w = nullptr;
    PGresult* res = nullptr;  // its first result
    bool done = false;        // its results are in, or the connection was lost
    bool lost = false;
    slot() = default;
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    ~slot() { PQclear(res); }
};

pipe::pipe(const std::string& uri, const postgres_config& cfg) : c_(uri, cfg) {
    if (PQenterPipelineMode(c_.c_) != 1) {
        log_pg("pipeline", PQerrorMessage(c_.c_));
        fail(store_errc::unavailable);
    }
    c_.pipe_ = this;
}

pipe::~pipe() { c_.pipe_ = nullptr; }

result pipe::run(const std::string& sql, const params& p, connection::plan how) {
    waiter* w = waiter::current();
    PGconn* pc = c_.c_;
    for (int attempt = 1;; ++attempt) {
        if (broken_) fail(store_errc::unavailable);
        slot parse;  // the statement's Parse, the first time this connection runs it
        slot s;
        parse.w = s.w = w;
        // Left while waiting (the coroutine unwound at shutdown): its results would be taken
        // for the next statement's, so nothing on this connection can be trusted any more.
        struct leave {
            pipe& p;
            slot& a;
            slot& b;
            ~leave() {
                if (a.done && b.done) return;
                std::erase(p.sent_, &a);
                std::erase(p.sent_, &b);
                p.fail_all();
            }
        } guard{*this, parse, s};
        parse.done = true;
        auto it = c_.prepared_.find(sql);
        if (it == c_.prepared_.end()) {
            std::string name;
            if (how == connection::plan::reusable || !connection::plans_per_call(sql)) {
                name = "s" + std::to_string(++names_);
                // In a sync of its own: a statement of the batch failing before it would skip
                // it, and statements queued later would name a statement that does not exist.
                if (!sync()) fail(store_errc::unavailable);
                if (PQsendPrepare(pc, name.c_str(), sql.c_str(), 0, nullptr) != 1) {
                    log_pg("pipeline", PQerrorMessage(pc));
                    fail_all();
                    fail(store_errc::unavailable);
                }
                parse.done = false;
                sent_.push_back(&parse);
                unsynced_ = true;
                if (!sync()) fail(store_errc::unavailable);
            }
            it = c_.prepared_.emplace(sql, std::move(name)).first;
        }
        const std::string name = it->second;
        auto ptrs = p.pointers();
        // Sent again after a statement of its batch failed: in a sync of its own this time,
        // where only its own failure can stop it.
        const bool alone = attempt > 1;
        if (alone && !sync()) fail(store_errc::unavailable);
        // Queued in libpq's buffer, not sent: the coroutine that next waits on the socket sends
        // everything queued by then behind one sync, and PostgreSQL answers it in one write.
        const bool queued =
            (name.empty() ? PQsendQueryParams(pc, sql.c_str(), p.size(), nullptr, ptrs.data(),
                                              p.lengths(), p.formats(), 0)
                          : PQsendQueryPrepared(pc, name.c_str(), p.size(), ptrs.data(),
                                                p.lengths(), p.formats(), 0)) == 1;
        if (!queued) {
            log_pg("pipeline", PQerrorMessage(pc));
            fail_all();
            fail(store_errc::unavailable);
        }
        sent_.push_back(&s);
        unsynced_ = true;
        if (alone && !sync()) fail(store_errc::unavailable);
        while (!s.done) {
            if (!reading_) {
                read_until(s, *w);
            } else {
                w->park();
            }
        }
        if (s.lost) fail(store_errc::unavailable);
        if (parse.res != nullptr && PQresultStatus(parse.res) != PGRES_COMMAND_OK) {
            c_.prepared_.erase(sql);  // a later call prepares it again
            result r(std::exchange(parse.res, nullptr));
            check(pc, r, PGRES_COMMAND_OK, "prepare");
        }
        if (s.res == nullptr || PQresultStatus(s.res) == PGRES_PIPELINE_ABORTED) {
            // Skipped because a statement before it in the same sync failed: again, alone.
            if (attempt < 2) continue;
            log_pg("pipeline", "statement skipped in a sync of its own");
            fail(store_errc::unavailable);
        }
        result r(std::exchange(s.res, nullptr));
        check(pc, r,
              PQresultStatus(r.raw()) == PGRES_TUPLES_OK ? PGRES_TUPLES_OK : PGRES_COMMAND_OK,
              "statement");
        return r;
    }
}

bool pipe::sync() noexcept {
    if (broken_) return false;  // failed already: nothing more goes out on it
    if (!unsynced_) return true;
    if (PQpipelineSync(c_.c_) != 1) {
        log_pg("pipeline", PQerrorMessage(c_.c_));
        fail_all();
        return false;
    }
    sent_.push_back(nullptr);
    unsynced_ = false;
    return true;
}

void pipe::read_until(slot& mine, waiter& w) {
    reading_ = true;
    struct done_reading {
        pipe& p;
        waiter& w;
        ~done_reading() {
            p.reading_ = false;
            if (waiter::unwinding()) return;
            // What others queued meanwhile goes out now, and the next statement's coroutine
            // reads on: the others are parked.
            if (!p.sync()) return;
            for (slot* s : p.sent_) {
                if (s != nullptr) {
                    if (s->w != &w) s->w->wake();
                    break;
                }
            }
        }
    } on_exit{*this, w};
    PGconn* pc = c_.c_;
    // The thread's other requests that arrived with this one queue their statements first (they
    // find reading_ set and park), so the batch leaves with all of them.
    w.yield();
    while (!mine.done) {
        if (!sync()) return;
        if (PQconsumeInput(pc) != 1) {
            log_pg("pipeline", PQerrorMessage(pc));
            fail_all();
            return;
        }
        take_results();
        if (mine.done || broken_) return;
        w.wait_readable(PQsocket(pc));
    }
}

void pipe::take_results() {
    PGconn* pc = c_.c_;
    waiter* me = waiter::current();
    while (!sent_.empty() && PQisBusy(pc) == 0) {
        PGresult* r = PQgetResult(pc);
        slot* head = sent_.front();
        if (head == nullptr) {
            // A sync: its own result, after every statement queued before it.
            if (r == nullptr) return;  // not yet arrived
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) sent_.pop_front();
            PQclear(r);
            continue;
        }
        if (r == nullptr) {
            // The end of the head statement's results.
            head->done = true;
            sent_.pop_front();
            if (head->w != me) head->w->wake();
        } else if (head->res == nullptr) {
            head->res = r;
        } else {
            PQclear(r);
        }
    }
}

void pipe::fail_all() noexcept {
    broken_ = true;
    // While a coroutine's stack unwinds, the others are being destroyed too: nobody to wake.
    const bool wake = !waiter::unwinding();
    waiter* me = waiter::current();
    for (slot* s : sent_) {
        if (s == nullptr) continue;
        s->done = true;
        s->lost = true;
        if (wake && s->w != me) s->w->wake();
    }
    sent_.clear();
}

std::shared_ptr<pipe> pool::pipe_for_this_thread() {
    const auto self = std::this_thread::get_id();
    {
        std::lock_guard lk(pipes_mu_);
        auto it = pipes_.find(self);
        if (it != pipes_.end()) {
            // A broken pipe has failed whatever it carried: a new connection replaces it.
            if (!it->second->broken()) return it->second;
            pipes_.erase(it);
        }
    }
    auto p = std::make_shared<pipe>(uri_, cfg_);  // outside the lock: connecting takes a while
    std::lock_guard lk(pipes_mu_);
    pipes_[self] = p;
    return p;
}

connection& pool::pipe_connection(pipe& p) noexcept { return p.c_; }

// --- transaction -------------------------------------------------------------------------------

transaction::transaction(connection& c, const char* begin) : c_(c), nested_(c.in_transaction()) {
    if (nested_) {
        c_.savepoint();
    } else {
        c_.exec(begin);
    }
}

transaction::~transaction() {
    if (done_) return;
    // A savepoint is rolled back and released: the enclosing transaction goes on without it.
    if (nested_) {
        c_.rollback_savepoint_quietly();
    } else {
        c_.rollback_quietly();
    }
}

void transaction::commit() {
    if (nested_) {
        c_.release_savepoint();
    } else {
        c_.exec("COMMIT");
    }
    done_ = true;
}

// --- unit --------------------------------------------------------------------------------------

namespace {
unit* open_unit() noexcept { return sql::thread_unit<unit>::open(); }
}  // namespace

unit::unit(pool& p) : p_(p), slot_(this) {}

unit::~unit() {
    if (slot_.joined()) return;
    lease_.reset();  // back to the pool, which rolls back what was not committed
}

void unit::commit() {
    if (slot_.joined() || done_) return;
    done_ = true;
    if (!lease_) return;
    try {
        (*lease_)->exec("COMMIT");
    } catch (const retry_failure&) {
        retry_ = true;
        throw;
    }
    lease_.reset();
}

bool pool::joins_unit() const noexcept {
    const unit* u = open_unit();
    return u != nullptr && !u->done_ && u->p_.uri_ == uri_;
}

connection* pool::unit_connection() const noexcept {
    unit* u = open_unit();
    return joins_unit() && u->lease_ ? &**u->lease_ : nullptr;
}

connection& pool::unit_begin() {
    unit* u = open_unit();
    if (!u->lease_) {
        u->lease_.emplace(u->p_);
        try {
            (*u->lease_)->exec("BEGIN");
        } catch (...) {
            u->lease_.reset();
            throw;
        }
    }
    return **u->lease_;
}

void pool::doom_unit() noexcept {
    if (unit* u = open_unit()) u->retry_ = true;
}

// --- pool --------------------------------------------------------------------------------------

pool::pool(const postgres_config& cfg, std::string uri) : cfg_(cfg), uri_(std::move(uri)) {}

pool::~pool() = default;

pool::lease::lease(pool& p) : p_(p), c_(p.acquire()) {}

pool::lease::~lease() { p_.release(std::move(c_)); }

std::unique_ptr<connection> pool::acquire() {
    std::unique_lock lk(mu_);
    const unsigned size = std::max(1u, cfg_.pool_size);
    if (!cv_.wait_for(lk, std::chrono::milliseconds(cfg_.connect_timeout_ms),
                      [&] { return !idle_.empty() || open_ < size; })) {
        log_pg("pool", "no free connection within connect_timeout_ms");
        fail(store_errc::unavailable);
    }
    if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
    }
    ++open_;
    lk.unlock();
    try {
        return std::make_unique<connection>(uri_, cfg_);
    } catch (...) {
        lk.lock();
        --open_;
        cv_.notify_one();
        throw;
    }
}

void pool::release(std::unique_ptr<connection> c) {
    if (c) c->rollback_quietly();
    std::lock_guard lk(mu_);
    if (c && c->reusable()) {
        idle_.push_back(std::move(c));
    } else {
        --open_;  // broken: dropped, a new one is made on demand
    }
    cv_.notify_one();
}

void pool::require_migration(int version, std::string_view tables) {
    auto found = read([](connection& c) -> scim::store_result<std::int64_t> {
        return c.run("SELECT coalesce(max(version), 0) FROM schema_migrations").int64(0, 0);
    });
    const std::string what(tables);
    if (!found) {
        throw startup_error("cannot reach the PostgreSQL database for the " + what +
                            " tables (see the log line above)");
    }
    if (*found < version) {
        throw startup_error("the PostgreSQL database has no " + what + " tables (migration " +
                            std::to_string(version) + "): open the backend first");
    }
}

std::vector<int> pool::migrate(std::span<const sql::migration> migrations, std::int64_t now_ms) {
    lease l(*this);
    connection& c = *l;
    transaction t(c, "BEGIN");
    // One instance migrates; the others wait here and then find nothing to do.
    c.exec("SELECT pg_advisory_xact_lock(7273746369)");
    c.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_ms BIGINT NOT NULL)");
    auto q = c.run("SELECT coalesce(max(version), 0) FROM schema_migrations");
    int current = static_cast<int>(q.int64(0, 0));
    std::vector<int> applied;
    for (const sql::migration* m : sql::pending_migrations(migrations, current)) {
        c.exec(std::string(m->sql));
        c.run("INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
              params().int64(m->version).int64(now_ms));
        applied.push_back(m->version);
    }
    t.commit();
    return applied;
}

std::string uri_from_env(const postgres_config& cfg) {
    // The URI carries credentials, so it comes from the environment, never the config file.
    const char* uri = std::getenv(cfg.uri_env.c_str());
    if (uri == nullptr || *uri == '\0') {
        throw startup_error("storage.postgresql.uri_env: environment variable " + cfg.uri_env +
                            " is not set");
    }
    return uri;
}

}  // namespace orgscim::plugin::pg
