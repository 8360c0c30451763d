// SQLite implementation of directory_store: its own connection to the database file (WAL, the
// tables of migration 3), one mutex, writes in BEGIN IMMEDIATE. Reads outside write() run on the
// same connection in autocommit mode.

#include "sqlite/sqlite_directory.hpp"

#include <boost/json/serialize.hpp>
#include <mutex>
#include <optional>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/scim/ids.hpp>

#include "sql/directory_rows.hpp"
#include "sql/records.hpp"
#include "sqlite/sqlite_db.hpp"
#include "sqlite/sqlite_migrations.hpp"
#include "write_gate.hpp"

namespace orgscim::plugin {

namespace json = boost::json;

namespace {

using sqlite::fail;
using sqlite::guarded;
using sqlite::stmt;

constexpr std::string_view org_cols =
    "id, name, parent_id, status, managed_by, settings, path, created_ms, modified_ms, version";

org_node read_org(const stmt& s) {
    org_node o;
    o.id = s.text(0);
    o.name = s.text(1);
    o.parent_id = s.opt_text(2);
    o.status = s.text(3);
    o.managed_by = s.opt_text(4);
    o.settings = sql::object_from_json(s.view(5));
    o.ancestors = sql::ancestors_of_path(s.view(6));
    o.created_ms = s.int64(7);
    o.modified_ms = s.int64(8);
    o.version = static_cast<std::uint64_t>(s.int64(9));
    return o;
}

constexpr std::string_view identity_cols =
    "id, issuer, subject, home_org, home_user_id, display, created_ms";

identity_record read_identity(const stmt& s) {
    return {s.text(0),     s.opt_text(1), s.opt_text(2), s.text(3),
            s.opt_text(4), s.text(5),     s.int64(6)};
}

constexpr std::string_view membership_cols =
    "org_id, identity_id, kind, home_org, user_ref, override_inherited, roles, created_ms";

membership_record read_membership(const stmt& s) {
    membership_record m;
    m.org_id = s.text(0);
    m.identity_id = s.text(1);
    m.kind = parse_membership_kind(s.text(2)).value_or(membership_kind::home);
    m.home_org = s.text(3);
    m.user_ref = s.opt_text(4);
    m.override_inherited = s.int64(5) != 0;
    m.roles = sql::strings_from_json(s.text(6));
    m.created_ms = s.int64(7);
    return m;
}

// The transaction view and the non-transactional reads share this class; the caller holds the
// mutex.
class sqlite_directory_conn final : public directory_tx {
  public:
    sqlite_directory_conn(sqlite::connection& db, std::function<std::int64_t()> now)
        : db_(db), now_(std::move(now)) {}

    const std::function<std::int64_t()>& clock() const noexcept { return now_; }

    store_result<org_node> get_org(std::string_view id) override {
        return guarded([&]() -> store_result<org_node> {
            // Every SCIM write reads its org (admit_scim_request): the text is built once.
            static const std::string by_id =
                "SELECT " + std::string(org_cols) + " FROM orgs WHERE id = ?1";
            stmt s(db_, by_id);
            s.bind(1, id);
            if (!s.step()) return store_errc::not_found;
            return read_org(s);
        });
    }

    store_result<std::vector<org_node>> list_orgs() override {
        return guarded([&]() -> store_result<std::vector<org_node>> {
            stmt s(db_, "SELECT " + std::string(org_cols) + " FROM orgs ORDER BY created_ms, id");
            std::vector<org_node> out;
            while (s.step()) out.push_back(read_org(s));
            return out;
        });
    }

    store_result<std::vector<org_node>> children(std::string_view id) override {
        return guarded([&]() -> store_result<std::vector<org_node>> {
            stmt s(db_, "SELECT " + std::string(org_cols) +
                            " FROM orgs WHERE parent_id = ?1 ORDER BY created_ms, id");
            s.bind(1, id);
            std::vector<org_node> out;
            while (s.step()) out.push_back(read_org(s));
            return out;
        });
    }

    store_result<std::vector<org_node>> descendants(std::string_view id) override {
        return guarded([&]() -> store_result<std::vector<org_node>> {
            const std::string p = path_of(id);
            stmt s(db_, "SELECT " + std::string(org_cols) +
                            " FROM orgs WHERE path > ?1 AND path < ?2 ORDER BY length(path), "
                            "created_ms");
            s.bind(1, p).bind(2, sql::path_end(p));
            std::vector<org_node> out;
            while (s.step()) out.push_back(read_org(s));
            return out;
        });
    }

    store_result<identity_record> get_identity(std::string_view id) override {
        return one_identity("id = ?1", id, {});
    }
    store_result<identity_record> find_identity_by_subject(std::string_view issuer,
                                                           std::string_view subject) override {
        return one_identity("issuer = ?1 AND subject = ?2", issuer, subject);
    }
    store_result<identity_record> find_identity_by_home_user(std::string_view home_org,
                                                             std::string_view user_id) override {
        return one_identity("home_org = ?1 AND home_user_id = ?2", home_org, user_id);
    }

    store_result<membership_record> get_membership(std::string_view org_id,
                                                   std::string_view identity_id) override {
        return guarded([&]() -> store_result<membership_record> {
            stmt s(db_, "SELECT " + std::string(membership_cols) +
                            " FROM memberships WHERE org_id = ?1 AND identity_id = ?2");
            s.bind(1, org_id).bind(2, identity_id);
            if (!s.step()) return store_errc::not_found;
            return read_membership(s);
        });
    }

    store_result<std::vector<membership_record>> memberships_in(
        std::string_view identity_id, std::span<const std::string> org_ids) override {
        return guarded([&]() -> store_result<std::vector<membership_record>> {
            std::vector<membership_record> out;
            if (org_ids.empty()) return out;
            // The ids go in as one JSON array: one statement whatever the depth.
            json::array ids;
            for (const auto& o : org_ids) ids.emplace_back(o);
            // A join, not `IN (SELECT ...)`, which opens a temporary b-tree per execution.
            stmt s(db_, "SELECT " + std::string(membership_cols) +
                            " FROM json_each(?2) j CROSS JOIN memberships WHERE identity_id = ?1 "
                            "AND org_id = j.value");
            s.bind(1, identity_id).bind(2, json::serialize(ids));
            while (s.step()) out.push_back(read_membership(s));
            return out;
        });
    }

    store_result<std::vector<membership_record>> memberships_of(
        std::string_view identity_id) override {
        return many_memberships("identity_id = ?1", identity_id);
    }

    store_result<membership_record> find_listed_membership(std::string_view org_id,
                                                           std::string_view user_id) override {
        return guarded([&]() -> store_result<membership_record> {
            // Two lookups, each on its own index: as one OR the planner walked every
            // membership of the org, and this runs before every User write.
            const std::string cols(membership_cols);
            stmt s(db_, "SELECT " + cols +
                            " FROM memberships WHERE org_id = ?1 AND user_ref = ?2 AND kind <> "
                            "'home' UNION ALL SELECT " +
                            cols +
                            " FROM memberships WHERE org_id = ?1 AND identity_id = ?2 AND "
                            "user_ref IS NULL AND kind <> 'inherited' LIMIT 1");
            s.bind(1, org_id).bind(2, user_id);
            if (!s.step()) return store_errc::not_found;
            return read_membership(s);
        });
    }

    store_result<std::vector<membership_record>> members(std::string_view org_id) override {
        return many_memberships("org_id = ?1", org_id);
    }

    store_result<std::vector<custom_role_record>> custom_roles(std::string_view org_id) override {
        return guarded([&]() -> store_result<std::vector<custom_role_record>> {
            stmt s(db_,
                   "SELECT org_id, id, name, permissions FROM custom_roles WHERE org_id = ?1 "
                   "ORDER BY name");
            s.bind(1, org_id);
            std::vector<custom_role_record> out;
            while (s.step()) {
                out.push_back(
                    {s.text(0), s.text(1), s.text(2), static_cast<std::uint32_t>(s.int64(3))});
            }
            return out;
        });
    }

    store_result<std::vector<group_role_record>> group_roles(std::string_view org_id) override {
        return guarded([&]() -> store_result<std::vector<group_role_record>> {
            stmt s(db_,
                   "SELECT org_id, group_id, role_id FROM group_roles WHERE org_id = ?1 "
                   "ORDER BY group_id, role_id");
            s.bind(1, org_id);
            std::vector<group_role_record> out;
            while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2)});
            return out;
        });
    }

    store_result<std::vector<std::string>> groups_of(std::string_view org_id,
                                                     std::string_view member_id) override {
        return guarded([&]() -> store_result<std::vector<std::string>> {
            stmt s(db_, "SELECT group_id FROM group_members WHERE tenant = ?1 AND member_id = ?2");
            s.bind(1, org_id).bind(2, member_id);
            std::vector<std::string> out;
            while (s.step()) out.push_back(s.text(0));
            return out;
        });
    }

    store_result<event_page> list_events(std::string_view org_id,
                                         std::int64_t offset,
                                         std::int64_t limit) override {
        return guarded([&]() -> store_result<event_page> {
            event_page page;
            {
                stmt c(db_, "SELECT count(*) FROM events WHERE org_id = ?1");
                c.bind(1, org_id);
                if (c.step()) page.total = c.int64(0);
            }
            stmt s(db_,
                   "SELECT id, seq, time_ms, org_id, actor, credential_id, action, target_type, "
                   "target_id, detail FROM events WHERE org_id = ?1 ORDER BY seq DESC "
                   "LIMIT ?2 OFFSET ?3");
            s.bind(1, org_id).bind(2, limit).bind(3, offset);
            while (s.step()) {
                event_record e;
                e.id = s.text(0);
                e.seq = s.int64(1);
                e.time_ms = s.int64(2);
                e.ev.org_id = s.text(3);
                e.ev.actor = s.text(4);
                e.ev.credential_id = s.text(5);
                e.ev.action = s.text(6);
                e.ev.target_type = s.text(7);
                e.ev.target_id = s.text(8);
                e.ev.detail = sql::object_from_json(s.text(9));
                page.items.push_back(std::move(e));
            }
            return page;
        });
    }

    // --- writes --------------------------------------------------------------------------

    store_result<org_node> insert_org(org_node o) override {
        return guarded([&]() -> store_result<org_node> {
            if (o.id.empty()) o.id = scim::new_id();
            if (!sql::valid_org_id(o.id)) return store_errc::internal;
            std::string path = "/";
            if (o.parent_id) {
                auto p = path_of_opt(*o.parent_id);
                if (!p) return store_errc::not_found;
                path = *p;
            }
            path += o.id + "/";
            const auto now = now_();
            stmt s(db_,
                   "INSERT INTO orgs (id, name, parent_id, status, created_ms, managed_by, "
                   "settings, path, modified_ms, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                   "?8, ?5, 1)");
            s.bind(1, o.id)
                .bind(2, o.name)
                .bind(3, o.parent_id)
                .bind(4, o.status)
                .bind(5, now)
                .bind(6, o.managed_by)
                .bind(7, json::serialize(o.settings))
                .bind(8, path);
            s.run();
            return get_org(o.id);
        });
    }

    store_result<org_node> update_org(const org_node& o,
                                      std::optional<std::uint64_t> if_match) override {
        return guarded([&]() -> store_result<org_node> {
            auto cur = get_org(o.id);
            if (!cur) return cur.error();
            if (if_match && *if_match != cur->version) return store_errc::version_mismatch;
            if (o.parent_id != cur->parent_id) {
                const std::string old_path = path_of(o.id);
                std::string new_path = "/";
                if (o.parent_id) {
                    auto p = path_of_opt(*o.parent_id);
                    if (!p) return store_errc::not_found;
                    new_path = *p;
                }
                new_path += o.id + "/";
                stmt m(db_,
                       "UPDATE orgs SET path = ?1 || substr(path, length(?2) + 1) WHERE path >= ?2 "
                       "AND path < ?3");
                m.bind(1, new_path).bind(2, old_path).bind(3, sql::path_end(old_path)).run();
            }
            stmt s(db_,
                   "UPDATE orgs SET name = ?2, parent_id = ?3, status = ?4, managed_by = ?5, "
                   "settings = ?6, modified_ms = ?7, version = version + 1 WHERE id = ?1");
            s.bind(1, o.id)
                .bind(2, o.name)
                .bind(3, o.parent_id)
                .bind(4, o.status)
                .bind(5, o.managed_by)
                .bind(6, json::serialize(o.settings))
                .bind(7, now_())
                .run();
            return get_org(o.id);
        });
    }

    store_result<void> delete_org(std::string_view id) override {
        return guarded([&]() -> store_result<void> {
            if (!path_of_opt(id)) return store_errc::not_found;
            static constexpr std::string_view by_org[] = {
                "DELETE FROM memberships WHERE org_id = ?1",
                "DELETE FROM custom_roles WHERE org_id = ?1",
                "DELETE FROM group_roles WHERE org_id = ?1",
                "DELETE FROM group_members WHERE tenant = ?1",
                "DELETE FROM resource_emails WHERE tenant = ?1",
                "DELETE FROM resources WHERE tenant = ?1",
                "DELETE FROM tokens WHERE org_id = ?1",
                "DELETE FROM orgs WHERE id = ?1",
            };
            for (auto q : by_org) stmt(db_, q).bind(1, id).run();
            return {};
        });
    }

    store_result<identity_record> put_identity(identity_record i) override {
        return guarded([&]() -> store_result<identity_record> {
            if (i.id.empty()) i.id = scim::new_id();
            if (i.created_ms == 0) i.created_ms = now_();
            stmt s(db_,
                   "INSERT INTO identities (id, issuer, subject, home_org, home_user_id, display, "
                   "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE "
                   "SET issuer = ?2, subject = ?3, home_org = ?4, home_user_id = ?5, display = ?6");
            s.bind(1, i.id)
                .bind(2, i.issuer)
                .bind(3, i.subject)
                .bind(4, i.home_org)
                .bind(5, i.home_user_id)
                .bind(6, i.display)
                .bind(7, i.created_ms)
                .run();
            return i;
        });
    }

    store_result<void> delete_identity(std::string_view id) override {
        return guarded([&]() -> store_result<void> {
            stmt(db_, "DELETE FROM memberships WHERE identity_id = ?1").bind(1, id).run();
            stmt s(db_, "DELETE FROM identities WHERE id = ?1");
            s.bind(1, id).run();
            if (db_.changes() == 0) return store_errc::not_found;
            return {};
        });
    }

    store_result<identity_record> provision_home(identity_record i, event_draft ev) override {
        return guarded([&]() -> store_result<identity_record> {
            if (!path_of_opt(i.home_org)) return store_errc::not_found;
            if (i.id.empty()) i.id = scim::new_id();
            if (i.created_ms == 0) i.created_ms = now_();
            i.issuer.reset();
            i.subject.reset();
            // Insert first, look up only on a conflict: a User's first provisioning (nearly
            // every call) then costs no lookup.
            stmt s(db_,
                   "INSERT INTO identities (id, issuer, subject, home_org, home_user_id, display, "
                   "created_ms) VALUES (?1, NULL, NULL, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING");
            s.bind(1, i.id)
                .bind(2, i.home_org)
                .bind(3, i.home_user_id)
                .bind(4, i.display)
                .bind(5, i.created_ms)
                .run();
            if (db_.changes() == 0) {
                if (!i.home_user_id) return store_errc::conflict;
                auto found = find_identity_by_home_user(i.home_org, *i.home_user_id);
                if (!found && found.error() == store_errc::not_found) return store_errc::conflict;
                return found;
            }
            // A new identity has no membership yet: a plain insert. Its roles ('[]') pass
            // nothing on, so member_flow does not change.
            stmt m(db_,
                   "INSERT INTO memberships (identity_id, org_id, kind, home_org, user_ref, "
                   "override_inherited, roles, created_ms) VALUES (?1, ?2, ?3, ?2, ?4, 0, '[]', "
                   "?5)");
            m.bind(1, i.id)
                .bind(2, i.home_org)
                .bind(3, to_string(membership_kind::home))
                .bind(4, i.home_user_id)
                .bind(5, now_())
                .run();
            ev.target_id = i.id;
            if (auto e = append_event(std::move(ev)); !e) return e.error();
            return i;
        });
    }

    store_result<membership_record> put_membership(membership_record m) override {
        return guarded([&]() -> store_result<membership_record> {
            if (!path_of_opt(m.org_id)) return store_errc::not_found;
            {
                stmt e(db_, "SELECT 1 FROM identities WHERE id = ?1");
                e.bind(1, m.identity_id);
                if (!e.step()) return store_errc::not_found;
            }
            const std::string roles = sql::strings_to_json(m.roles);
            // An existing membership keeps its created_ms: RETURNING gives it back. (A
            // provisioned User's membership, the frequent one, comes from provision_home.)
            stmt s(db_,
                   "INSERT INTO memberships (identity_id, org_id, kind, home_org, user_ref, "
                   "override_inherited, roles, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                   "?8) ON CONFLICT (identity_id, org_id) DO UPDATE SET kind = ?3, home_org = "
                   "?4, user_ref = ?5, override_inherited = ?6, roles = ?7 RETURNING created_ms");
            s.bind(1, m.identity_id)
                .bind(2, m.org_id)
                .bind(3, to_string(m.kind))
                .bind(4, m.home_org)
                .bind(5, m.user_ref)
                .bind(6, std::int64_t{m.override_inherited ? 1 : 0})
                .bind(7, roles)
                .bind(8, now_());
            if (!s.step()) return store_errc::internal;
            m.created_ms = s.int64(0);
            s.run();  // to SQLITE_DONE: the statement ends here, not when it is reset
            // An update has set member_flow through memberships_flow_update; an insert sets it
            // here (migration 14 took the insert trigger away: it cost the provisioning insert
            // of every User a statement journal).
            static const std::string add_flow =
                "INSERT OR IGNORE INTO member_flow (org_id, identity_id) SELECT ?1, ?2 WHERE " +
                sqlite::member_flow_condition("?3");
            stmt(db_, add_flow).bind(1, m.org_id).bind(2, m.identity_id).bind(3, roles).run();
            return m;
        });
    }

    store_result<void> delete_membership(std::string_view org_id,
                                         std::string_view identity_id) override {
        return guarded([&]() -> store_result<void> {
            stmt s(db_, "DELETE FROM memberships WHERE org_id = ?1 AND identity_id = ?2");
            s.bind(1, org_id).bind(2, identity_id).run();
            if (db_.changes() == 0) return store_errc::not_found;
            return {};
        });
    }

    store_result<void> delete_user(std::string_view org_id, std::string_view user_id) override {
        return guarded([&]() -> store_result<void> {
            {
                stmt s(db_,
                       "SELECT 1 FROM resources WHERE tenant = ?1 AND id = ?2 AND type = 'User'");
                s.bind(1, org_id).bind(2, user_id);
                if (!s.step()) return store_errc::not_found;
            }
            // Groups that lose this member have changed, so their ETags change too.
            stmt(db_,
                 "UPDATE resources SET version = version + 1, modified_ms = ?3 WHERE tenant = ?1 "
                 "AND id IN (SELECT group_id FROM group_members WHERE tenant = ?1 AND member_id = "
                 "?2)")
                .bind(1, org_id)
                .bind(2, user_id)
                .bind(3, now_())
                .run();
            static constexpr std::string_view by_user[] = {
                "DELETE FROM group_members WHERE tenant = ?1 AND member_id = ?2",
                "DELETE FROM resource_emails WHERE tenant = ?1 AND rid = ?2",
                "DELETE FROM resources WHERE tenant = ?1 AND id = ?2 AND type = 'User'",
            };
            for (auto q : by_user) stmt(db_, q).bind(1, org_id).bind(2, user_id).run();
            return {};
        });
    }

    store_result<custom_role_record> put_custom_role(custom_role_record r) override {
        return guarded([&]() -> store_result<custom_role_record> {
            if (!path_of_opt(r.org_id)) return store_errc::not_found;
            if (r.id.empty()) r.id = scim::new_id();
            stmt s(db_,
                   "INSERT INTO custom_roles (org_id, id, name, permissions) VALUES (?1, ?2, ?3, "
                   "?4) ON CONFLICT (org_id, id) DO UPDATE SET name = ?3, permissions = ?4");
            s.bind(1, r.org_id)
                .bind(2, r.id)
                .bind(3, r.name)
                .bind(4, std::int64_t{r.permissions})
                .run();
            return r;
        });
    }

    store_result<void> delete_custom_role(std::string_view org_id,
                                          std::string_view role_id) override {
        return guarded([&]() -> store_result<void> {
            stmt s(db_, "DELETE FROM custom_roles WHERE org_id = ?1 AND id = ?2");
            s.bind(1, org_id).bind(2, role_id).run();
            if (db_.changes() == 0) return store_errc::not_found;
            stmt(db_, "DELETE FROM group_roles WHERE org_id = ?1 AND role_id = ?2")
                .bind(1, org_id)
                .bind(2, role_id)
                .run();
            return {};
        });
    }

    store_result<void> set_group_roles(std::string_view org_id,
                                       std::string_view group_id,
                                       std::span<const std::string> role_ids) override {
        return guarded([&]() -> store_result<void> {
            if (!path_of_opt(org_id)) return store_errc::not_found;
            stmt(db_, "DELETE FROM group_roles WHERE org_id = ?1 AND group_id = ?2")
                .bind(1, org_id)
                .bind(2, group_id)
                .run();
            for (const auto& r : role_ids) {
                stmt(db_,
                     "INSERT OR IGNORE INTO group_roles (org_id, group_id, role_id) VALUES (?1, "
                     "?2, ?3)")
                    .bind(1, org_id)
                    .bind(2, group_id)
                    .bind(3, r)
                    .run();
            }
            return {};
        });
    }

    store_result<event_record> append_event(event_draft ev) override {
        return guarded([&]() -> store_result<event_record> {
            event_record e;
            e.id = scim::new_id();
            e.time_ms = now_();
            stmt s(db_,
                   "INSERT INTO events (id, org_id, time_ms, actor, credential_id, action, "
                   "target_type, target_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
            s.bind(1, e.id)
                .bind(2, ev.org_id)
                .bind(3, e.time_ms)
                .bind(4, ev.actor)
                .bind(5, ev.credential_id)
                .bind(6, ev.action)
                .bind(7, ev.target_type)
                .bind(8, ev.target_id)
                .bind(9, json::serialize(ev.detail))
                .run();
            e.seq = db_.last_insert_rowid();
            e.ev = std::move(ev);
            return e;
        });
    }

  private:
    std::optional<std::string> path_of_opt(std::string_view id) {
        stmt s(db_, "SELECT path FROM orgs WHERE id = ?1");
        s.bind(1, id);
        if (!s.step()) return std::nullopt;
        return s.text(0);
    }
    std::string path_of(std::string_view id) {
        auto p = path_of_opt(id);
        if (!p) fail(store_errc::not_found);
        return *p;
    }

    store_result<identity_record> one_identity(std::string_view where,
                                               std::string_view a,
                                               std::optional<std::string_view> b) {
        return guarded([&]() -> store_result<identity_record> {
            stmt s(db_, "SELECT " + std::string(identity_cols) + " FROM identities WHERE " +
                            std::string(where));
            s.bind(1, a);
            if (b) s.bind(2, *b);
            if (!s.step()) return store_errc::not_found;
            return read_identity(s);
        });
    }

    store_result<std::vector<membership_record>> many_memberships(std::string_view where,
                                                                  std::string_view a) {
        return guarded([&]() -> store_result<std::vector<membership_record>> {
            stmt s(db_, "SELECT " + std::string(membership_cols) + " FROM memberships WHERE " +
                            std::string(where) + " ORDER BY created_ms, identity_id, org_id");
            s.bind(1, a);
            std::vector<membership_record> out;
            while (s.step()) out.push_back(read_membership(s));
            return out;
        });
    }

    sqlite::connection& db_;
    std::function<std::int64_t()> now_;
};

class sqlite_directory final : public directory_store {
  public:
    sqlite_directory(const sqlite_config& cfg, std::function<std::int64_t()> now)
        : gate_(sqlite::write_gate(cfg.path)),
          // synchronous is per connection: without it this one would fsync every commit (FULL).
          db_(sqlite::open_store(cfg.path,
                                 {.busy_timeout_ms = cfg.busy_timeout_ms,
                                  .synchronous = cfg.synchronous,
                                  .checkpoint_backstop = true,
                                  .map_pages = true},
                                 3,
                                 "organization")),
          conn_(std::make_unique<sqlite_directory_conn>(
              *db_, now ? std::move(now) : std::function<std::int64_t()>(&sql::system_now_ms))) {}

    store_result<void> write(const write_fn& fn) override {
        return guarded([&]() -> store_result<void> {
            // The gate before mu_ (reads take mu_ alone, never the gate); inside a unit of work
            // the write is a savepoint on the unit's connection and db_ is not touched.
            sqlite::write_scope t(*gate_, *db_, &mu_);
            std::optional<sqlite_directory_conn> joined;
            if (&t.conn() != db_.get()) joined.emplace(t.conn(), conn_->clock());
            store_result<void> r = fn(joined ? *joined : *conn_);
            if (r) t.commit();
            return r;
        });
    }

    // Reads inside a unit of work run on its connection (sqlite::unit_connection).
#define ORGSCIM_READ(sig, call)                                        \
    sig override {                                                     \
        auto uc = guarded([&]() -> store_result<sqlite::connection*> { \
            return sqlite::unit_connection(*gate_);                    \
        });                                                            \
        if (!uc) return uc.error();                                    \
        if (*uc != nullptr) {                                          \
            sqlite_directory_conn joined(**uc, conn_->clock());        \
            return joined.call;                                        \
        }                                                              \
        std::lock_guard lock(mu_);                                     \
        return conn_->call;                                            \
    }
    ORGSCIM_READ(store_result<org_node> get_org(std::string_view id), get_org(id))
    ORGSCIM_READ(store_result<std::vector<org_node>> list_orgs(), list_orgs())
    ORGSCIM_READ(store_result<std::vector<org_node>> children(std::string_view id), children(id))
    ORGSCIM_READ(store_result<std::vector<org_node>> descendants(std::string_view id),
                 descendants(id))
    ORGSCIM_READ(store_result<identity_record> get_identity(std::string_view id), get_identity(id))
    ORGSCIM_READ(store_result<identity_record> find_identity_by_subject(std::string_view i,
                                                                        std::string_view s),
                 find_identity_by_subject(i, s))
    ORGSCIM_READ(store_result<identity_record> find_identity_by_home_user(std::string_view o,
                                                                          std::string_view u),
                 find_identity_by_home_user(o, u))
    ORGSCIM_READ(store_result<membership_record> get_membership(std::string_view o,
                                                                std::string_view i),
                 get_membership(o, i))
    ORGSCIM_READ(store_result<std::vector<membership_record>> memberships_in(
                     std::string_view i, std::span<const std::string> o),
                 memberships_in(i, o))
    ORGSCIM_READ(store_result<std::vector<membership_record>> memberships_of(std::string_view i),
                 memberships_of(i))
    ORGSCIM_READ(store_result<membership_record> find_listed_membership(std::string_view o,
                                                                        std::string_view u),
                 find_listed_membership(o, u))
    ORGSCIM_READ(store_result<std::vector<membership_record>> members(std::string_view o),
                 members(o))
    ORGSCIM_READ(store_result<std::vector<custom_role_record>> custom_roles(std::string_view o),
                 custom_roles(o))
    ORGSCIM_READ(store_result<std::vector<group_role_record>> group_roles(std::string_view o),
                 group_roles(o))
    ORGSCIM_READ(store_result<std::vector<std::string>> groups_of(std::string_view o,
                                                                  std::string_view m),
                 groups_of(o, m))
    ORGSCIM_READ(store_result<event_page> list_events(std::string_view o,
                                                      std::int64_t off,
                                                      std::int64_t lim),
                 list_events(o, off, lim))
#undef ORGSCIM_READ

  private:
    std::mutex mu_;
    std::shared_ptr<sqlite::file_gate> gate_;
    std::unique_ptr<sqlite::connection> db_;
    std::unique_ptr<sqlite_directory_conn> conn_;
};

}  // namespace

std::unique_ptr<directory_store> open_sqlite_directory(const sqlite_config& cfg,
                                                       std::function<std::int64_t()> now_ms) {
    return std::make_unique<sqlite_directory>(cfg, std::move(now_ms));
}

}  // namespace orgscim::plugin
