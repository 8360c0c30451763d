#include "sqlite/sqlite_transfer.hpp"

#include <memory>
#include <string>

#include "sqlite/sqlite_db.hpp"
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

// The operator sees a driver error as a transfer_error naming the step (nothing is logged).
template <class F>
auto in_step(std::string_view what, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const db_failure& e) {
        throw transfer_error(std::string(what) + ": " + e.message);
    }
}

std::unique_ptr<connection> open_db(const sqlite_config& cfg, connection_options opts) {
    opts.busy_timeout_ms = cfg.busy_timeout_ms;
    return in_step("cannot open SQLite database " + cfg.path,
                   [&] { return std::make_unique<connection>(cfg.path, opts); });
}

int schema_version_of(connection& db) {
    return in_step("reading the schema version", [&] { return schema_version(db); });
}

schema_description describe_database(connection& db) {
    return in_step("reading the schema", [&] {
        schema_description out;
        // resource_counts, resource_blocks, member_flow and its counts are derived from the
        // other tables, so they are not carried over.
        stmt s(db,
               "SELECT m.name, p.name FROM sqlite_schema m JOIN pragma_table_info(m.name) p "
               "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT IN "
               "('schema_migrations', 'resource_counts', 'resource_blocks', 'member_flow', "
               "'member_flow_counts')");
        while (s.step()) out[s.text(0)].emplace(s.text(1));
        for (const auto& t : tables()) {
            auto it = out.find(t.name);
            if (it != out.end() && seq_is_rowid(t)) it->second.emplace("seq");
        }
        return out;
    });
}

value column_value(const stmt& s, int i, column_type type) {
    if (s.is_null(i)) return std::monostate{};
    switch (type) {
        case column_type::integer:
            return s.int64(i);
        case column_type::boolean:
            return s.int64(i) != 0;
        case column_type::bytes:
            return std::string(s.blob(i));
        case column_type::text:
            break;
    }
    return s.text(i);
}

void bind_value(stmt& s, int i, const column& c, const value& v) {
    if (std::holds_alternative<std::monostate>(v)) {
        s.bind_null(i);
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        s.bind(i, *n);
    } else if (const auto* b = std::get_if<bool>(&v)) {
        s.bind(i, std::int64_t{*b ? 1 : 0});
    } else if (c.type == column_type::bytes) {
        s.bind_blob(i, std::get<std::string>(v));
    } else {
        s.bind(i, std::get<std::string>(v));
    }
}

class sqlite_reader final : public reader {
  public:
    explicit sqlite_reader(const sqlite_config& cfg)
        : db_(open_db(cfg, {.read_only = true})),
          // One read transaction: in WAL mode every table is read from the same snapshot while
          // servers keep writing.
          snapshot_(in_step("starting the read snapshot",
                            [&] { return std::make_unique<transaction>(*db_, false); })) {}

    std::string_view backend() const override { return "sqlite"; }
    int schema_version() override { return schema_version_of(*db_); }
    schema_description describe() override { return describe_database(*db_); }

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
        in_step("reading " + std::string(t.name), [&] {
            stmt s(*db_, sql);
            row r(t.columns.size());
            while (s.step()) {
                for (std::size_t i = 0; i < t.columns.size(); ++i)
                    r[i] = column_value(s, static_cast<int>(i), t.columns[i].type);
                f(r);
            }
        });
    }

  private:
    std::unique_ptr<connection> db_;
    std::unique_ptr<transaction> snapshot_;
};

class sqlite_writer final : public writer {
  public:
    explicit sqlite_writer(const sqlite_config& cfg) : db_(open_db(cfg, {})) {}

    std::string_view backend() const override { return "sqlite"; }
    int schema_version() override { return schema_version_of(*db_); }
    schema_description describe() override { return describe_database(*db_); }

    void begin() override {
        in_step("cannot lock the SQLite database for writing",
                [&] { tx_ = std::make_unique<transaction>(*db_, true); });
    }

    bool empty(const table& t) override {
        return in_step("reading " + std::string(t.name), [&] {
            stmt s(*db_, "SELECT EXISTS (SELECT 1 FROM " + quoted(t.name) + ")");
            return s.step() && s.int64(0) == 0;
        });
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
        in_step("inserting into " + std::string(t.name), [&] {
            stmt s(*db_, sql);
            for (std::size_t i = 0; i < r.size(); ++i)
                bind_value(s, static_cast<int>(i) + 1, t.columns[i], r[i]);
            s.run();
        });
    }

    void commit() override {
        // The derived tables from the imported rows, as migrations 4, 8 and 9 first filled
        // them: inserts no longer fire triggers (migration 14). member_flow's own insert
        // trigger counts its rows into member_flow_counts.
        in_step("counting the imported rows", [&] {
            db_->exec(
                "DELETE FROM resource_counts; INSERT INTO resource_counts (tenant, type, n) "
                "SELECT tenant, type, count(*) FROM resources GROUP BY tenant, type; DELETE FROM "
                "resource_blocks; INSERT INTO resource_blocks (tenant, type, block, n) SELECT "
                "tenant, type, seq >> 10, count(*) FROM resources GROUP BY tenant, type, seq >> "
                "10; INSERT OR IGNORE INTO member_flow (org_id, identity_id) SELECT org_id, "
                "identity_id FROM memberships WHERE " +
                member_flow_condition("roles"));
        });
        in_step("committing the import", [&] { tx_->commit(); });
        tx_.reset();
    }

  private:
    std::unique_ptr<connection> db_;
    std::unique_ptr<transaction> tx_;  // rolled back when the import fails or is abandoned
};

}  // namespace

migrate_report migrate_database(const sqlite_config& cfg, std::int64_t now_ms) {
    // WAL is kept in the file, so the servers that open it next find it in WAL mode.
    auto db = open_db(cfg, {.create = true, .wal = true});
    migrate_report out;
    out.backend = "sqlite";
    try {
        out.applied = migrate(*db, migrations(), now_ms);
        out.version = out.applied.empty() ? schema_version(*db) : out.applied.back();
    } catch (const db_failure& e) {
        throw transfer_error("cannot migrate SQLite database " + cfg.path + " (" + e.where +
                             "): " + e.message);
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
