#include "sqlite/sqlite_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <orgscim/scim/schema.hpp>
#include <string>
#include <vector>

#include "checkpointer.hpp"
#include "sql/filter_to_sql.hpp"
#include "sql/records.hpp"
#include "sqlite/sqlite_db.hpp"
#include "sqlite/sqlite_migrations.hpp"
#include "write_gate.hpp"

namespace orgscim::plugin {

namespace json = boost::json;
using scim::resource_record;

namespace {

using sqlite::connection;
using sqlite::fail;
using sqlite::guarded;
using sqlite::stmt;
using sqlite::transaction;

void bind_param(stmt& q, int i, const sql::param& p) {
    if (const auto* s = std::get_if<std::string>(&p)) {
        q.bind(i, *s);
    } else {
        q.bind(i, std::get<std::int64_t>(p));
    }
}

constexpr const char* record_columns = "r.id, r.body, r.version, r.created_ms, r.modified_ms";

resource_record read_record(const stmt& q, int first_col) {
    resource_record r;
    r.id = std::string(q.text(first_col));
    boost::system::error_code ec;
    json::value body = json::parse(q.view(first_col + 1), ec);
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
        stmt q(c,
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
        stmt q(c,
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
        stmt(c, "DELETE FROM resource_emails WHERE tenant = ?1 AND rid = ?2")
            .bind(1, tenant)
            .bind(2, id)
            .run();
    }
    for (const auto& e : emails) {
        stmt(c, "INSERT OR IGNORE INTO resource_emails (tenant, rid, value_f) VALUES (?1, ?2, ?3)")
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
        stmt(c, "DELETE FROM group_members WHERE tenant = ?1 AND group_id = ?2")
            .bind(1, tenant)
            .bind(2, group_id)
            .run();
    }
    for (const auto& m : ws.add_members) {
        std::string member_type;
        {
            stmt q(c, "SELECT type FROM resources WHERE tenant = ?1 AND id = ?2");
            q.bind(1, tenant).bind(2, std::string_view(m));
            if (!q.step()) fail(store_errc::bad_reference);
            member_type = std::string(q.text(0));
        }
        if (member_type != "User" && member_type != "Group") fail(store_errc::bad_reference);
        stmt(c,
             "INSERT OR IGNORE INTO group_members (tenant, group_id, member_id, member_type) "
             "VALUES (?1, ?2, ?3, ?4)")
            .bind(1, tenant)
            .bind(2, group_id)
            .bind(3, std::string_view(m))
            .bind(4, std::string_view(member_type))
            .run();
    }
    for (const auto& m : ws.remove_members) {
        stmt(c, "DELETE FROM group_members WHERE tenant = ?1 AND group_id = ?2 AND member_id = ?3")
            .bind(1, tenant)
            .bind(2, group_id)
            .bind(3, std::string_view(m))
            .run();
    }
}

organization read_org(const stmt& q) {
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

token_info read_token(const stmt& q) {
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

    // The writer creates the file and puts it in WAL mode, so that readers never wait for it.
    sqlite::connection_options options(bool write) const {
        if (!write) {
            return {.busy_timeout_ms = cfg.busy_timeout_ms, .map_pages = true, .read_only = true};
        }
        return {.busy_timeout_ms = cfg.busy_timeout_ms,
                .create = true,
                .wal = true,
                .synchronous = cfg.synchronous,
                .checkpoint_backstop = true,
                .map_pages = true};
    }

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
            if (!c_) c_ = std::make_unique<connection>(i_.cfg.path, i_.options(false));
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
        sqlite::migrate(*writer, sqlite::migrations(), now());
        writer->exec("ANALYZE sqlite_schema");  // load the planner statistics on this connection
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
        impl_->writer = std::make_unique<connection>(cfg.path, impl_->options(true));
        impl_->migrate();
        impl_->checkpoints =
            std::make_unique<sqlite::checkpointer>(cfg.path, std::chrono::milliseconds(200));
        impl::lease probe(*impl_);  // fail at start-up, not on the first request
    } catch (const sqlite::db_failure& e) {
        sqlite::report(e);
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
            stmt q(c, std::string("SELECT ") + record_columns +
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
        auto bind_common = [&](stmt& q) {
            q.bind(1, tenant).bind(2, std::string_view(type.id));
            for (std::size_t i = 0; i < w.params.size(); ++i) {
                bind_param(q, static_cast<int>(i) + 3, w.params[i]);
            }
        };
        const int next = static_cast<int>(w.params.size()) + 3;
        std::int64_t limit = std::max<std::int64_t>(req.limit, 0);
        std::int64_t offset = std::max<std::int64_t>(req.offset, 0);

        if (w.exact && (!req.sort_by || sort_col)) {
            if (w.sql.empty()) {
                stmt q(c, "SELECT n FROM resource_counts WHERE tenant = ?1 AND type = ?2");
                q.bind(1, tenant).bind(2, std::string_view(type.id));
                if (q.step()) out.total = q.int64(0);
            } else {
                stmt q(c, "SELECT count(*)" + from);
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
                stmt q(c, page);
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
            stmt q(c, std::string("SELECT ") + record_columns + from + " ORDER BY r.seq");
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
        stmt(c,
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
            stmt q(c, std::string("SELECT r.seq, ") + record_columns +
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
        stmt(c,
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
            stmt q(
                c,
                "SELECT seq, version FROM resources WHERE tenant = ?1 AND id = ?2 AND type = ?3");
            q.bind(1, tenant).bind(2, id).bind(3, std::string_view(type.id));
            if (!q.step()) return store_errc::not_found;
            seq = q.int64(0);
            if (if_match && *if_match != static_cast<std::uint64_t>(q.int64(1)))
                return store_errc::version_mismatch;
        }
        // Groups that lose this member have changed, so their ETags change too.
        stmt(c,
             "UPDATE resources SET version = version + 1, modified_ms = ?3 WHERE tenant = ?1 AND "
             "id IN (SELECT group_id FROM group_members WHERE tenant = ?1 AND member_id = ?2)")
            .bind(1, tenant)
            .bind(2, id)
            .bind(3, impl_->now())
            .run();
        stmt(c, "DELETE FROM group_members WHERE tenant = ?1 AND member_id = ?2")
            .bind(1, tenant)
            .bind(2, id)
            .run();
        stmt(c, "DELETE FROM group_members WHERE tenant = ?1 AND group_id = ?2")
            .bind(1, tenant)
            .bind(2, id)
            .run();
        stmt(c, "DELETE FROM resource_emails WHERE tenant = ?1 AND rid = ?2")
            .bind(1, tenant)
            .bind(2, id)
            .run();
        stmt(c, "DELETE FROM resources WHERE seq = ?1").bind(1, seq).run();
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
            stmt q(c, "SELECT 1 FROM orgs WHERE id = ?1");
            q.bind(1, *parent_id);
            if (!q.step()) return store_errc::not_found;
        }
        organization o;
        o.id = sql::new_uuid();
        o.name = std::string(name);
        if (parent_id) o.parent_id = std::string(*parent_id);
        o.created_ms = impl_->now();
        stmt(c,
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
        stmt q(*l, "SELECT id, name, parent_id, status, created_ms FROM orgs WHERE id = ?1");
        q.bind(1, id);
        if (!q.step()) return store_errc::not_found;
        return read_org(q);
    });
}

store_result<std::vector<organization>> sqlite_store::list_orgs() {
    return guarded([&]() -> store_result<std::vector<organization>> {
        impl::lease l(*impl_);
        stmt q(*l, "SELECT id, name, parent_id, status, created_ms FROM orgs ORDER BY rowid");
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
            stmt q(c, "SELECT 1 FROM orgs WHERE id = ?1");
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
        stmt(c,
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
        stmt q(*l, std::string("SELECT ") + token_columns +
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
        stmt(c, "UPDATE tokens SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1")
            .bind(1, token_id)
            .bind(2, now_ms)
            .run();
        if (c.changes() == 0) return store_errc::not_found;
        return {};
    });
}

store_result<std::pair<token_info, std::string>> sqlite_store::find_token(
    std::string_view secret_hash) {
    return guarded([&]() -> store_result<std::pair<token_info, std::string>> {
        impl::lease l(*impl_);
        stmt q(*l, std::string("SELECT ") + token_columns + " FROM tokens WHERE hash = ?1");
        q.bind_blob(1, secret_hash);
        if (!q.step()) return store_errc::not_found;
        return std::pair{read_token(q), std::string(q.blob(7))};
    });
}

bool sqlite_store::healthy() {
    auto r = guarded([&]() -> store_result<void> {
        impl::lease l(*impl_);
        stmt q(*l, "SELECT 1");
        if (!q.step()) return store_errc::internal;
        return {};
    });
    return r.has_value();
}

}  // namespace orgscim::plugin
