#include "sqlite/sqlite_transfer.hpp"

#include <sqlite3.h>

#include <string>
#include <unordered_map>

#include "sql/migrator.hpp"
#include "sqlite/sqlite_migrations.hpp"

namespace orgscim::plugin::sqlite {

namespace {

using namespace sql::transfer;

// SQLite keeps the creation order of these tables in the rowid; PostgreSQL (and the stream) in a
// `seq` column.
bool seq_is_rowid(const table& t) { return t.name == "orgs" || t.name == "tokens"; }

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::string column_sql(const table& t, const column& c) {
    return c.name == "seq" && seq_is_rowid(t) ? std::string("rowid") : quoted(c.name);
}

class database {
  public:
    database(const std::string& path, int flags, unsigned busy_timeout_ms) {
        const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
            sqlite3_close_v2(db_);
            throw transfer_error("cannot open SQLite database " + path + ": " + why);
        }
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_ms));
    }
    ~database() {
        for (auto& [sql, st] : statements_) sqlite3_finalize(st);
        sqlite3_close_v2(db_);
    }
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    [[noreturn]] void fail(std::string_view what) const {
        throw transfer_error(std::string(what) + ": " + sqlite3_errmsg(db_));
    }

    void exec(const std::string& sql, std::string_view what) {
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(what);
    }

    /// Prepared once per connection, reset by the caller's statement guard.
    sqlite3_stmt* prepare(const std::string& sql) {
        auto it = statements_.find(sql);
        if (it != statements_.end()) return it->second;
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) fail("SQLite");
        return statements_.emplace(sql, st).first->second;
    }

    sqlite3* raw() const { return db_; }

  private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

class statement {
  public:
    statement(database& db, const std::string& sql) : db_(db), st_(db.prepare(sql)) {}
    ~statement() {
        sqlite3_reset(st_);
        sqlite3_clear_bindings(st_);
    }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    bool step(std::string_view what) {
        const int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        db_.fail(what);
    }
    sqlite3_stmt* raw() const { return st_; }

  private:
    database& db_;
    sqlite3_stmt* st_;
};

int schema_version_of(database& db) {
    {
        statement s(db,
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = "
                    "'schema_migrations'");
        if (!s.step("reading the schema") || sqlite3_column_int64(s.raw(), 0) == 0) return 0;
    }
    statement s(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    s.step("reading the schema version");
    return static_cast<int>(sqlite3_column_int64(s.raw(), 0));
}

schema_description describe_database(database& db) {
    schema_description out;
    // resource_counts is kept by triggers from the resources rows, so it is not carried over.
    statement s(db,
                "SELECT m.name, p.name FROM sqlite_schema m JOIN pragma_table_info(m.name) p "
                "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT IN "
                "('schema_migrations', 'resource_counts')");
    while (s.step("reading the schema")) {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s.raw(), 0));
        const auto* c = reinterpret_cast<const char*>(sqlite3_column_text(s.raw(), 1));
        out[t].emplace(c);
    }
    for (const auto& t : tables()) {
        auto it = out.find(t.name);
        if (it != out.end() && seq_is_rowid(t)) it->second.emplace("seq");
    }
    return out;
}

value column_value(sqlite3_stmt* st, int i, column_type type) {
    if (sqlite3_column_type(st, i) == SQLITE_NULL) return std::monostate{};
    switch (type) {
        case column_type::integer:
            return static_cast<std::int64_t>(sqlite3_column_int64(st, i));
        case column_type::boolean:
            return sqlite3_column_int64(st, i) != 0;
        case column_type::bytes: {
            const auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
            return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
        }
        case column_type::text:
            break;
    }
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
    return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
}

class sqlite_reader final : public reader {
  public:
    explicit sqlite_reader(const sqlite_config& cfg)
        : db_(cfg.path, SQLITE_OPEN_READWRITE, cfg.busy_timeout_ms) {
        db_.exec("PRAGMA query_only=1", "SQLite");
        // One read transaction: in WAL mode every table is read from the same snapshot while
        // servers keep writing.
        db_.exec("BEGIN", "SQLite");
    }
    ~sqlite_reader() override { sqlite3_exec(db_.raw(), "ROLLBACK", nullptr, nullptr, nullptr); }

    std::string_view backend() const override { return "sqlite"; }
    int schema_version() override { return schema_version_of(db_); }
    schema_description describe() override { return describe_database(db_); }

    void each_row(const table& t, const std::function<void(const row&)>& f) override {
        std::string sql = "SELECT ";
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (i > 0) sql += ", ";
            sql += column_sql(t, t.columns[i]);
        }
        sql += " FROM " + quoted(t.name) + " ORDER BY ";
        for (std::size_t i = 0; i < t.key.size(); ++i) {
            if (i > 0) sql += ", ";
            sql += quoted(t.key[i]);
        }
        statement s(db_, sql);
        row r(t.columns.size());
        const std::string what = "reading " + std::string(t.name);
        while (s.step(what)) {
            for (std::size_t i = 0; i < t.columns.size(); ++i)
                r[i] = column_value(s.raw(), static_cast<int>(i), t.columns[i].type);
            f(r);
        }
    }

  private:
    database db_;
};

class sqlite_writer final : public writer {
  public:
    explicit sqlite_writer(const sqlite_config& cfg)
        : db_(cfg.path, SQLITE_OPEN_READWRITE, cfg.busy_timeout_ms) {}
    ~sqlite_writer() override {
        if (open_) sqlite3_exec(db_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
    }

    std::string_view backend() const override { return "sqlite"; }
    int schema_version() override { return schema_version_of(db_); }
    schema_description describe() override { return describe_database(db_); }

    void begin() override {
        db_.exec("BEGIN IMMEDIATE", "cannot lock the SQLite database for writing");
        open_ = true;
    }

    bool empty(const table& t) override {
        statement s(db_, "SELECT EXISTS (SELECT 1 FROM " + quoted(t.name) + ")");
        s.step("reading " + std::string(t.name));
        return sqlite3_column_int64(s.raw(), 0) == 0;
    }

    void insert(const table& t, const row& r) override {
        std::string sql = "INSERT INTO " + quoted(t.name) + " (";
        std::string values;
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (i > 0) {
                sql += ", ";
                values += ", ";
            }
            sql += column_sql(t, t.columns[i]);
            values += "?" + std::to_string(i + 1);
        }
        sql += ") VALUES (" + values + ")";
        statement s(db_, sql);
        for (std::size_t i = 0; i < r.size(); ++i)
            bind(s.raw(), static_cast<int>(i) + 1, t.columns[i], r[i]);
        s.step("inserting into " + std::string(t.name));
    }

    void commit() override {
        db_.exec("COMMIT", "committing the import");
        open_ = false;
    }

  private:
    void bind(sqlite3_stmt* st, int i, const column& c, const value& v) {
        int rc = SQLITE_OK;
        if (std::holds_alternative<std::monostate>(v)) {
            rc = sqlite3_bind_null(st, i);
        } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
            rc = sqlite3_bind_int64(st, i, *n);
        } else if (const auto* b = std::get_if<bool>(&v)) {
            rc = sqlite3_bind_int64(st, i, *b ? 1 : 0);
        } else {
            const auto& s = std::get<std::string>(v);
            const int size = static_cast<int>(s.size());
            rc = c.type == column_type::bytes
                     ? sqlite3_bind_blob(st, i, s.data(), size, SQLITE_TRANSIENT)
                     : sqlite3_bind_text(st, i, s.data(), size, SQLITE_TRANSIENT);
        }
        if (rc != SQLITE_OK) db_.fail("SQLite");
    }

    database db_;
    bool open_ = false;
};

}  // namespace

migrate_report migrate_database(const sqlite_config& cfg, std::int64_t now_ms) {
    database db(cfg.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, cfg.busy_timeout_ms);
    // As sqlite_store does at start-up: WAL (kept in the file), the version read and every
    // migration under one write lock, so concurrent migrators apply each migration once.
    db.exec("PRAGMA journal_mode=WAL", "cannot open SQLite database " + cfg.path);
    db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_ms INTEGER NOT NULL)",
        "cannot migrate SQLite database " + cfg.path);
    db.exec("BEGIN IMMEDIATE", "cannot lock SQLite database " + cfg.path);
    migrate_report out;
    out.backend = "sqlite";
    try {
        out.version = schema_version_of(db);
        for (const sql::migration* m : sql::pending_migrations(migrations(), out.version)) {
            db.exec(std::string(m->sql), "migration " + std::to_string(m->version));
            statement s(db, "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)");
            sqlite3_bind_int64(s.raw(), 1, m->version);
            sqlite3_bind_int64(s.raw(), 2, now_ms);
            s.step("migration " + std::to_string(m->version));
            out.applied.push_back(m->version);
            out.version = m->version;
        }
        db.exec("COMMIT", "committing the migrations");
    } catch (...) {
        sqlite3_exec(db.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    return out;
}

std::unique_ptr<reader> open_reader(const sqlite_config& cfg) {
    return std::make_unique<sqlite_reader>(cfg);
}

std::unique_ptr<writer> open_writer(const sqlite_config& cfg) {
    return std::make_unique<sqlite_writer>(cfg);
}

}  // namespace orgscim::plugin::sqlite
