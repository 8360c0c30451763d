// SQLite implementation of oauth_store (tables of migration 5): its own connection to the
// database file (WAL), one mutex; clients and secrets written in one BEGIN IMMEDIATE.

#include "sqlite/sqlite_oauth_store.hpp"

#include <sqlite3.h>

#include <chrono>
#include <mutex>
#include <orgscim/plugin/storage/oauth_store.hpp>
#include <utility>

#include "sql/records.hpp"

namespace orgscim::plugin {

namespace {

// Thrown inside this file only and turned into a value at every public entry point.
struct db_failure {
    store_errc code;
};

store_errc map_code(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
            return store_errc::unavailable;
        case SQLITE_CONSTRAINT:
            return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                       ? store_errc::conflict
                       : store_errc::internal;
        default:
            return store_errc::internal;
    }
}

[[noreturn]] void fail_db(sqlite3* db, int rc, std::string_view what) {
    const auto code = map_code(rc);
    if (code != store_errc::conflict) sql::log_driver_error("sqlite", what, sqlite3_errmsg(db));
    throw db_failure{code};
}

class stmt {
  public:
    stmt(sqlite3* db, std::string_view sql) : db_(db) {
        const int rc =
            sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr);
        if (rc != SQLITE_OK) fail_db(db, rc, "prepare");
    }
    ~stmt() { sqlite3_finalize(st_); }
    stmt(const stmt&) = delete;
    stmt& operator=(const stmt&) = delete;

    stmt& bind(int i, std::string_view v) {
        check(sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    stmt& bind(int i, std::int64_t v) {
        check(sqlite3_bind_int64(st_, i, v));
        return *this;
    }
    stmt& bind(int i, const std::optional<std::int64_t>& v) {
        check(v ? sqlite3_bind_int64(st_, i, *v) : sqlite3_bind_null(st_, i));
        return *this;
    }
    bool step() {
        const int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail_db(db_, rc, "step");
    }
    std::string text(int c) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, c));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, c)))
                 : std::string();
    }
    std::int64_t int64(int c) const { return sqlite3_column_int64(st_, c); }
    std::optional<std::int64_t> opt_int64(int c) const {
        if (sqlite3_column_type(st_, c) == SQLITE_NULL) return std::nullopt;
        return int64(c);
    }

  private:
    void check(int rc) {
        if (rc != SQLITE_OK) fail_db(db_, rc, "bind");
    }
    sqlite3* db_;
    sqlite3_stmt* st_ = nullptr;
};

std::int64_t system_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

template <class F>
auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const db_failure& e) {
        return e.code;
    }
}

class sqlite_oauth_store final : public oauth_store {
  public:
    sqlite_oauth_store(const sqlite_config& cfg, std::function<std::int64_t()> now)
        : now_(now ? std::move(now) : std::function<std::int64_t()>(&system_now_ms)) {
        const int rc = sqlite3_open_v2(cfg.path.c_str(), &db_,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            sqlite3_close(db_);
            throw startup_error("storage.sqlite.path: cannot open " + cfg.path);
        }
        sqlite3_busy_timeout(db_, static_cast<int>(cfg.busy_timeout_ms));
        sqlite3_extended_result_codes(db_, 1);  // tells a duplicate key from other constraints
        sqlite3_exec(db_, "PRAGMA foreign_keys=ON", nullptr, nullptr, nullptr);
        bool migrated = false;
        try {
            stmt s(db_, "SELECT coalesce(max(version), 0) FROM schema_migrations");
            migrated = s.step() && s.int64(0) >= 6;
        } catch (const db_failure&) {
        }
        if (!migrated) {
            sqlite3_close(db_);
            throw startup_error("storage.sqlite.path: " + cfg.path +
                                " has no OAuth tables (migration 6): open the backend first");
        }
    }
    ~sqlite_oauth_store() override { sqlite3_close(db_); }

    store_result<void> create_client(const oauth_client_info& c) override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<void> {
            exec("BEGIN IMMEDIATE");
            try {
                stmt org(db_, "SELECT 1 FROM orgs WHERE id = ?1");
                if (!org.bind(1, c.org_id).step()) {
                    exec("ROLLBACK");
                    return store_errc::not_found;
                }
                stmt ins(db_,
                         "INSERT INTO oauth_clients (client_id, org_id, name, permissions, "
                         "created_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
                ins.bind(1, c.client_id)
                    .bind(2, c.org_id)
                    .bind(3, c.name)
                    .bind(4, std::int64_t{c.permissions})
                    .bind(5, c.created_ms ? c.created_ms : now_())
                    .step();
                for (const auto& s : c.secrets) insert_secret(c.client_id, s);
                exec("COMMIT");
            } catch (...) {
                exec_quiet("ROLLBACK");
                throw;
            }
            return {};
        });
    }

    store_result<void> add_secret(std::string_view client_id, const oauth_secret_info& s) override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<void> {
            stmt q(db_, "SELECT 1 FROM oauth_clients WHERE client_id = ?1");
            if (!q.bind(1, client_id).step()) return store_errc::not_found;
            insert_secret(client_id, s);
            return {};
        });
    }

    store_result<void> expire_other_secrets(std::string_view client_id,
                                            std::string_view keep_id,
                                            std::int64_t at_ms) override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<void> {
            stmt q(db_, "SELECT 1 FROM oauth_clients WHERE client_id = ?1");
            if (!q.bind(1, client_id).step()) return store_errc::not_found;
            stmt u(db_,
                   "UPDATE oauth_client_secrets SET expires_ms = min(coalesce(expires_ms, ?3), ?3) "
                   "WHERE client_id = ?1 AND id <> ?2");
            u.bind(1, client_id).bind(2, keep_id).bind(3, at_ms).step();
            return {};
        });
    }

    store_result<void> add_federated(std::string_view client_id,
                                     const federated_identity& who) override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<void> {
            stmt q(db_, "SELECT 1 FROM oauth_clients WHERE client_id = ?1");
            if (!q.bind(1, client_id).step()) return store_errc::not_found;
            stmt ins(db_,
                     "INSERT OR IGNORE INTO oauth_client_federated (client_id, issuer, subject) "
                     "VALUES (?1, ?2, ?3)");
            ins.bind(1, client_id).bind(2, who.issuer).bind(3, who.subject).step();
            return {};
        });
    }

    store_result<oauth_client_info> find_client(std::string_view client_id) override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<oauth_client_info> {
            stmt q(db_,
                   "SELECT client_id, org_id, name, permissions, created_ms, revoked_ms "
                   "FROM oauth_clients WHERE client_id = ?1");
            if (!q.bind(1, client_id).step()) return store_errc::not_found;
            auto c = read_client(q);
            load_secrets(c);
            return c;
        });
    }

    store_result<std::vector<oauth_client_info>> list_clients(std::string_view org_id) override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<std::vector<oauth_client_info>> {
            std::vector<oauth_client_info> out;
            stmt q(db_,
                   "SELECT client_id, org_id, name, permissions, created_ms, revoked_ms "
                   "FROM oauth_clients WHERE org_id = ?1 ORDER BY created_ms, client_id");
            q.bind(1, org_id);
            while (q.step()) out.push_back(read_client(q));
            for (auto& c : out) load_secrets(c);
            return out;
        });
    }

    store_result<void> revoke_client(std::string_view client_id, std::int64_t now_ms) override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<void> {
            stmt q(db_,
                   "UPDATE oauth_clients SET revoked_ms = coalesce(revoked_ms, ?2) "
                   "WHERE client_id = ?1");
            q.bind(1, client_id).bind(2, now_ms).step();
            if (sqlite3_changes(db_) == 0) return store_errc::not_found;
            return {};
        });
    }

    store_result<std::vector<signing_key_info>> signing_keys() override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<std::vector<signing_key_info>> {
            std::vector<signing_key_info> out;
            stmt q(db_,
                   "SELECT kid, alg, private_pem, created_ms FROM oauth_signing_keys "
                   "WHERE retired_ms IS NULL ORDER BY created_ms, kid");
            while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), q.int64(3)});
            saw_no_key_ = out.empty();
            return out;
        });
    }

    store_result<void> add_signing_key(const signing_key_info& k) override {
        std::lock_guard lk(mu_);
        const bool first = std::exchange(saw_no_key_, false);
        return guarded([&]() -> store_result<void> {
            // After a read that found no key this is the first-key step of a starting instance:
            // one statement, so another process on the file cannot slip its own first key in.
            stmt q(db_, first
                            ? "INSERT INTO oauth_signing_keys (kid, alg, private_pem, created_ms) "
                              "SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM "
                              "oauth_signing_keys WHERE retired_ms IS NULL)"
                            : "INSERT INTO oauth_signing_keys (kid, alg, private_pem, created_ms) "
                              "VALUES (?1, ?2, ?3, ?4)");
            q.bind(1, k.kid).bind(2, k.alg).bind(3, k.private_pem);
            q.bind(4, k.created_ms ? k.created_ms : now_()).step();
            if (sqlite3_changes(db_) == 0) return store_errc::conflict;
            return {};
        });
    }

    store_result<void> add_issuer(const trusted_issuer_record& r) override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<void> {
            stmt q(db_,
                   "INSERT INTO trusted_issuers (id, org_id, entry, created_ms) "
                   "VALUES (?1, ?2, ?3, ?4)");
            q.bind(1, r.id).bind(2, r.org_id).bind(3, r.entry);
            q.bind(4, r.created_ms ? r.created_ms : now_()).step();
            return {};
        });
    }

    store_result<std::vector<trusted_issuer_record>> list_issuers() override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<std::vector<trusted_issuer_record>> {
            std::vector<trusted_issuer_record> out;
            stmt q(db_,
                   "SELECT id, org_id, entry, created_ms FROM trusted_issuers "
                   "ORDER BY created_ms, id");
            while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), q.int64(3)});
            return out;
        });
    }

    store_result<void> remove_issuer(std::string_view id) override {
        std::lock_guard lk(mu_);
        return guarded([&]() -> store_result<void> {
            stmt q(db_, "DELETE FROM trusted_issuers WHERE id = ?1");
            q.bind(1, id).step();
            if (sqlite3_changes(db_) == 0) return store_errc::not_found;
            return {};
        });
    }

  private:
    void exec(const char* sql) {
        const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) fail_db(db_, rc, sql);
    }
    void exec_quiet(const char* sql) noexcept { sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

    void insert_secret(std::string_view client_id, const oauth_secret_info& s) {
        stmt ins(db_,
                 "INSERT INTO oauth_client_secrets (id, client_id, hash, created_ms, expires_ms) "
                 "VALUES (?1, ?2, ?3, ?4, ?5)");
        ins.bind(1, s.id)
            .bind(2, client_id)
            .bind(3, s.hash)
            .bind(4, s.created_ms ? s.created_ms : now_())
            .bind(5, s.expires_ms)
            .step();
    }

    static oauth_client_info read_client(const stmt& q) {
        oauth_client_info c;
        c.client_id = q.text(0);
        c.org_id = q.text(1);
        c.name = q.text(2);
        c.permissions = static_cast<std::uint8_t>(q.int64(3));
        c.created_ms = q.int64(4);
        c.revoked_ms = q.opt_int64(5);
        return c;
    }

    void load_secrets(oauth_client_info& c) {
        stmt q(db_,
               "SELECT id, hash, created_ms, expires_ms FROM oauth_client_secrets "
               "WHERE client_id = ?1 ORDER BY created_ms, id");
        q.bind(1, c.client_id);
        while (q.step()) c.secrets.push_back({q.text(0), q.text(1), q.int64(2), q.opt_int64(3)});
        stmt f(db_,
               "SELECT issuer, subject FROM oauth_client_federated WHERE client_id = ?1 "
               "ORDER BY issuer, subject");
        f.bind(1, c.client_id);
        while (f.step()) c.federated.push_back({f.text(0), f.text(1)});
    }

    std::function<std::int64_t()> now_;
    std::mutex mu_;
    sqlite3* db_ = nullptr;
    bool saw_no_key_ = false;  // the last signing_keys() found none (guarded by mu_)
};

}  // namespace

std::unique_ptr<oauth_store> open_sqlite_oauth_store(const sqlite_config& cfg,
                                                     std::function<std::int64_t()> now_ms) {
    return std::make_unique<sqlite_oauth_store>(cfg, std::move(now_ms));
}

}  // namespace orgscim::plugin
