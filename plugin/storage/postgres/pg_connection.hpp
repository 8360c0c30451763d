#pragma once
// The libpq layer shared by every PostgreSQL store: bound parameters, results, a connection with
// per-connection prepared statements, transactions and a bounded pool. Driver failures are thrown
// as db_failure / retry_failure inside a store and turned into store_errc values by guarded() at
// each public entry point, so no exception crosses a store interface.

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <orgscim/plugin/config.hpp>
#include <orgscim/scim/store.hpp>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "sql/filter_to_sql.hpp"
#include "sql/migrator.hpp"
#include "sql/records.hpp"

namespace orgscim::plugin::pg {

using scim::store_errc;

// Thrown inside a store only, caught by guarded() and turned into a value.
struct db_failure {
    store_errc code;
};
// 40001 / 40P01: the whole transaction is run again.
struct retry_failure {};

[[noreturn]] inline void fail(store_errc c) { throw db_failure{c}; }

inline void log_pg(std::string_view what, const char* msg) {
    sql::log_driver_error("postgresql", what, msg != nullptr ? msg : "(no message)");
}

/// Bound parameters: text, except bytea which goes in binary.
class params {
  public:
    params& text(std::string_view v) {
        add(std::string(v), false, false);
        return *this;
    }
    params& text(const std::string& v) { return text(std::string_view(v)); }
    params& text(const char* v) { return text(std::string_view(v)); }
    params& text(const std::optional<std::string>& v) {
        if (v) return text(*v);
        add({}, true, false);
        return *this;
    }
    params& int64(std::int64_t v) {
        add(std::to_string(v), false, false);
        return *this;
    }
    params& int64(std::optional<std::int64_t> v) {
        if (v) return int64(*v);
        add({}, true, false);
        return *this;
    }
    params& boolean(bool v) {
        add(v ? "true" : "false", false, false);
        return *this;
    }
    params& bytes(std::string_view v) {
        add(std::string(v), false, true);
        return *this;
    }
    params& param(const sql::param& p) {
        if (const auto* s = std::get_if<std::string>(&p)) return text(*s);
        return int64(std::get<std::int64_t>(p));
    }
    /// A text[] literal; every element quoted and escaped, so any id is safe to pass.
    params& text_array(const std::vector<std::string>& v) {
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

    int size() const { return static_cast<int>(values_.size()); }
    std::vector<const char*> pointers() const {
        std::vector<const char*> out;
        for (std::size_t i = 0; i < values_.size(); ++i)
            out.push_back(nulls_[i] ? nullptr : values_[i].data());
        return out;
    }
    const int* lengths() const { return lengths_.data(); }
    const int* formats() const { return formats_.data(); }

  private:
    void add(std::string v, bool is_null, bool binary) {
        lengths_.push_back(static_cast<int>(v.size()));
        formats_.push_back(binary ? 1 : 0);
        nulls_.push_back(is_null);
        values_.push_back(std::move(v));
    }
    std::vector<std::string> values_;
    std::vector<bool> nulls_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
};

class result {
  public:
    explicit result(PGresult* r) : r_(r) {}
    ~result() { PQclear(r_); }
    result(result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    result(const result&) = delete;
    result& operator=(const result&) = delete;
    result& operator=(result&&) = delete;

    int rows() const { return PQntuples(r_); }
    std::string_view text(int row, int col) const {
        return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
    }
    bool is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
    std::int64_t int64(int row, int col) const {
        return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
    }
    std::optional<std::int64_t> opt_int64(int row, int col) const {
        if (is_null(row, col)) return std::nullopt;
        return int64(row, col);
    }
    std::int64_t affected() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }
    PGresult* raw() const { return r_; }

  private:
    PGresult* r_;
};

class connection {
  public:
    connection(const std::string& uri, const postgres_config& cfg) {
        std::string timeout = std::to_string(std::max(1u, (cfg.connect_timeout_ms + 999) / 1000));
        std::string options = "-c statement_timeout=" + std::to_string(cfg.statement_timeout_ms) +
                              " -c lock_timeout=" + std::to_string(cfg.statement_timeout_ms) +
                              // Parameters decide the plan (= ANY of one id vs of 1,000; a tenant
                              // of 10 rows vs 1,000,000): a generic plan would pick scans.
                              " -c plan_cache_mode=force_custom_plan";
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
    ~connection() { PQfinish(c_); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    bool reusable() const {
        return PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) == PQTRANS_IDLE;
    }

    /// Runs a statement, preparing it on this connection the first time.
    result run(const std::string& sql, const params& p = {}) {
        auto it = prepared_.find(sql);
        if (it == prepared_.end()) {
            std::string name = "s" + std::to_string(prepared_.size() + 1);
            result prep(PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr));
            check(prep, PGRES_COMMAND_OK, "prepare");
            it = prepared_.emplace(sql, std::move(name)).first;
        }
        auto ptrs = p.pointers();
        result r(PQexecPrepared(c_, it->second.c_str(), p.size(), ptrs.data(), p.lengths(),
                                p.formats(), 0));
        check(r, PQresultStatus(r.raw()) == PGRES_TUPLES_OK ? PGRES_TUPLES_OK : PGRES_COMMAND_OK,
              "statement");
        return r;
    }

    /// Utility statements (BEGIN, COMMIT, DDL) that cannot be prepared.
    void exec(const std::string& sql) {
        result r(PQexec(c_, sql.c_str()));
        check(r, PGRES_COMMAND_OK, "exec");
    }

    void rollback_quietly() {
        if (PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) != PQTRANS_IDLE) {
            PQclear(PQexec(c_, "ROLLBACK"));
        }
    }

  private:
    void check(const result& r, ExecStatusType want, std::string_view what) {
        ExecStatusType st = PQresultStatus(r.raw());
        if (st == want || (want == PGRES_COMMAND_OK && st == PGRES_TUPLES_OK)) return;
        const char* state = PQresultErrorField(r.raw(), PG_DIAG_SQLSTATE);
        std::string_view s = state != nullptr ? state : "";
        if (s == "23505") fail(store_errc::conflict);  // the client's doing: no log line
        if (s == "40001" || s == "40P01") throw retry_failure{};
        log_pg(what, PQresultErrorMessage(r.raw()));
        // No SQLSTATE: libpq's own error (connection lost mid-statement), not the server's.
        if (PQstatus(c_) != CONNECTION_OK || s.empty() || s.starts_with("08") ||
            s.starts_with("53") || s.starts_with("57") || s == "55P03") {
            fail(store_errc::unavailable);
        }
        fail(store_errc::internal);
    }

    PGconn* c_ = nullptr;
    std::unordered_map<std::string, std::string> prepared_;
};

class transaction {
  public:
    transaction(connection& c, const char* begin) : c_(c) { c_.exec(begin); }
    ~transaction() {
        if (!done_) c_.rollback_quietly();
    }
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    void commit() {
        c_.exec("COMMIT");
        done_ = true;
    }

  private:
    connection& c_;
    bool done_ = false;
};

/// Runs `f` (which returns a store_result) and maps driver failures to error values.
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
/// connection is dropped and replaced on demand.
class pool {
  public:
    pool(const postgres_config& cfg, std::string uri) : cfg_(cfg), uri_(std::move(uri)) {}
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    class lease {
      public:
        explicit lease(pool& p) : p_(p), c_(p.acquire()) {}
        ~lease() { p_.release(std::move(c_)); }
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        connection& operator*() { return *c_; }
        connection* operator->() { return c_.get(); }

      private:
        pool& p_;
        std::unique_ptr<connection> c_;
    };

    /// Runs `body(connection&)` in a READ COMMITTED write transaction, again (up to 3 times in
    /// all) after a serialization failure or deadlock; an error value from `body` rolls back.
    template <class F>
    auto write(F&& body) -> decltype(body(std::declval<connection&>())) {
        return in_transaction("BEGIN", std::forward<F>(body));
    }

    /// The same with another BEGIN (e.g. "BEGIN ISOLATION LEVEL SERIALIZABLE").
    template <class F>
    auto in_transaction(const char* begin, F&& body)
        -> decltype(body(std::declval<connection&>())) {
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
    }

    /// Applies the pending `migrations` under an advisory lock, so that several processes
    /// starting together apply each one once; returns the versions this call applied. Throws
    /// db_failure.
    std::vector<int> migrate(std::span<const sql::migration> migrations, std::int64_t now_ms);

  private:
    std::unique_ptr<connection> acquire();
    void release(std::unique_ptr<connection> c);

    postgres_config cfg_;
    std::string uri_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<connection>> idle_;
    unsigned open_ = 0;
};

/// The URI of cfg (from the environment variable it names). Throws startup_error when unset.
std::string uri_from_env(const postgres_config& cfg);

}  // namespace orgscim::plugin::pg
