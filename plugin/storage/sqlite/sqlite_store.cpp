#include "sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <orgscim/scim/schema.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "checkpointer.hpp"
#include "sql/filter_to_sql.hpp"
#include "sql/records.hpp"
#include "sqlite/sqlite_migrations.hpp"
#include "write_gate.hpp"

namespace orgscim::plugin {

namespace json = boost::json;
using scim::resource_record;

namespace {

// Thrown inside this file only, caught at every public entry point and turned into a value.
struct db_failure {
    store_errc code;
};

[[noreturn]] void fail(store_errc c) { throw db_failure{c}; }

store_errc map_code(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
            return store_errc::unavailable;
        case SQLITE_CONSTRAINT:
            if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                return store_errc::conflict;
            return store_errc::internal;
        default:
            return store_errc::internal;
    }
}

[[noreturn]] void fail_db(sqlite3* db, int rc, std::string_view what) {
    store_errc code = map_code(rc);
    // A uniqueness violation is the client's doing, reported as 409; not worth a log line.
    if (code != store_errc::conflict) {
        sql::log_driver_error("sqlite", what,
                              db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    }
    fail(code);
}

class connection {
  public:
    connection(const std::string& path, bool writer, const sqlite_config& cfg) {
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
        int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
        if (rc != SQLITE_OK) fail_db(db_, rc, "open");
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, static_cast<int>(cfg.busy_timeout_ms));
        // Pages are read through a mapping instead of a pread per page: every write by another
        // connection empties this connection's page cache. Each connection maps separately and
        // mapped pages count in the resident set, so the mapping stays small (16 MiB): a small
        // database is mapped whole, a large one falls back to pread past the first 16 MiB.
        exec("PRAGMA mmap_size=16777216");
        if (writer) {
            exec("PRAGMA journal_mode=WAL");
            exec(("PRAGMA synchronous=" + cfg.synchronous).c_str());
            // sqlite::checkpointer copies frames off the request path; this backstop, in a writer's
            // own commit, finds them copied and lets the next write restart the WAL, which
            // a checkpoint racing continuous writers never does.
            exec("PRAGMA wal_autocheckpoint=4000");
        } else {
            exec("PRAGMA query_only=1");
        }
    }
    ~connection() {
        for (auto& [sql, st] : cache_) sqlite3_finalize(st);
        sqlite3_close_v2(db_);
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    sqlite3* db() const noexcept { return db_; }

    // Statements are prepared once per connection; list() builds SQL per filter shape, so the
    // cache is bounded.
    sqlite3_stmt* prepare(const std::string& sql) {
        auto it = cache_.find(sql);
        if (it != cache_.end()) return it->second;
        if (cache_.size() >= 512) {
            for (auto& [text, st] : cache_) sqlite3_finalize(st);
            cache_.clear();
        }
        sqlite3_stmt* st = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &st, nullptr);
        if (rc != SQLITE_OK) fail_db(db_, rc, "prepare");
        cache_.emplace(sql, st);
        return st;
    }

    void exec(const char* sql) {
        char* msg = nullptr;
        int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
        if (rc != SQLITE_OK) {
            sqlite3_free(msg);
            fail_db(db_, rc, "exec");
        }
    }

  private:
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// A cached statement in use: bound, stepped, and reset when it goes out of scope.
class query {
  public:
    query(connection& c, const std::string& sql) : c_(c), st_(c.prepare(sql)) {}
    ~query() {
        sqlite3_reset(st_);
        sqlite3_clear_bindings(st_);
    }
    query(const query&) = delete;
    query& operator=(const query&) = delete;

    query& bind(int i, std::string_view v) {
        check(sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    query& bind(int i, const std::optional<std::string>& v) {
        if (v) return bind(i, std::string_view(*v));
        check(sqlite3_bind_null(st_, i));
        return *this;
    }
    query& bind(int i, std::int64_t v) {
        check(sqlite3_bind_int64(st_, i, v));
        return *this;
    }
    query& bind(int i, std::optional<std::int64_t> v) {
        if (v) return bind(i, *v);
        check(sqlite3_bind_null(st_, i));
        return *this;
    }
    query& bind_blob(int i, std::string_view v) {
        check(sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    query& bind(int i, const sql::param& p) {
        if (const auto* s = std::get_if<std::string>(&p)) return bind(i, std::string_view(*s));
        return bind(i, std::get<std::int64_t>(p));
    }

    /// True while there is a row.
    bool step() {
        int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail_db(c_.db(), sqlite3_extended_errcode(c_.db()), "step");
    }
    void run() {
        while (step()) {
        }
    }

    std::string_view text(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
        return p == nullptr
                   ? std::string_view()
                   : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col)));
    }
    std::string_view blob(int col) const {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(st_, col));
        return p == nullptr
                   ? std::string_view()
                   : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st_, col)));
    }
    std::int64_t int64(int col) const { return sqlite3_column_int64(st_, col); }
    bool is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
    std::optional<std::int64_t> opt_int64(int col) const {
        if (is_null(col)) return std::nullopt;
        return int64(col);
    }

  private:
    void check(int rc) {
        if (rc != SQLITE_OK) fail_db(c_.db(), rc, "bind");
    }
    connection& c_;
    sqlite3_stmt* st_;
};

class transaction {
  public:
    transaction(connection& c, bool write) : c_(c) {
        query(c_, write ? "BEGIN IMMEDIATE" : "BEGIN").run();
    }
    ~transaction() {
        if (!done_) sqlite3_exec(c_.db(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    void commit() {
        query(c_, "COMMIT").run();
        done_ = true;
    }

  private:
    connection& c_;
    bool done_ = false;
};

constexpr const char* record_columns = "r.id, r.body, r.version, r.created_ms, r.modified_ms";

resource_record read_record(const query& q, int first_col) {
    resource_record r;
    r.id = std::string(q.text(first_col));
    boost::system::error_code ec;
    json::value body = json::parse(q.text(first_col + 1), ec);
    if (ec || !body.is_object()) {
        sql::log_driver_error("sqlite", "read", "stored body is not a JSON object");
        fail(store_errc::internal);
    }
    r.attrs = std::move(body.as_object());
    r.meta.version = static_cast<std::uint64_t>(q.int64(first_col + 2));
    r.meta.created_ms = q.int64(first_col + 3);
    r.meta.modified_ms = q.int64(first_col + 4);
    return r;
}

void load_relations(connection& c,
                    std::string_view tenant,
                    const scim::resource_type& type,
                    resource_record& r,
                    const scim::fetch_options& fetch) {
    r.members.clear();
    r.groups.clear();
    if (fetch.members && type.id != "User") {
        query q(c,
                "SELECT m.member_id, m.member_type, r.label FROM group_members m JOIN resources r "
                "ON r.tenant = m.tenant AND r.id = m.member_id WHERE m.tenant = ?1 AND "
                "m.group_id = ?2 ORDER BY m.member_id");
        q.bind(1, tenant).bind(2, std::string_view(r.id));
        while (q.step()) {
            r.members.push_back(
                {std::string(q.text(0)), std::string(q.text(1)), std::string(q.text(2))});
        }
    }
    if (fetch.groups && type.id == "User") {
        query q(c,
                "SELECT g.group_id, r.label FROM group_members g JOIN resources r ON r.tenant = "
                "g.tenant AND r.id = g.group_id WHERE g.tenant = ?1 AND g.member_id = ?2 ORDER BY "
                "g.group_id");
        q.bind(1, tenant).bind(2, std::string_view(r.id));
        while (q.step()) {
            r.groups.push_back({std::string(q.text(0)), "direct", std::string(q.text(1))});
        }
    }
}

void write_emails(connection& c,
                  std::string_view tenant,
                  std::string_view id,
                  const std::vector<std::string>& emails,
                  bool replace) {
    if (replace) {
        query(c, "DELETE FROM resource_emails WHERE tenant = ?1 AND rid = ?2")
            .bind(1, tenant)
            .bind(2, id)
            .run();
    }
    for (const auto& e : emails) {
        query(c, "INSERT OR IGNORE INTO resource_emails (tenant, rid, value_f) VALUES (?1, ?2, ?3)")
            .bind(1, tenant)
            .bind(2, id)
            .bind(3, std::string_view(e))
            .run();
    }
}

// Single-row statements only: a change to a 100,000-member group touches the rows it names.
void apply_members(connection& c,
                   std::string_view tenant,
                   std::string_view group_id,
                   const scim::write_set& ws) {
    if (ws.clear_members) {
        query(c, "DELETE FROM group_members WHERE tenant = ?1 AND group_id = ?2")
            .bind(1, tenant)
            .bind(2, group_id)
            .run();
    }
    for (const auto& m : ws.add_members) {
        std::string member_type;
        {
            query q(c, "SELECT type FROM resources WHERE tenant = ?1 AND id = ?2");
            q.bind(1, tenant).bind(2, std::string_view(m));
            if (!q.step()) fail(store_errc::bad_reference);
            member_type = std::string(q.text(0));
        }
        if (member_type != "User" && member_type != "Group") fail(store_errc::bad_reference);
        query(c,
              "INSERT OR IGNORE INTO group_members (tenant, group_id, member_id, member_type) "
              "VALUES (?1, ?2, ?3, ?4)")
            .bind(1, tenant)
            .bind(2, group_id)
            .bind(3, std::string_view(m))
            .bind(4, std::string_view(member_type))
            .run();
    }
    for (const auto& m : ws.remove_members) {
        query(c, "DELETE FROM group_members WHERE tenant = ?1 AND group_id = ?2 AND member_id = ?3")
            .bind(1, tenant)
            .bind(2, group_id)
            .bind(3, std::string_view(m))
            .run();
    }
}

organization read_org(const query& q) {
    organization o;
    o.id = std::string(q.text(0));
    o.name = std::string(q.text(1));
    if (!q.is_null(2)) o.parent_id = std::string(q.text(2));
    o.status = std::string(q.text(3));
    o.created_ms = q.int64(4);
    return o;
}

constexpr const char* token_columns =
    "id, org_id, name, created_ms, expires_ms, revoked_ms, can_write, hash";

token_info read_token(const query& q) {
    token_info t;
    t.id = std::string(q.text(0));
    t.org_id = std::string(q.text(1));
    t.name = std::string(q.text(2));
    t.created_ms = q.int64(3);
    t.expires_ms = q.opt_int64(4);
    t.revoked_ms = q.opt_int64(5);
    t.can_write = q.int64(6) != 0;
    return t;
}

template <class F>
auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const db_failure& e) {
        return e.code;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        sql::log_driver_error("sqlite", "unexpected", e.what());
        return store_errc::internal;
    }
}

}  // namespace

struct sqlite_store::impl {
    sqlite_config cfg;
    std::function<std::int64_t()> clock;

    std::shared_ptr<std::recursive_mutex> write_gate;  // shared with the other SQLite stores
    std::unique_ptr<connection> writer;
    std::unique_ptr<sqlite::checkpointer> checkpoints;

    std::mutex pool_mu;
    std::vector<std::unique_ptr<connection>> idle;

    std::int64_t now() const { return clock ? clock() : sql::system_now_ms(); }

    // A read connection for the duration of one call; returned to the pool afterwards.
    class lease {
      public:
        explicit lease(impl& i) : i_(i) {
            {
                std::lock_guard lk(i_.pool_mu);
                if (!i_.idle.empty()) {
                    c_ = std::move(i_.idle.back());
                    i_.idle.pop_back();
                }
            }
            if (!c_) c_ = std::make_unique<connection>(i_.cfg.path, false, i_.cfg);
        }
        ~lease() {
            std::lock_guard lk(i_.pool_mu);
            i_.idle.push_back(std::move(c_));
        }
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        connection& operator*() { return *c_; }

      private:
        impl& i_;
        std::unique_ptr<connection> c_;
    };

    void migrate() {
        auto& c = *writer;
        c.exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "applied_ms INTEGER NOT NULL)");
        transaction t(c, true);
        int current = 0;
        {
            query q(c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
            if (q.step()) current = static_cast<int>(q.int64(0));
        }
        for (const sql::migration* m : sql::pending_migrations(sqlite::migrations(), current)) {
            c.exec(std::string(m->sql).c_str());
            query(c, "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)")
                .bind(1, std::int64_t{m->version})
                .bind(2, now())
                .run();
        }
        t.commit();
        c.exec("ANALYZE sqlite_schema");  // load the planner statistics on this connection too
    }
};

sqlite_store::sqlite_store(const sqlite_config& cfg, std::function<std::int64_t()> clock)
    : impl_(std::make_unique<impl>()) {
    if (cfg.synchronous != "normal" && cfg.synchronous != "full" && cfg.synchronous != "extra") {
        throw startup_error(
            "storage.sqlite.synchronous: expected \"normal\", \"full\" or \"extra\"");
    }
    impl_->cfg = cfg;
    impl_->clock = std::move(clock);
    impl_->write_gate = sqlite::write_gate(cfg.path);
    try {
        impl_->writer = std::make_unique<connection>(cfg.path, true, cfg);
        impl_->migrate();
        impl_->checkpoints =
            std::make_unique<sqlite::checkpointer>(cfg.path, std::chrono::milliseconds(200));
        impl::lease probe(*impl_);  // fail at start-up, not on the first request
    } catch (const db_failure&) {
        throw startup_error("cannot open or migrate SQLite database " + cfg.path +
                            " (see the log line above)");
    }
}

sqlite_store::~sqlite_store() = default;

store_result<resource_record> sqlite_store::get(std::string_view tenant,
                                                const scim::resource_type& type,
                                                std::string_view id,
                                                const scim::fetch_options& fetch) {
    return guarded([&]() -> store_result<resource_record> {
        impl::lease l(*impl_);
        connection& c = *l;
        bool relations =
            (fetch.members && type.id != "User") || (fetch.groups && type.id == "User");
        std::optional<transaction> t;
        if (relations) t.emplace(c, false);  // one snapshot for the row and its members
        resource_record r;
        {
            query q(c, std::string("SELECT ") + record_columns +
                           " FROM resources r WHERE r.tenant = ?1 AND r.id = ?2 AND r.type = ?3");
            q.bind(1, tenant).bind(2, id).bind(3, std::string_view(type.id));
            if (!q.step()) return store_errc::not_found;
            r = read_record(q, 0);
        }
        if (relations) load_relations(c, tenant, type, r, fetch);
        if (t) t->commit();
        return r;
    });
}

store_result<scim::list_result> sqlite_store::list(std::string_view tenant,
                                                   const scim::resource_type& type,
                                                   const scim::list_request& req) {
    return guarded([&]() -> store_result<scim::list_result> {
        impl::lease l(*impl_);
        connection& c = *l;
        transaction t(c, false);
        scim::list_result out;

        sql::where_clause w = sql::translate_filter(req.filter, sql::dialect::sqlite, 3);
        std::string from = " FROM resources r WHERE r.tenant = ?1 AND r.type = ?2";
        if (!w.sql.empty()) from += " AND " + w.sql;
        std::optional<std::string> sort_col;
        if (req.sort_by) sort_col = sql::sort_column(*req.sort_by, sql::dialect::sqlite);
        auto bind_common = [&](query& q) {
            q.bind(1, tenant).bind(2, std::string_view(type.id));
            for (std::size_t i = 0; i < w.params.size(); ++i) {
                q.bind(static_cast<int>(i) + 3, w.params[i]);
            }
        };
        const int next = static_cast<int>(w.params.size()) + 3;
        std::int64_t limit = std::max<std::int64_t>(req.limit, 0);
        std::int64_t offset = std::max<std::int64_t>(req.offset, 0);

        if (w.exact && (!req.sort_by || sort_col)) {
            if (w.sql.empty()) {
                query q(c, "SELECT n FROM resource_counts WHERE tenant = ?1 AND type = ?2");
                q.bind(1, tenant).bind(2, std::string_view(type.id));
                if (q.step()) out.total = q.int64(0);
            } else {
                query q(c, "SELECT count(*)" + from);
                bind_common(q);
                if (q.step()) out.total = q.int64(0);
            }
            if (limit > 0 && offset < out.total) {
                std::string order = " ORDER BY ";
                if (sort_col) {
                    order += "(" + *sort_col + " IS NULL), " + *sort_col +
                             (req.descending ? " DESC, " : " ASC, ");
                }
                order += "r.seq";
                std::string page;
                if (!sort_col && w.sql.empty() && offset > 1000) {
                    // Deep page in creation order: skip rows on the covering (tenant, type, seq)
                    // index alone, then read only the 100 rows wanted.
                    page = std::string("SELECT ") + record_columns + from +
                           " AND r.seq >= (SELECT r.seq" + from +
                           " ORDER BY r.seq LIMIT 1 OFFSET ?" + std::to_string(next + 1) + ")" +
                           order + " LIMIT ?" + std::to_string(next);
                } else {
                    page = std::string("SELECT ") + record_columns + from + order + " LIMIT ?" +
                           std::to_string(next) + " OFFSET ?" + std::to_string(next + 1);
                }
                query q(c, page);
                bind_common(q);
                q.bind(next, limit).bind(next + 1, offset);
                while (q.step()) out.items.push_back(read_record(q, 0));
            }
            for (auto& r : out.items) load_relations(c, tenant, type, r, req.fetch);
            t.commit();
            return out;
        }

        // The filter (or the sort) needs the in-memory evaluator: narrow in SQL, then match.
        std::vector<resource_record> rows;
        {
            query q(c, std::string("SELECT ") + record_columns + from + " ORDER BY r.seq");
            bind_common(q);
            while (q.step()) rows.push_back(read_record(q, 0));
        }
        scim::fetch_options need{false, false};
        if (req.filter != nullptr) {
            need.members = sql::mentions(*req.filter, "members");
            need.groups = sql::mentions(*req.filter, "groups");
        }
        if (req.sort_by) {
            need.members = need.members || scim::iequals(req.sort_by->attr, "members");
            need.groups = need.groups || scim::iequals(req.sort_by->attr, "groups");
        }
        std::vector<resource_record> kept;
        for (auto& r : rows) {
            if (need.members || need.groups) load_relations(c, tenant, type, r, need);
            if (req.filter == nullptr || w.exact ||
                scim::matches(*req.filter, sql::wire_view(type, r))) {
                kept.push_back(std::move(r));
            }
        }
        if (req.sort_by) sql::sort_by_path(kept, type, *req.sort_by, req.descending);
        out.total = static_cast<std::int64_t>(kept.size());
        std::int64_t begin = std::min(offset, out.total);
        std::int64_t end = std::min(out.total, begin + limit);
        for (std::int64_t i = begin; i < end; ++i) {
            auto& r = kept[static_cast<std::size_t>(i)];
            load_relations(c, tenant, type, r, req.fetch);
            out.items.push_back(std::move(r));
        }
        t.commit();
        return out;
    });
}

store_result<resource_record> sqlite_store::create(std::string_view tenant,
                                                   const scim::resource_type& type,
                                                   const scim::write_set& initial) {
    return guarded([&]() -> store_result<resource_record> {
        std::lock_guard lk(*impl_->write_gate);
        connection& c = *impl_->writer;
        transaction t(c, true);
        auto cols = sql::compute_columns(type, initial.attrs);
        resource_record r;
        r.id = sql::new_uuid();
        r.attrs = initial.attrs;
        r.meta.created_ms = r.meta.modified_ms = impl_->now();
        r.meta.version = 1;
        query(c,
              "INSERT INTO resources (tenant, type, id, body, version, created_ms, modified_ms, "
              "ukey, username_f, display_f, external_id, label) VALUES (?1, ?2, ?3, ?4, 1, ?5, "
              "?5, ?6, ?7, ?8, ?9, ?10)")
            .bind(1, tenant)
            .bind(2, std::string_view(type.id))
            .bind(3, std::string_view(r.id))
            .bind(4, std::string_view(json::serialize(r.attrs)))
            .bind(5, r.meta.created_ms)
            .bind(6, cols.ukey)
            .bind(7, cols.username_f)
            .bind(8, cols.display_f)
            .bind(9, cols.external_id)
            .bind(10, std::string_view(cols.label))
            .run();
        write_emails(c, tenant, r.id, cols.emails_f, false);
        apply_members(c, tenant, r.id, initial);
        load_relations(c, tenant, type, r, scim::fetch_options{true, true});
        t.commit();
        return r;
    });
}

store_result<resource_record> sqlite_store::update(std::string_view tenant,
                                                   const scim::resource_type& type,
                                                   std::string_view id,
                                                   std::optional<std::uint64_t> if_match,
                                                   const scim::fetch_options& fetch,
                                                   const mutate_fn& mutate) {
    return guarded([&]() -> store_result<resource_record> {
        std::lock_guard lk(*impl_->write_gate);
        connection& c = *impl_->writer;
        transaction t(c, true);
        resource_record cur;
        std::int64_t seq = 0;
        {
            query q(c, std::string("SELECT r.seq, ") + record_columns +
                           " FROM resources r WHERE r.tenant = ?1 AND r.id = ?2 AND r.type = ?3");
            q.bind(1, tenant).bind(2, id).bind(3, std::string_view(type.id));
            if (!q.step()) return store_errc::not_found;
            seq = q.int64(0);
            cur = read_record(q, 1);
        }
        if (if_match && *if_match != cur.meta.version) return store_errc::version_mismatch;
        load_relations(c, tenant, type, cur, fetch);
        auto ws = mutate(cur);
        if (!ws) return store_errc::aborted;
        auto cols = sql::compute_columns(type, ws->attrs);
        resource_record r;
        r.id = cur.id;
        r.attrs = std::move(ws->attrs);
        r.meta.created_ms = cur.meta.created_ms;
        r.meta.modified_ms = impl_->now();
        r.meta.version = cur.meta.version + 1;
        query(c,
              "UPDATE resources SET body = ?1, version = ?2, modified_ms = ?3, ukey = ?4, "
              "username_f = ?5, display_f = ?6, external_id = ?7, label = ?8 WHERE seq = ?9")
            .bind(1, std::string_view(json::serialize(r.attrs)))
            .bind(2, static_cast<std::int64_t>(r.meta.version))
            .bind(3, r.meta.modified_ms)
            .bind(4, cols.ukey)
            .bind(5, cols.username_f)
            .bind(6, cols.display_f)
            .bind(7, cols.external_id)
            .bind(8, std::string_view(cols.label))
            .bind(9, seq)
            .run();
        write_emails(c, tenant, r.id, cols.emails_f, true);
        apply_members(c, tenant, r.id, *ws);
        load_relations(c, tenant, type, r, fetch);
        t.commit();
        return r;
    });
}

store_result<void> sqlite_store::remove(std::string_view tenant,
                                        const scim::resource_type& type,
                                        std::string_view id,
                                        std::optional<std::uint64_t> if_match) {
    return guarded([&]() -> store_result<void> {
        std::lock_guard lk(*impl_->write_gate);
        connection& c = *impl_->writer;
        transaction t(c, true);
        std::int64_t seq = 0;
        {
            query q(
                c,
                "SELECT seq, version FROM resources WHERE tenant = ?1 AND id = ?2 AND type = ?3");
            q.bind(1, tenant).bind(2, id).bind(3, std::string_view(type.id));
            if (!q.step()) return store_errc::not_found;
            seq = q.int64(0);
            if (if_match && *if_match != static_cast<std::uint64_t>(q.int64(1)))
                return store_errc::version_mismatch;
        }
        // Groups that lose this member have changed, so their ETags change too.
        query(c,
              "UPDATE resources SET version = version + 1, modified_ms = ?3 WHERE tenant = ?1 AND "
              "id IN (SELECT group_id FROM group_members WHERE tenant = ?1 AND member_id = ?2)")
            .bind(1, tenant)
            .bind(2, id)
            .bind(3, impl_->now())
            .run();
        query(c, "DELETE FROM group_members WHERE tenant = ?1 AND member_id = ?2")
            .bind(1, tenant)
            .bind(2, id)
            .run();
        query(c, "DELETE FROM group_members WHERE tenant = ?1 AND group_id = ?2")
            .bind(1, tenant)
            .bind(2, id)
            .run();
        query(c, "DELETE FROM resource_emails WHERE tenant = ?1 AND rid = ?2")
            .bind(1, tenant)
            .bind(2, id)
            .run();
        query(c, "DELETE FROM resources WHERE seq = ?1").bind(1, seq).run();
        t.commit();
        return {};
    });
}

store_result<organization> sqlite_store::create_org(std::string_view name,
                                                    std::optional<std::string_view> parent_id) {
    return guarded([&]() -> store_result<organization> {
        std::lock_guard lk(*impl_->write_gate);
        connection& c = *impl_->writer;
        transaction t(c, true);
        if (parent_id) {
            query q(c, "SELECT 1 FROM orgs WHERE id = ?1");
            q.bind(1, *parent_id);
            if (!q.step()) return store_errc::not_found;
        }
        organization o;
        o.id = sql::new_uuid();
        o.name = std::string(name);
        if (parent_id) o.parent_id = std::string(*parent_id);
        o.created_ms = impl_->now();
        query(c,
              "INSERT INTO orgs (id, name, parent_id, status, created_ms) VALUES (?1, ?2, ?3, ?4, "
              "?5)")
            .bind(1, std::string_view(o.id))
            .bind(2, name)
            .bind(3, o.parent_id)
            .bind(4, std::string_view(o.status))
            .bind(5, o.created_ms)
            .run();
        t.commit();
        return o;
    });
}

store_result<organization> sqlite_store::get_org(std::string_view id) {
    return guarded([&]() -> store_result<organization> {
        impl::lease l(*impl_);
        query q(*l, "SELECT id, name, parent_id, status, created_ms FROM orgs WHERE id = ?1");
        q.bind(1, id);
        if (!q.step()) return store_errc::not_found;
        return read_org(q);
    });
}

store_result<std::vector<organization>> sqlite_store::list_orgs() {
    return guarded([&]() -> store_result<std::vector<organization>> {
        impl::lease l(*impl_);
        query q(*l, "SELECT id, name, parent_id, status, created_ms FROM orgs ORDER BY rowid");
        std::vector<organization> out;
        while (q.step()) out.push_back(read_org(q));
        return out;
    });
}

store_result<token_info> sqlite_store::create_token(std::string_view org_id,
                                                    std::string_view name,
                                                    std::string_view secret_hash,
                                                    std::optional<std::int64_t> expires_ms,
                                                    bool can_write) {
    return guarded([&]() -> store_result<token_info> {
        std::lock_guard lk(*impl_->write_gate);
        connection& c = *impl_->writer;
        transaction t(c, true);
        {
            query q(c, "SELECT 1 FROM orgs WHERE id = ?1");
            q.bind(1, org_id);
            if (!q.step()) return store_errc::not_found;
        }
        token_info tok;
        tok.id = sql::new_uuid();
        tok.org_id = std::string(org_id);
        tok.name = std::string(name);
        tok.created_ms = impl_->now();
        tok.expires_ms = expires_ms;
        tok.can_write = can_write;
        query(c,
              "INSERT INTO tokens (id, org_id, name, hash, created_ms, expires_ms, revoked_ms, "
              "can_write) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7)")
            .bind(1, std::string_view(tok.id))
            .bind(2, org_id)
            .bind(3, name)
            .bind_blob(4, secret_hash)
            .bind(5, tok.created_ms)
            .bind(6, expires_ms)
            .bind(7, std::int64_t{can_write ? 1 : 0})
            .run();
        t.commit();
        return tok;
    });
}

store_result<std::vector<token_info>> sqlite_store::list_tokens(std::string_view org_id) {
    return guarded([&]() -> store_result<std::vector<token_info>> {
        impl::lease l(*impl_);
        query q(*l, std::string("SELECT ") + token_columns +
                        " FROM tokens WHERE org_id = ?1 ORDER BY rowid");
        q.bind(1, org_id);
        std::vector<token_info> out;
        while (q.step()) out.push_back(read_token(q));
        return out;
    });
}

store_result<void> sqlite_store::revoke_token(std::string_view token_id, std::int64_t now_ms) {
    return guarded([&]() -> store_result<void> {
        std::lock_guard lk(*impl_->write_gate);
        connection& c = *impl_->writer;
        query(c, "UPDATE tokens SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1")
            .bind(1, token_id)
            .bind(2, now_ms)
            .run();
        if (sqlite3_changes(c.db()) == 0) return store_errc::not_found;
        return {};
    });
}

store_result<std::pair<token_info, std::string>> sqlite_store::find_token(
    std::string_view secret_hash) {
    return guarded([&]() -> store_result<std::pair<token_info, std::string>> {
        impl::lease l(*impl_);
        query q(*l, std::string("SELECT ") + token_columns + " FROM tokens WHERE hash = ?1");
        q.bind_blob(1, secret_hash);
        if (!q.step()) return store_errc::not_found;
        return std::pair{read_token(q), std::string(q.blob(7))};
    });
}

bool sqlite_store::healthy() {
    auto r = guarded([&]() -> store_result<void> {
        impl::lease l(*impl_);
        query q(*l, "SELECT 1");
        if (!q.step()) return store_errc::internal;
        return {};
    });
    return r.has_value();
}

}  // namespace orgscim::plugin
