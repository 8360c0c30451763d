#include "postgres/postgres_transfer.hpp"

#include <algorithm>

#include "postgres/pg_connection.hpp"
#include "postgres/postgres_migrations.hpp"

namespace orgscim::plugin::postgres {

namespace {

using namespace sql::transfer;

constexpr int page_rows = 1000;

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

[[noreturn]] void fail_driver(const pg::db_failure& e, const std::string& what) {
    if (e.code == scim::store_errc::conflict) {
        throw transfer_error(what + ": a row has the same key as another (duplicate)");
    }
    throw transfer_error(what + ": " + std::string(scim::to_string(e.code)) +
                         " (see the log line above)");
}

// Runs `f`, turning the driver's failures into one-line transfer errors.
template <class F>
auto driver(const std::string& what, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const pg::db_failure& e) {
        fail_driver(e, what);
    } catch (const pg::retry_failure&) {
        throw transfer_error(what + ": serialization failure, try again");
    }
}

int schema_version_of(pg::connection& c) {
    if (c.run("SELECT to_regclass('schema_migrations') IS NULL").text(0, 0) == "t") return 0;
    return static_cast<int>(
        c.run("SELECT coalesce(max(version), 0) FROM schema_migrations").int64(0, 0));
}

schema_description describe_database(pg::connection& c) {
    // resource_counts, resource_blocks, member_flow and its counts are kept by triggers, so they
    // are not carried over.
    auto r = c.run(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name NOT IN ('schema_migrations', 'resource_counts', "
        "'resource_blocks', 'member_flow', 'member_flow_counts')");
    schema_description out;
    for (int i = 0; i < r.rows(); ++i) out[std::string(r.text(i, 0))].emplace(r.text(i, 1));
    return out;
}

value column_value(const pg::result& r, int row_index, int col, const column& c) {
    if (r.is_null(row_index, col)) return std::monostate{};
    switch (c.type) {
        case column_type::integer:
            return r.int64(row_index, col);
        case column_type::boolean:
            return r.text(row_index, col) == "t";
        case column_type::bytes: {
            auto raw = pg::from_hex(r.text(row_index, col));
            if (!raw) throw transfer_error("reading " + std::string(c.name) + ": bad hex");
            return std::move(*raw);
        }
        case column_type::text:
            break;
    }
    return std::string(r.text(row_index, col));
}

std::string key_text(const table& t, const row& r, std::string_view key) {
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (t.columns[i].name != key) continue;
        if (const auto* n = std::get_if<std::int64_t>(&r[i])) return std::to_string(*n);
        if (const auto* s = std::get_if<std::string>(&r[i])) return *s;
    }
    throw transfer_error("table " + std::string(t.name) + ": key column " + std::string(key) +
                         " is null");
}

// What the reader and the writer share: a connection of their own (the snapshot or the import
// transaction spans many calls, so not a pooled one) that is rolled back unless committed.
template <class Side>
class pg_side : public Side {
  public:
    pg_side(const postgres_config& cfg, const std::string& uri)
        : c_(driver("cannot connect to PostgreSQL",
                    [&] { return std::make_unique<pg::connection>(uri, cfg); })) {}
    ~pg_side() override { c_->rollback_quietly(); }

    std::string_view backend() const override { return "postgresql"; }
    int schema_version() override {
        return driver("reading the schema version", [&] { return schema_version_of(*c_); });
    }
    schema_description describe() override {
        return driver("reading the schema", [&] { return describe_database(*c_); });
    }

  protected:
    std::unique_ptr<pg::connection> c_;
};

class pg_reader final : public pg_side<reader> {
  public:
    pg_reader(const postgres_config& cfg, const std::string& uri) : pg_side(cfg, uri) {
        driver("PostgreSQL", [&] { c_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); });
    }

    // Paged by the table's key rather than a cursor: every page is one prepared statement, and
    // the snapshot keeps pages consistent with each other.
    void each_row(const table& t, const std::function<void(const row&)>& f) override {
        std::string select = "SELECT ";
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (i > 0) select += ", ";
            select += t.columns[i].type == column_type::bytes
                          ? "encode(" + quoted(t.columns[i].name) + ", 'hex')"
                          : quoted(t.columns[i].name);
        }
        select += " FROM " + quoted(t.name);
        std::string keys;
        std::string placeholders;
        for (std::size_t i = 0; i < t.key.size(); ++i) {
            if (i > 0) {
                keys += ", ";
                placeholders += ", ";
            }
            keys += quoted(t.key[i]);
            placeholders += "$" + std::to_string(i + 1);
        }
        const std::string tail = " ORDER BY " + keys + " LIMIT " + std::to_string(page_rows);
        const std::string first = select + tail;
        const std::string next = select + " WHERE (" + keys + ") > (" + placeholders + ")" + tail;
        const std::string what = "reading " + std::string(t.name);

        row r(t.columns.size());
        std::optional<pg::params> after;
        for (;;) {
            auto page =
                driver(what, [&] { return after ? c_->run(next, *after) : c_->run(first); });
            for (int i = 0; i < page.rows(); ++i) {
                for (std::size_t k = 0; k < t.columns.size(); ++k)
                    r[k] = column_value(page, i, static_cast<int>(k), t.columns[k]);
                f(r);
            }
            if (page.rows() < page_rows) return;
            after.emplace();
            for (const auto& key : t.key) after->text(key_text(t, r, key));
        }
    }
};

class pg_writer final : public pg_side<writer> {
  public:
    using pg_side::pg_side;

    // EXCLUSIVE still lets servers read, but no other writer in until the import commits (or
    // lock_timeout, set to statement_timeout_ms, passes: then the import fails instead).
    void begin() override {
        std::string lock = "LOCK TABLE ";
        for (const auto& t : tables()) {
            if (t.name != tables().front().name) lock += ", ";
            lock += quoted(t.name);
        }
        lock += " IN EXCLUSIVE MODE";
        driver("locking the target tables", [&] {
            c_->exec("BEGIN");
            c_->exec(lock);
        });
    }

    bool empty(const table& t) override {
        return driver("reading " + std::string(t.name), [&] {
            return c_->run("SELECT EXISTS (SELECT 1 FROM " + quoted(t.name) + ")").text(0, 0) ==
                   "f";
        });
    }

    void insert(const table& t, const row& r) override {
        if (current_ != &t) flush();
        current_ = &t;
        pending_.push_back(r);
        const std::size_t batch = std::max<std::size_t>(1, 20000 / t.columns.size());
        if (pending_.size() >= std::min<std::size_t>(batch, 500)) flush();
    }

    void commit() override {
        flush();
        for (const auto& t : tables()) {
            if (t.serial.empty()) continue;
            // The next value is past every imported one; an empty table starts at 1.
            const std::string sql = "SELECT setval(pg_get_serial_sequence('" + std::string(t.name) +
                                    "', '" + std::string(t.serial) + "'), coalesce(max(" +
                                    quoted(t.serial) + "), 0) + 1, false) " + "FROM " +
                                    quoted(t.name);
            driver("moving the sequence of " + std::string(t.name), [&] { c_->run(sql); });
        }
        driver("committing the import", [&] { c_->exec("COMMIT"); });
    }

  private:
    // One multi-row INSERT per batch: a round trip per row would make a large import slow.
    void flush() {
        if (pending_.empty()) return;
        const table& t = *current_;
        std::string sql = "INSERT INTO " + quoted(t.name) + " (";
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (i > 0) sql += ", ";
            sql += quoted(t.columns[i].name);
        }
        sql += ") VALUES ";
        pg::params p;
        int n = 0;
        for (std::size_t r = 0; r < pending_.size(); ++r) {
            sql += r > 0 ? ", (" : "(";
            for (std::size_t i = 0; i < t.columns.size(); ++i) {
                if (i > 0) sql += ", ";
                sql += "$" + std::to_string(++n);
                bind(p, t.columns[i], pending_[r][i]);
            }
            sql += ")";
        }
        pending_.clear();
        driver("inserting into " + std::string(t.name), [&] { c_->run(sql, p); });
    }

    static void bind(pg::params& p, const column& c, const value& v) {
        if (std::holds_alternative<std::monostate>(v)) {
            p.text(std::optional<std::string>());
        } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
            p.int64(*n);
        } else if (const auto* b = std::get_if<bool>(&v)) {
            p.boolean(*b);
        } else if (c.type == column_type::bytes) {
            p.bytes(std::get<std::string>(v));
        } else {
            p.text(std::get<std::string>(v));
        }
    }

    const table* current_ = nullptr;
    std::vector<row> pending_;
};

}  // namespace

migrate_report migrate_database(const postgres_config& cfg,
                                const std::string& uri,
                                std::int64_t now_ms) {
    migrate_report out;
    out.backend = "postgresql";
    pg::pool pool(cfg, uri);
    out.applied = driver("cannot connect to or migrate the PostgreSQL database",
                         [&] { return pool.migrate(migrations(), now_ms); });
    out.version = driver("reading the schema version", [&] {
        pg::pool::lease l(pool);
        return schema_version_of(*l);
    });
    return out;
}

std::unique_ptr<reader> open_reader(const postgres_config& cfg, const std::string& uri) {
    return std::make_unique<pg_reader>(cfg, uri);
}

std::unique_ptr<writer> open_writer(const postgres_config& cfg, const std::string& uri) {
    return std::make_unique<pg_writer>(cfg, uri);
}

}  // namespace orgscim::plugin::postgres
