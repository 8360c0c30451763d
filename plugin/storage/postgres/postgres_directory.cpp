// PostgreSQL implementation of directory_store: its own pool on the database postgres_store has
// migrated (migration 2 below), writes in one READ COMMITTED transaction per write() call, reads
// outside write() in autocommit on any pooled connection.
//
// Several orgscim processes share the database, so what SQLite's single writer gives for free is
// taken explicitly: inside write(), every statement about an org first holds a transaction-scoped
// advisory lock on that org's tree (keyed by the root org id; directory_lock(1, root)), and each
// later statement reads what the previous holder committed. Every directory rule is a read, then
// a write, within one tree: the last access manager, the cycle and same-tree checks of a move, the
// subtree path rewrite, find-or-create of an identity by home user. Serializing writers per tree
// therefore gives them SQLite's order, without SERIALIZABLE's false conflicts (concurrent
// provisioning into one org would abort on shared index pages) and without making independent
// customer trees wait for each other. One person can be added to two trees at once, so a lookup by
// issuer+subject also locks that pair (directory_lock(2, ...)). The admin port's org insert takes
// the tree lock in its trigger. Lock waits end at lock_timeout (unavailable); deadlocks between
// trees are retried by pg::pool.

#include "postgres/postgres_directory.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <orgscim/scim/ids.hpp>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "postgres/pg_connection.hpp"
#include "postgres/postgres_migrations.hpp"
#include "sql/directory_rows.hpp"
#include "sql/records.hpp"

namespace orgscim::plugin {

namespace postgres {

// Same tables and columns as SQLite's migration 3; ids compared and ordered with COLLATE "C" (the
// subtree range on `path` is a byte-order range). Paths of existing orgs are filled in (an org
// whose parent is gone starts a tree, as the trigger does), and the trigger gives one to orgs
// inserted without it (the admin port's create_org).
const std::string_view directory_schema = R"sql(
ALTER TABLE orgs ADD COLUMN managed_by TEXT COLLATE "C";
ALTER TABLE orgs ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE orgs ADD COLUMN path TEXT COLLATE "C";
ALTER TABLE orgs ADD COLUMN modified_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
WITH RECURSIVE p(id, path) AS (
    SELECT o.id, ('/' || o.id || '/')::text COLLATE "C" FROM orgs o
        WHERE o.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM orgs q WHERE q.id = o.parent_id)
    UNION ALL SELECT o.id, (p.path || o.id || '/')::text COLLATE "C"
        FROM orgs o JOIN p ON o.parent_id = p.id)
UPDATE orgs SET path = p.path, modified_ms = orgs.created_ms FROM p WHERE p.id = orgs.id;
CREATE INDEX orgs_path ON orgs (path);
CREATE INDEX orgs_parent ON orgs (parent_id);

CREATE FUNCTION directory_lock(kind INTEGER, key TEXT) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1869768560 + kind, hashtext(key))
$$;
CREATE FUNCTION orgs_path_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent_path TEXT;
BEGIN
    IF NEW.parent_id IS NOT NULL THEN
        SELECT path INTO parent_path FROM orgs WHERE id = NEW.parent_id;
        IF parent_path IS NOT NULL THEN
            -- A move rewrites the paths under this lock: read the parent's once it is held.
            PERFORM directory_lock(1, split_part(parent_path, '/', 2));
            SELECT path INTO parent_path FROM orgs WHERE id = NEW.parent_id;
        END IF;
    END IF;
    NEW.path := coalesce(parent_path, '/') || NEW.id || '/';
    NEW.modified_ms := NEW.created_ms;
    RETURN NEW;
END
$$;
CREATE TRIGGER orgs_path_on_insert BEFORE INSERT ON orgs FOR EACH ROW WHEN (NEW.path IS NULL)
    EXECUTE FUNCTION orgs_path_on_insert();

CREATE TABLE identities (
    id           TEXT COLLATE "C" PRIMARY KEY,
    issuer       TEXT COLLATE "C",
    subject      TEXT COLLATE "C",
    home_org     TEXT COLLATE "C" NOT NULL,
    home_user_id TEXT COLLATE "C",
    display      TEXT NOT NULL,
    created_ms   BIGINT NOT NULL
);
CREATE UNIQUE INDEX identities_subject ON identities (issuer, subject) WHERE issuer IS NOT NULL;
CREATE UNIQUE INDEX identities_home_user ON identities (home_org, home_user_id)
    WHERE home_user_id IS NOT NULL;
CREATE TABLE memberships (
    identity_id        TEXT COLLATE "C" NOT NULL,
    org_id             TEXT COLLATE "C" NOT NULL,
    kind               TEXT NOT NULL,
    home_org           TEXT COLLATE "C" NOT NULL,
    user_ref           TEXT COLLATE "C",
    override_inherited BOOLEAN NOT NULL,
    roles              TEXT NOT NULL,
    created_ms         BIGINT NOT NULL,
    PRIMARY KEY (identity_id, org_id)
);
CREATE INDEX memberships_org ON memberships (org_id);
CREATE TABLE custom_roles (
    org_id      TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    permissions BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE TABLE group_roles (
    org_id   TEXT COLLATE "C" NOT NULL,
    group_id TEXT COLLATE "C" NOT NULL,
    role_id  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, group_id, role_id)
);
CREATE TABLE events (
    seq           BIGSERIAL PRIMARY KEY,
    id            TEXT COLLATE "C" NOT NULL UNIQUE,
    org_id        TEXT COLLATE "C" NOT NULL,
    time_ms       BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    action        TEXT NOT NULL,
    target_type   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    detail        TEXT NOT NULL
);
CREATE INDEX events_org ON events (org_id, seq);
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
)sql";

}  // namespace postgres

namespace {

using pg::params;
using pg::result;

constexpr int tree_lock = 1;
constexpr int subject_lock = 2;

const std::string org_cols =
    "id, name, parent_id, status, managed_by, settings, path, created_ms, modified_ms, version";

std::optional<std::string> opt_text(const result& q, int row, int col) {
    if (q.is_null(row, col)) return std::nullopt;
    return std::string(q.text(row, col));
}

org_node read_org(const result& q, int row) {
    org_node o;
    o.id = std::string(q.text(row, 0));
    o.name = std::string(q.text(row, 1));
    o.parent_id = opt_text(q, row, 2);
    o.status = std::string(q.text(row, 3));
    o.managed_by = opt_text(q, row, 4);
    o.settings = sql::object_from_json(q.text(row, 5));
    o.ancestors = sql::ancestors_of_path(q.text(row, 6));
    o.created_ms = q.int64(row, 7);
    o.modified_ms = q.int64(row, 8);
    o.version = static_cast<std::uint64_t>(q.int64(row, 9));
    return o;
}

std::vector<org_node> read_orgs(const result& q) {
    std::vector<org_node> out;
    for (int i = 0; i < q.rows(); ++i) out.push_back(read_org(q, i));
    return out;
}

const std::string identity_cols =
    "id, issuer, subject, home_org, home_user_id, display, created_ms";

// The identity_cols of a row, from column `first` on.
identity_record read_identity(const result& q, int row, int first = 0) {
    return {std::string(q.text(row, first)), opt_text(q, row, first + 1),
            opt_text(q, row, first + 2),     std::string(q.text(row, first + 3)),
            opt_text(q, row, first + 4),     std::string(q.text(row, first + 5)),
            q.int64(row, first + 6)};
}

const std::string membership_cols =
    "org_id, identity_id, kind, home_org, user_ref, override_inherited, roles, created_ms";

std::vector<membership_record> read_memberships(const result& q) {
    std::vector<membership_record> out;
    for (int i = 0; i < q.rows(); ++i) {
        membership_record m;
        m.org_id = std::string(q.text(i, 0));
        m.identity_id = std::string(q.text(i, 1));
        m.kind = parse_membership_kind(q.text(i, 2)).value_or(membership_kind::home);
        m.home_org = std::string(q.text(i, 3));
        m.user_ref = opt_text(q, i, 4);
        m.override_inherited = q.text(i, 5) == "t";
        m.roles = sql::strings_from_json(q.text(i, 6));
        m.created_ms = q.int64(i, 7);
        out.push_back(std::move(m));
    }
    return out;
}

// Statement failures become values here; a serialization failure or deadlock (retry_failure)
// goes on up to pg::pool, which runs the whole write() again.
template <class F>
auto caught(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const pg::db_failure& e) {
        return e.code;
    }
}

// Reads and writes on one connection. In a write transaction (`in_tx`) statements about an org
// first hold its tree lock (see the top of this file); outside one they take no lock.
class pg_directory_conn final : public directory_tx {
  public:
    pg_directory_conn(pg::connection& c, const std::function<std::int64_t()>& now, bool in_tx)
        : c_(c), now_(now), in_tx_(in_tx) {}

    store_result<org_node> get_org(std::string_view id) override {
        return in_org(id, [&]() -> store_result<org_node> {
            auto q = c_.run("SELECT " + org_cols + " FROM orgs WHERE id = $1", params().text(id));
            if (q.rows() == 0) return store_errc::not_found;
            return read_org(q, 0);
        });
    }

    store_result<std::vector<org_node>> list_orgs() override {
        return caught([&]() -> store_result<std::vector<org_node>> {
            return read_orgs(c_.run("SELECT " + org_cols + " FROM orgs ORDER BY created_ms, id"));
        });
    }

    store_result<std::vector<org_node>> children(std::string_view id) override {
        return in_org(id, [&]() -> store_result<std::vector<org_node>> {
            return read_orgs(c_.run(
                "SELECT " + org_cols + " FROM orgs WHERE parent_id = $1 ORDER BY created_ms, id",
                params().text(id)));
        });
    }

    store_result<std::vector<org_node>> descendants(std::string_view id) override {
        return in_org(id, [&]() -> store_result<std::vector<org_node>> {
            auto p = path_of(id);
            if (!p) return store_errc::not_found;
            return read_orgs(c_.run("SELECT " + org_cols +
                                        " FROM orgs WHERE path > $1 AND path < $2 ORDER BY "
                                        "length(path), created_ms, id",
                                    params().text(*p).text(sql::path_end(*p))));
        });
    }

    store_result<identity_record> get_identity(std::string_view id) override {
        return caught([&]() -> store_result<identity_record> {
            return one_identity("id = $1", params().text(id));
        });
    }

    store_result<identity_record> find_identity_by_subject(std::string_view issuer,
                                                           std::string_view subject) override {
        return caught([&]() -> store_result<identity_record> {
            lock_subject(issuer, subject);
            return one_identity("issuer = $1 AND subject = $2",
                                params().text(issuer).text(subject));
        });
    }

    store_result<identity_record> find_identity_by_home_user(std::string_view home_org,
                                                             std::string_view user_id) override {
        return in_org(home_org, [&]() -> store_result<identity_record> {
            return one_identity("home_org = $1 AND home_user_id = $2",
                                params().text(home_org).text(user_id));
        });
    }

    store_result<membership_record> get_membership(std::string_view org_id,
                                                   std::string_view identity_id) override {
        return in_org(org_id, [&]() -> store_result<membership_record> {
            auto ms = read_memberships(c_.run("SELECT " + membership_cols +
                                                  " FROM memberships WHERE org_id = $1 AND "
                                                  "identity_id = $2",
                                              params().text(org_id).text(identity_id)));
            if (ms.empty()) return store_errc::not_found;
            return std::move(ms.front());
        });
    }

    store_result<std::vector<membership_record>> memberships_in(
        std::string_view identity_id, std::span<const std::string> org_ids) override {
        return caught([&]() -> store_result<std::vector<membership_record>> {
            if (org_ids.empty()) return std::vector<membership_record>{};
            std::vector<std::string> ids(org_ids.begin(), org_ids.end());
            lock_trees(ids);
            return read_memberships(
                c_.run("SELECT " + membership_cols +
                           " FROM memberships WHERE identity_id = $1 AND org_id = ANY($2::text[]) "
                           "ORDER BY created_ms, org_id",
                       params().text(identity_id).text_array(ids)));
        });
    }

    store_result<std::vector<membership_record>> memberships_of(
        std::string_view identity_id) override {
        return caught([&]() -> store_result<std::vector<membership_record>> {
            return read_memberships(c_.run("SELECT " + membership_cols +
                                               " FROM memberships WHERE identity_id = $1 ORDER BY "
                                               "created_ms, identity_id, org_id",
                                           params().text(identity_id)));
        });
    }

    store_result<membership_record> find_listed_membership(std::string_view org_id,
                                                           std::string_view user_id) override {
        return in_org(org_id, [&]() -> store_result<membership_record> {
            auto ms = read_memberships(
                // Two lookups, each on its own index (one OR walked the org's memberships).
                c_.run("SELECT " + membership_cols +
                           " FROM memberships WHERE org_id = $1 AND user_ref = $2 AND kind <> "
                           "'home' UNION ALL SELECT " +
                           membership_cols +
                           " FROM memberships WHERE org_id = $1 AND identity_id = $2 AND "
                           "user_ref IS NULL AND kind <> 'inherited' LIMIT 1",
                       params().text(org_id).text(user_id)));
            if (ms.empty()) return store_errc::not_found;
            return std::move(ms.front());
        });
    }

    store_result<std::vector<membership_record>> members(std::string_view org_id) override {
        return in_org(org_id, [&]() -> store_result<std::vector<membership_record>> {
            return read_memberships(c_.run("SELECT " + membership_cols +
                                               " FROM memberships WHERE org_id = $1 ORDER BY "
                                               "created_ms, identity_id, org_id",
                                           params().text(org_id)));
        });
    }

    store_result<std::vector<custom_role_record>> custom_roles(std::string_view org_id) override {
        return in_org(org_id, [&]() -> store_result<std::vector<custom_role_record>> {
            auto q = c_.run(
                "SELECT org_id, id, name, permissions FROM custom_roles WHERE org_id = $1 ORDER "
                "BY name, id",
                params().text(org_id));
            std::vector<custom_role_record> out;
            for (int i = 0; i < q.rows(); ++i) {
                out.push_back({std::string(q.text(i, 0)), std::string(q.text(i, 1)),
                               std::string(q.text(i, 2)),
                               static_cast<std::uint32_t>(q.int64(i, 3))});
            }
            return out;
        });
    }

    store_result<std::vector<group_role_record>> group_roles(std::string_view org_id) override {
        return in_org(org_id, [&]() -> store_result<std::vector<group_role_record>> {
            auto q = c_.run(
                "SELECT org_id, group_id, role_id FROM group_roles WHERE org_id = $1 ORDER BY "
                "group_id, role_id",
                params().text(org_id));
            std::vector<group_role_record> out;
            for (int i = 0; i < q.rows(); ++i) {
                out.push_back({std::string(q.text(i, 0)), std::string(q.text(i, 1)),
                               std::string(q.text(i, 2))});
            }
            return out;
        });
    }

    store_result<std::vector<std::string>> groups_of(std::string_view org_id,
                                                     std::string_view member_id) override {
        return in_org(org_id, [&]() -> store_result<std::vector<std::string>> {
            auto q = c_.run(
                "SELECT group_id FROM group_members WHERE tenant = $1 AND member_id = $2 ORDER "
                "BY group_id",
                params().text(org_id).text(member_id));
            std::vector<std::string> out;
            for (int i = 0; i < q.rows(); ++i) out.emplace_back(q.text(i, 0));
            return out;
        });
    }

    store_result<event_page> list_events(std::string_view org_id,
                                         std::int64_t offset,
                                         std::int64_t limit) override {
        return in_org(org_id, [&]() -> store_result<event_page> {
            event_page page;
            page.total =
                c_.run("SELECT count(*) FROM events WHERE org_id = $1", params().text(org_id))
                    .int64(0, 0);
            // SQLite reads a negative LIMIT as "no limit"; PostgreSQL's is NULL.
            std::optional<std::int64_t> lim;
            if (limit >= 0) lim = limit;
            auto q = c_.run(
                "SELECT id, seq, time_ms, org_id, actor, credential_id, action, target_type, "
                "target_id, detail FROM events WHERE org_id = $1 ORDER BY seq DESC LIMIT $2 "
                "OFFSET $3",
                params().text(org_id).int64(lim).int64(std::max<std::int64_t>(offset, 0)));
            for (int i = 0; i < q.rows(); ++i) {
                event_record e;
                e.id = std::string(q.text(i, 0));
                e.seq = q.int64(i, 1);
                e.time_ms = q.int64(i, 2);
                e.ev.org_id = std::string(q.text(i, 3));
                e.ev.actor = std::string(q.text(i, 4));
                e.ev.credential_id = std::string(q.text(i, 5));
                e.ev.action = std::string(q.text(i, 6));
                e.ev.target_type = std::string(q.text(i, 7));
                e.ev.target_id = std::string(q.text(i, 8));
                e.ev.detail = sql::object_from_json(q.text(i, 9));
                page.items.push_back(std::move(e));
            }
            return page;
        });
    }

    // --- writes ------------------------------------------------------------------------------

    store_result<org_node> insert_org(org_node o) override {
        return caught([&]() -> store_result<org_node> {
            if (o.id.empty()) o.id = scim::new_id();
            if (!sql::valid_org_id(o.id)) return store_errc::internal;
            auto path = placed_path(o.id, o.parent_id);
            if (!path) return store_errc::not_found;
            // DO NOTHING rather than a unique violation: the transaction stays usable.
            auto q = c_.run(
                "INSERT INTO orgs (id, name, parent_id, status, created_ms, "
                "managed_by, settings, path, modified_ms, version) VALUES ($1, $2, "
                "$3, $4, $5, $6, $7, $8, $5, 1) ON CONFLICT (id) DO NOTHING "
                "RETURNING " +
                    org_cols,
                params()
                    .text(o.id)
                    .text(o.name)
                    .text(o.parent_id)
                    .text(o.status)
                    .int64(now_())
                    .text(o.managed_by)
                    .text(boost::json::serialize(o.settings))
                    .text(*path));
            if (q.rows() == 0) return store_errc::conflict;
            return read_org(q, 0);
        });
    }

    store_result<org_node> update_org(const org_node& o,
                                      std::optional<std::uint64_t> if_match) override {
        return in_org(o.id, [&]() -> store_result<org_node> {
            auto cur = c_.run("SELECT parent_id, path, version FROM orgs WHERE id = $1 FOR UPDATE",
                              params().text(o.id));
            if (cur.rows() == 0) return store_errc::not_found;
            if (if_match && *if_match != static_cast<std::uint64_t>(cur.int64(0, 2))) {
                return store_errc::version_mismatch;
            }
            if (o.parent_id != opt_text(cur, 0, 0)) {
                const std::string old_path(cur.text(0, 1));
                auto new_path = placed_path(o.id, o.parent_id);
                if (!new_path) return store_errc::not_found;
                c_.run(
                    "UPDATE orgs SET path = $1 || substr(path, length($2) + 1) WHERE path >= $2 "
                    "AND path < $3",
                    params().text(*new_path).text(old_path).text(sql::path_end(old_path)));
                // The subtree may now hang under another root: look roots up again.
                root_of_.clear();
            }
            auto q = c_.run(
                "UPDATE orgs SET name = $2, parent_id = $3, status = $4, managed_by = "
                "$5, settings = $6, modified_ms = $7, version = version + 1 WHERE id "
                "= $1 RETURNING " +
                    org_cols,
                params()
                    .text(o.id)
                    .text(o.name)
                    .text(o.parent_id)
                    .text(o.status)
                    .text(o.managed_by)
                    .text(boost::json::serialize(o.settings))
                    .int64(now_()));
            if (q.rows() == 0) return store_errc::not_found;
            return read_org(q, 0);
        });
    }

    store_result<void> delete_org(std::string_view id) override {
        return in_org(id, [&]() -> store_result<void> {
            if (!path_of(id)) return store_errc::not_found;
            static const std::string by_org[] = {
                "DELETE FROM memberships WHERE org_id = $1",
                "DELETE FROM custom_roles WHERE org_id = $1",
                "DELETE FROM group_roles WHERE org_id = $1",
                "DELETE FROM group_members WHERE tenant = $1",
                "DELETE FROM resource_emails WHERE tenant = $1",
                "DELETE FROM resources WHERE tenant = $1",
                "DELETE FROM tokens WHERE org_id = $1",
                "DELETE FROM orgs WHERE id = $1",
            };
            for (const auto& q : by_org) c_.run(q, params().text(id));
            return {};
        });
    }

    store_result<identity_record> put_identity(identity_record i) override {
        return caught([&]() -> store_result<identity_record> {
            if (i.id.empty()) i.id = scim::new_id();
            if (i.created_ms == 0) i.created_ms = now_();
            lock_tree(i.home_org);
            if (i.issuer && i.subject) lock_subject(*i.issuer, *i.subject);
            // Checked first, under the locks, so that a taken key is a value and the transaction
            // stays usable; the unique indexes remain the backstop.
            auto taken = c_.run(
                "SELECT 1 FROM identities WHERE id <> $1 AND ((issuer = $2 AND subject = $3) OR "
                "(home_org = $4 AND home_user_id = $5)) LIMIT 1",
                params()
                    .text(i.id)
                    .text(i.issuer)
                    .text(i.subject)
                    .text(i.home_org)
                    .text(i.home_user_id));
            if (taken.rows() > 0) return store_errc::conflict;
            c_.run(
                "INSERT INTO identities (id, issuer, subject, home_org, home_user_id, display, "
                "created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET "
                "issuer = EXCLUDED.issuer, subject = EXCLUDED.subject, home_org = "
                "EXCLUDED.home_org, home_user_id = EXCLUDED.home_user_id, display = "
                "EXCLUDED.display",
                params()
                    .text(i.id)
                    .text(i.issuer)
                    .text(i.subject)
                    .text(i.home_org)
                    .text(i.home_user_id)
                    .text(i.display)
                    .int64(i.created_ms));
            return i;
        });
    }

    store_result<void> delete_identity(std::string_view id) override {
        return caught([&]() -> store_result<void> {
            auto orgs =
                c_.run("SELECT org_id FROM memberships WHERE identity_id = $1", params().text(id));
            std::vector<std::string> ids;
            for (int r = 0; r < orgs.rows(); ++r) ids.emplace_back(orgs.text(r, 0));
            lock_trees(ids);
            // A put_membership holds this row FOR SHARE until it commits, so the DELETE below
            // sees its row: no membership outlives its identity.
            auto found =
                c_.run("SELECT 1 FROM identities WHERE id = $1 FOR UPDATE", params().text(id));
            c_.run("DELETE FROM memberships WHERE identity_id = $1", params().text(id));
            if (found.rows() == 0) return store_errc::not_found;
            c_.run("DELETE FROM identities WHERE id = $1", params().text(id));
            return {};
        });
    }

    store_result<identity_record> provision_home(identity_record i, event_draft ev) override {
        return caught([&]() -> store_result<identity_record> {
            if (i.id.empty()) i.id = scim::new_id();
            if (i.created_ms == 0) i.created_ms = now_();
            i.issuer.reset();
            i.subject.reset();
            // One round trip instead of eight (the tree lock, the lookup, put_identity's check
            // and insert, put_membership's two checks and insert, the event), through
            // directory_provision_home (migration 14), which takes the tree lock as lock_tree()
            // does and then runs the find-or-create statement: the tree's writers queue on that
            // lock, so its round trips bound a tree's provisioning rate. The event's seq still
            // follows commit order, as append_event's does.
            auto q = c_.run(
                "SELECT * FROM directory_provision_home($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
                "$11, $12, $13)",
                params()
                    .text(i.id)
                    .text(i.home_org)
                    .text(i.home_user_id)
                    .text(i.display)
                    .int64(i.created_ms)
                    .text(to_string(membership_kind::home))
                    .int64(now_())
                    .text(scim::new_id())
                    .text(ev.actor)
                    .text(ev.credential_id)
                    .text(ev.action)
                    .text(ev.target_type)
                    .text(boost::json::serialize(ev.detail)),
                pg::connection::plan::reusable);
            if (!q.is_null(0, 0) && in_tx_) holds_tree(i.home_org, std::string(q.text(0, 0)));
            if (!q.is_null(0, 3)) return read_identity(q, 0, 3);
            if (q.int64(0, 1) == 1) return i;
            if (q.int64(0, 2) == 0) return store_errc::not_found;
            return store_errc::conflict;  // the id is taken
        });
    }

    store_result<membership_record> put_membership(membership_record m) override {
        return in_org(m.org_id, [&]() -> store_result<membership_record> {
            if (!path_of(m.org_id)) return store_errc::not_found;
            if (c_.run("SELECT 1 FROM identities WHERE id = $1 FOR SHARE",
                       params().text(m.identity_id))
                    .rows() == 0) {
                return store_errc::not_found;
            }
            auto q = c_.run(
                "INSERT INTO memberships (identity_id, org_id, kind, home_org, user_ref, "
                "override_inherited, roles, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                "ON CONFLICT (identity_id, org_id) DO UPDATE SET kind = EXCLUDED.kind, home_org "
                "= EXCLUDED.home_org, user_ref = EXCLUDED.user_ref, override_inherited = "
                "EXCLUDED.override_inherited, roles = EXCLUDED.roles RETURNING created_ms",
                params()
                    .text(m.identity_id)
                    .text(m.org_id)
                    .text(to_string(m.kind))
                    .text(m.home_org)
                    .text(m.user_ref)
                    .boolean(m.override_inherited)
                    .text(sql::strings_to_json(m.roles))
                    .int64(now_()));
            m.created_ms = q.int64(0, 0);
            return m;
        });
    }

    store_result<void> delete_membership(std::string_view org_id,
                                         std::string_view identity_id) override {
        return in_org(org_id, [&]() -> store_result<void> {
            auto q = c_.run("DELETE FROM memberships WHERE org_id = $1 AND identity_id = $2",
                            params().text(org_id).text(identity_id));
            if (q.affected() == 0) return store_errc::not_found;
            return {};
        });
    }

    store_result<void> delete_user(std::string_view org_id, std::string_view user_id) override {
        return in_org(org_id, [&]() -> store_result<void> {
            auto q = c_.run(
                "SELECT seq FROM resources WHERE tenant = $1 AND id = $2 AND type = 'User' FOR "
                "UPDATE",
                params().text(org_id).text(user_id));
            if (q.rows() == 0) return store_errc::not_found;
            const std::int64_t seq = q.int64(0, 0);
            // Groups that lose this member have changed, so their ETags change too.
            c_.run(
                "UPDATE resources SET version = version + 1, modified_ms = $3 WHERE tenant = $1 "
                "AND id IN (SELECT group_id FROM group_members WHERE tenant = $1 AND member_id = "
                "$2)",
                params().text(org_id).text(user_id).int64(now_()));
            c_.run("DELETE FROM group_members WHERE tenant = $1 AND member_id = $2",
                   params().text(org_id).text(user_id));
            c_.run("DELETE FROM resource_emails WHERE tenant = $1 AND rid = $2",
                   params().text(org_id).text(user_id));
            c_.run("DELETE FROM resources WHERE seq = $1", params().int64(seq));
            return {};
        });
    }

    store_result<custom_role_record> put_custom_role(custom_role_record r) override {
        return in_org(r.org_id, [&]() -> store_result<custom_role_record> {
            if (!path_of(r.org_id)) return store_errc::not_found;
            if (r.id.empty()) r.id = scim::new_id();
            c_.run(
                "INSERT INTO custom_roles (org_id, id, name, permissions) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (org_id, id) DO UPDATE SET name = EXCLUDED.name, permissions = "
                "EXCLUDED.permissions",
                params().text(r.org_id).text(r.id).text(r.name).int64(std::int64_t{r.permissions}));
            return r;
        });
    }

    store_result<void> delete_custom_role(std::string_view org_id,
                                          std::string_view role_id) override {
        return in_org(org_id, [&]() -> store_result<void> {
            auto q = c_.run("DELETE FROM custom_roles WHERE org_id = $1 AND id = $2",
                            params().text(org_id).text(role_id));
            if (q.affected() == 0) return store_errc::not_found;
            c_.run("DELETE FROM group_roles WHERE org_id = $1 AND role_id = $2",
                   params().text(org_id).text(role_id));
            return {};
        });
    }

    store_result<void> set_group_roles(std::string_view org_id,
                                       std::string_view group_id,
                                       std::span<const std::string> role_ids) override {
        return in_org(org_id, [&]() -> store_result<void> {
            if (!path_of(org_id)) return store_errc::not_found;
            c_.run("DELETE FROM group_roles WHERE org_id = $1 AND group_id = $2",
                   params().text(org_id).text(group_id));
            if (!role_ids.empty()) {
                c_.run(
                    "INSERT INTO group_roles (org_id, group_id, role_id) SELECT $1, $2, "
                    "unnest($3::text[]) ON CONFLICT DO NOTHING",
                    params().text(org_id).text(group_id).text_array(
                        std::vector<std::string>(role_ids.begin(), role_ids.end())));
            }
            return {};
        });
    }

    store_result<event_record> append_event(event_draft ev) override {
        // Under the tree lock, seq order is commit order for every org of the tree.
        return in_org(ev.org_id, [&]() -> store_result<event_record> {
            event_record e;
            e.id = scim::new_id();
            e.time_ms = now_();
            auto q = c_.run(
                "INSERT INTO events (id, org_id, time_ms, actor, credential_id, action, "
                "target_type, target_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                "RETURNING seq",
                params()
                    .text(e.id)
                    .text(ev.org_id)
                    .int64(e.time_ms)
                    .text(ev.actor)
                    .text(ev.credential_id)
                    .text(ev.action)
                    .text(ev.target_type)
                    .text(ev.target_id)
                    .text(boost::json::serialize(ev.detail)));
            e.seq = q.int64(0, 0);
            e.ev = std::move(ev);
            return e;
        });
    }

  private:
    // `f` about org `org_id`: under its tree lock (in a write), statement failures as values.
    template <class F>
    auto in_org(std::string_view org_id, F&& f) -> decltype(f()) {
        return caught([&]() -> decltype(f()) {
            lock_tree(org_id);
            return f();
        });
    }

    // The path org `id` gets under `parent_id` (a root without one), holding the lock of the
    // tree it goes to; nullopt when the parent does not exist.
    std::optional<std::string> placed_path(const std::string& id,
                                           const std::optional<std::string>& parent_id) {
        std::string path = "/";
        if (parent_id) {
            lock_tree(*parent_id);
            auto p = path_of(*parent_id);
            if (!p) return std::nullopt;
            path = *p;
        } else {
            lock_tree_root(id);
        }
        return path + id + "/";
    }

    std::optional<std::string> path_of(std::string_view id) {
        auto q = c_.run("SELECT path FROM orgs WHERE id = $1", params().text(id));
        if (q.rows() == 0) return std::nullopt;
        return std::string(q.text(0, 0));
    }

    store_result<identity_record> one_identity(const std::string& where, const params& p) {
        auto q = c_.run("SELECT " + identity_cols + " FROM identities WHERE " + where, p);
        if (q.rows() == 0) return store_errc::not_found;
        return read_identity(q, 0);
    }

    void lock_tree(std::string_view org_id) {
        if (!in_tx_ || root_of_.contains(std::string(org_id))) return;
        // lock_trees()'s loop for one org, in one round trip (migration 11): taking a lock the
        // transaction already holds again costs nothing more.
        auto q = c_.run("SELECT directory_lock_org($1)", params().text(org_id),
                        pg::connection::plan::reusable);
        if (!q.is_null(0, 0)) holds_tree(org_id, std::string(q.text(0, 0)));
    }

    // This transaction holds the lock of `root`, the tree of org `org_id`.
    void holds_tree(std::string_view org_id, std::string root) {
        locked_.insert(root);
        root_of_.emplace(std::string(org_id), std::move(root));
    }

    // Holds the tree lock of every org in `org_ids` that exists. A root is read before its lock
    // is held, so the roots are read again after locking until each one read is held: only a
    // move between trees (under both locks) can change an org's root.
    void lock_trees(const std::vector<std::string>& org_ids) {
        if (!in_tx_) return;
        std::vector<std::string> todo;
        for (const auto& id : org_ids) {
            if (!root_of_.contains(id)) todo.push_back(id);
        }
        while (!todo.empty()) {
            // One org left (nearly every write): directory_lock_org does this loop itself.
            if (todo.size() == 1) return lock_tree(todo.front());
            auto q = c_.run(
                "SELECT id, coalesce(split_part(path, '/', 2), id) FROM orgs WHERE id = "
                "ANY($1::text[])",
                params().text_array(todo));
            std::vector<std::string> roots;
            todo.clear();
            for (int r = 0; r < q.rows(); ++r) {
                std::string id(q.text(r, 0));
                std::string root(q.text(r, 1));
                if (locked_.contains(root)) {
                    root_of_.emplace(std::move(id), std::move(root));
                } else {
                    roots.push_back(std::move(root));
                    todo.push_back(std::move(id));
                }
            }
            // One order for all writers keeps two multi-tree transactions from deadlocking.
            std::sort(roots.begin(), roots.end());
            roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
            for (auto& r : roots) lock_tree_root(std::move(r));
        }
    }

    void lock_tree_root(std::string root) {
        if (!in_tx_ || locked_.contains(root)) return;
        c_.run("SELECT directory_lock($1, $2)", params().int64(tree_lock).text(root));
        locked_.insert(std::move(root));
    }

    void lock_subject(std::string_view issuer, std::string_view subject) {
        if (!in_tx_) return;
        std::string key(issuer);
        key += '\n';
        key += subject;
        if (!subjects_.insert(key).second) return;
        c_.run("SELECT directory_lock($1, $2)", params().int64(subject_lock).text(key));
    }

    pg::connection& c_;
    const std::function<std::int64_t()>& now_;
    const bool in_tx_;
    std::unordered_map<std::string, std::string> root_of_;  // org -> its root, lock held
    std::unordered_set<std::string> locked_;                // roots whose lock is held
    std::unordered_set<std::string> subjects_;
};

class pg_directory final : public directory_store {
  public:
    pg_directory(const postgres_config& cfg, std::string uri, std::function<std::int64_t()> now)
        : pool_(cfg, std::move(uri)),
          now_(now ? std::move(now) : std::function<std::int64_t()>(&sql::system_now_ms)) {
        pool_.require_migration(2, "organization");
    }

    store_result<void> write(const write_fn& fn) override {
        return pool_.write([&](pg::connection& c) -> store_result<void> {
            pg_directory_conn tx(c, now_, true);
            return fn(tx);
        });
    }

    store_result<org_node> get_org(std::string_view id) override {
        return read([&](directory_reader& r) { return r.get_org(id); });
    }
    store_result<std::vector<org_node>> list_orgs() override {
        return read([&](directory_reader& r) { return r.list_orgs(); });
    }
    store_result<std::vector<org_node>> children(std::string_view id) override {
        return read([&](directory_reader& r) { return r.children(id); });
    }
    store_result<std::vector<org_node>> descendants(std::string_view id) override {
        return read([&](directory_reader& r) { return r.descendants(id); });
    }
    store_result<identity_record> get_identity(std::string_view id) override {
        return read([&](directory_reader& r) { return r.get_identity(id); });
    }
    store_result<identity_record> find_identity_by_subject(std::string_view issuer,
                                                           std::string_view subject) override {
        return read(
            [&](directory_reader& r) { return r.find_identity_by_subject(issuer, subject); });
    }
    store_result<identity_record> find_identity_by_home_user(std::string_view home_org,
                                                             std::string_view user_id) override {
        return read(
            [&](directory_reader& r) { return r.find_identity_by_home_user(home_org, user_id); });
    }
    store_result<membership_record> get_membership(std::string_view org_id,
                                                   std::string_view identity_id) override {
        return read([&](directory_reader& r) { return r.get_membership(org_id, identity_id); });
    }
    store_result<std::vector<membership_record>> memberships_in(
        std::string_view identity_id, std::span<const std::string> org_ids) override {
        return read([&](directory_reader& r) { return r.memberships_in(identity_id, org_ids); });
    }
    store_result<std::vector<membership_record>> memberships_of(
        std::string_view identity_id) override {
        return read([&](directory_reader& r) { return r.memberships_of(identity_id); });
    }
    store_result<std::vector<membership_record>> members(std::string_view org_id) override {
        return read([&](directory_reader& r) { return r.members(org_id); });
    }
    store_result<membership_record> find_listed_membership(std::string_view org_id,
                                                           std::string_view user_id) override {
        return read([&](directory_reader& r) { return r.find_listed_membership(org_id, user_id); });
    }
    store_result<std::vector<custom_role_record>> custom_roles(std::string_view org_id) override {
        return read([&](directory_reader& r) { return r.custom_roles(org_id); });
    }
    store_result<std::vector<group_role_record>> group_roles(std::string_view org_id) override {
        return read([&](directory_reader& r) { return r.group_roles(org_id); });
    }
    store_result<std::vector<std::string>> groups_of(std::string_view org_id,
                                                     std::string_view member_id) override {
        return read([&](directory_reader& r) { return r.groups_of(org_id, member_id); });
    }
    store_result<event_page> list_events(std::string_view org_id,
                                         std::int64_t offset,
                                         std::int64_t limit) override {
        return read([&](directory_reader& r) { return r.list_events(org_id, offset, limit); });
    }

  private:
    template <class F>
    auto read(F&& f) -> decltype(f(std::declval<directory_reader&>())) {
        return pool_.read([&](pg::connection& c) -> decltype(f(std::declval<directory_reader&>())) {
            pg_directory_conn conn(c, now_, false);
            return f(conn);
        });
    }

    pg::pool pool_;
    std::function<std::int64_t()> now_;
};

}  // namespace

std::unique_ptr<directory_store> open_postgres_directory(const postgres_config& cfg,
                                                         std::string uri,
                                                         std::function<std::int64_t()> now_ms) {
    return std::make_unique<pg_directory>(cfg, std::move(uri), std::move(now_ms));
}

}  // namespace orgscim::plugin
