#include "sqlite/sqlite_store.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/scim/ids.hpp>
#include <orgscim/scim/schema.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "checkpointer.hpp"
#include "sql/directory_rows.hpp"
#include "sql/filter_to_sql.hpp"
#include "sql/records.hpp"
#include "sqlite/sqlite_db.hpp"
#include "sqlite/sqlite_migrations.hpp"
#include "write_gate.hpp"

namespace orgscim::plugin {

namespace json = boost::json;
using scim::resource_record;
using sql::set_membership;

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

// --- Users of every membership kind (issue 5) --------------------------------------------------
// A User list of an org holds its own Users (home ones, and the copies invited members got on
// accept) followed by its other members, read from the directory's tables without copying rows:
// members added through the membership API with no User here ("direct"), then members of the
// managing ancestors whose roles flow down ("inherited"). Those two show their home org's User
// (or the identity alone) under the identity id. Each part is paged in SQL in its own order
// (own: creation, the others: identity id), so a page costs what a page of own Users costs.

bool lists_members(const scim::resource_type& type) {
    return type.id == "User" && type.extension(membership_extension_urn) != nullptr;
}

// The columns a User row reads beside record_columns, in one statement with the row: its groups
// as a JSON array of [id, label] (SQLite 3.40's json_group_array takes no ORDER BY: sorted after
// reading), its kind in the org as [kind, home_org] or NULL (home), and whether the org has
// members without a User row here (a managing parent passes roles down, or direct members), as
// scope_of(...).any() says. ?1 is the org.
constexpr const char* user_groups_column =
    "(SELECT json_group_array(json_array(g.group_id, gr.label)) FROM group_members g JOIN "
    "resources gr ON gr.tenant = g.tenant AND gr.id = g.group_id WHERE g.tenant = ?1 AND "
    "g.member_id = r.id)";
constexpr const char* own_membership_column =
    "(SELECT json_array(m.kind, m.home_org) FROM memberships m WHERE m.org_id = ?1 AND "
    "m.user_ref = r.id AND m.kind <> 'home')";
constexpr const char* direct_members_exist =
    "EXISTS (SELECT 1 FROM memberships WHERE org_id = ?1 AND user_ref IS NULL AND kind <> "
    "'inherited')";
const std::string has_member_scope =
    std::string(
        "(EXISTS (SELECT 1 FROM orgs o WHERE o.id = ?1 AND o.managed_by = o.parent_id) "
        "OR ") +
    direct_members_exist + ")";

// Sets r's kind in the org from a membership column: absent (NULL) is a home member.
void set_kind(resource_record& r,
              const std::optional<std::string_view>& column,
              std::string_view tenant) {
    if (!column) {
        set_membership(r, "home", tenant);
    } else if (!sql::parse_membership(*column, r)) {
        fail(store_errc::internal);
    }
}

// Reads the groups column (NULL: not asked for) and the membership column (read only when
// `kinds`) of a User row into r.
void read_user_relations(
    const stmt& q, int col, std::string_view tenant, bool kinds, resource_record& r) {
    if (!q.is_null(col)) {
        if (!sql::parse_relations(q.view(col), r) || !r.members.empty()) fail(store_errc::internal);
        std::sort(r.groups.begin(), r.groups.end(),
                  [](const auto& a, const auto& b) { return a.value < b.value; });
    }
    if (!kinds) return;
    set_kind(r, q.is_null(col + 1) ? std::nullopt : std::optional(q.view(col + 1)), tenant);
}

// A User with its groups and its kind in the org, in one statement: one snapshot without a
// transaction around three statements, for the commonest request of a sync (a GET by id).
const std::string user_with_relations = std::string("SELECT ") + record_columns + ", " +
                                        user_groups_column + ", " + own_membership_column +
                                        " FROM resources r WHERE r.tenant = ?1 AND r.id = ?2 "
                                        "AND r.type = 'User'";

resource_record read_user_with_relations(const stmt& q, std::string_view tenant, bool kinds) {
    resource_record r = read_record(q, 0);
    read_user_relations(q, 5, tenant, kinds, r);
    return r;
}

struct member_scope {
    std::string chain;         // JSON array of the managing ancestors, nearest first
    std::size_t depth = 0;     // their number
    bool direct = false;       // the org has members without a User row here
    bool has_members = false;  // the org has memberships (read when depth > 0: their holders
                               // are not inherited)
    bool any() const { return direct || depth > 0; }
};

member_scope scope_of(connection& c, std::string_view tenant) {
    member_scope s;
    json::array chain;
    // Up from the org while each level is managed by its parent: roles flow down that far. One
    // primary-key read per level (nearly always one or two), where a recursive CTE built a queue
    // table and a sorter on every call: 15 % of a filtered list (W2) went there. The bound stops
    // a cycle, which the org tree never has. The first level reads whether the org has direct
    // members in the same statement: a list of a top-level org (most of them) costs one
    // statement here.
    static const std::string with_org = std::string("SELECT ") + direct_members_exist +
                                        ", o.parent_id, o.managed_by FROM orgs o WHERE o.id = ?1";
    static const std::string alone = std::string("SELECT ") + direct_members_exist;
    std::string at;
    {
        stmt q(c, with_org);
        q.bind(1, tenant);
        if (q.step()) {
            s.direct = q.int64(0) != 0;
            if (!q.is_null(1) && !q.is_null(2) && q.view(1) == q.view(2)) {
                at = std::string(q.view(1));
                chain.emplace_back(at);
            }
        } else {
            // No org row (a tenant only the store knows): its memberships all the same.
            stmt e(c, alone);
            e.bind(1, tenant);
            if (e.step()) s.direct = e.int64(0) != 0;
        }
    }
    for (int level = 1; level < 64 && !at.empty(); ++level) {
        stmt q(c, "SELECT parent_id, managed_by FROM orgs WHERE id = ?1");
        q.bind(1, at);
        if (!q.step() || q.is_null(0) || q.is_null(1) || q.view(0) != q.view(1)) break;
        at = std::string(q.view(0));
        chain.emplace_back(at);
    }
    s.depth = chain.size();
    s.chain = json::serialize(chain);
    if (s.depth > 0) {  // only inherited members need it
        stmt q(c, "SELECT EXISTS (SELECT 1 FROM memberships WHERE org_id = ?1)");
        q.bind(1, tenant);
        s.has_members = q.step() && q.int64(0) != 0;
    }
    return s;
}

// Identity ids (iid) and kinds of the direct members; `extra` narrows (e.g. to one id).
std::string direct_ids(const std::string& extra) {
    return "SELECT m.identity_id AS iid, m.kind AS kind FROM memberships m WHERE m.org_id = ?1 "
           "AND m.user_ref IS NULL AND m.kind <> 'inherited'" +
           extra;
}

// The inherited members: a flowing membership in a managing ancestor, no membership in the org,
// and nothing nearer that replaces it (overrideInherited, Inactive) or already passes roles on.
std::string inherited_ids(const member_scope& s, const std::string& extra) {
    std::string q;
    if (s.depth == 1) {
        q = "SELECT f.identity_id AS iid, 'inherited' AS kind FROM member_flow f WHERE f.org_id = "
            "json_extract(?2, '$[0]')";
    } else {
        q = "SELECT f.identity_id AS iid, 'inherited' AS kind FROM member_flow f JOIN "
            "json_each(?2) c ON f.org_id = c.value WHERE NOT EXISTS (SELECT 1 FROM memberships "
            "b JOIN json_each(?2) n ON b.org_id = n.value WHERE b.identity_id = f.identity_id AND "
            "n.key < c.key AND (b.override_inherited = 1 OR b.roles <> '[]'))";
    }
    if (s.has_members) {
        q += " AND f.identity_id NOT IN (SELECT identity_id FROM memberships WHERE org_id = ?1)";
    }
    return q + extra;
}

// Columns of a member row: the record columns, then kind and home org.
constexpr const char* member_row =
    "i.id, coalesce(h.body, json_object('userName', coalesce(i.subject, i.id), 'displayName', "
    "i.display)), coalesce(h.version, 1), coalesce(h.created_ms, i.created_ms), "
    "coalesce(h.modified_ms, i.created_ms)";
constexpr const char* member_join =
    " v JOIN identities i ON i.id = v.iid LEFT JOIN resources h ON h.tenant = i.home_org AND "
    "h.id = i.home_user_id AND h.type = 'User'";

// Own Users, direct and inherited members as one table `r` with the columns the filter
// translation refers to, in list order (grp, seq, id).
std::string all_members(const member_scope& s) {
    std::string q =
        "SELECT 0 AS grp, r.seq AS seq, r.tenant AS tenant, r.id AS id, r.body AS body, "
        "r.version AS version, r.created_ms AS created_ms, r.modified_ms AS modified_ms, "
        "r.ukey AS ukey, r.display_f AS display_f, r.external_id AS external_id, "
        "coalesce(m.kind, 'home') AS kind, coalesce(m.home_org, r.tenant) AS home_org FROM "
        "resources r LEFT JOIN memberships m ON m.org_id = r.tenant AND m.user_ref = r.id AND "
        "m.kind <> 'home' WHERE r.tenant = ?1 AND r.type = 'User'";
    auto part = [&](int grp, const std::string& ids) {
        q += " UNION ALL SELECT " + std::to_string(grp) + ", 0, ?1, " + member_row +
             ", coalesce(h.ukey, lower(coalesce(i.subject, i.id))), coalesce(h.display_f, "
             "lower(i.display)), h.external_id, v.kind, i.home_org FROM (" +
             ids + ")" + member_join;
    };
    if (s.direct) part(1, direct_ids(""));
    if (s.depth > 0) part(2, inherited_ids(s, ""));
    return q;
}

resource_record read_member(const stmt& q) {
    resource_record r = read_record(q, 0);
    set_membership(r, q.view(5), q.view(6));
    return r;
}

// Where a page that starts at row `offset` (in creation order) begins: the first seq of the
// resource_blocks block holding that row, and how many rows to skip from there (< 1,024).
struct deep_start {
    std::int64_t from_seq;
    std::int64_t skip;
};

std::optional<deep_start> find_deep_start(connection& c,
                                          std::string_view tenant,
                                          std::string_view type,
                                          std::int64_t offset) {
    stmt b(c,
           "SELECT block, n FROM resource_blocks WHERE tenant = ?1 AND type = ?2 ORDER BY block");
    b.bind(1, tenant).bind(2, type);
    std::int64_t before = 0;
    while (b.step()) {
        std::int64_t n = b.int64(1);
        if (before + n > offset) return deep_start{b.int64(0) << 10, offset - before};
        before += n;
    }
    return std::nullopt;
}

// The kind of the org's own Users: invited when a non-home membership names them.
void annotate(connection& c,
              std::string_view tenant,
              const scim::resource_type& type,
              std::vector<resource_record>& rows) {
    if (!lists_members(type) || rows.empty()) return;
    std::unordered_map<std::string, std::pair<std::string, std::string>> kinds;
    // Not `user_ref IN (SELECT ... json_each)`: that list subquery opens a temporary b-tree per
    // execution, which was 17 % of the CPU of a GET by id. One id (a GET) is one index probe; a
    // page walks its ids (CROSS JOIN keeps json_each outside) with one probe each.
    std::optional<stmt> q;
    if (rows.size() == 1) {
        q.emplace(c,
                  "SELECT user_ref, kind, home_org FROM memberships WHERE org_id = ?1 AND "
                  "user_ref = ?2 AND kind <> 'home'");
        q->bind(1, tenant).bind(2, rows.front().id);
    } else {
        json::array ids;
        for (const auto& r : rows) ids.emplace_back(r.id);
        q.emplace(c,
                  "SELECT m.user_ref, m.kind, m.home_org FROM json_each(?2) j CROSS JOIN "
                  "memberships m WHERE m.org_id = ?1 AND m.user_ref = j.value AND m.kind <> "
                  "'home'");
        q->bind(1, tenant).bind(2, json::serialize(ids));
    }
    while (q->step()) kinds[q->text(0)] = {q->text(1), q->text(2)};
    for (auto& r : rows) {
        auto it = kinds.find(r.id);
        if (it == kinds.end()) {
            set_membership(r, "home", tenant);
        } else {
            set_membership(r, it->second.first, it->second.second);
        }
    }
}

// A member who has no User row in the org, by identity id.
std::optional<resource_record> find_member(connection& c,
                                           std::string_view tenant,
                                           std::string_view id) {
    auto s = scope_of(c, tenant);
    if (!s.any()) return std::nullopt;
    for (int part = 0; part < 2; ++part) {
        if (part == 0 && !s.direct) continue;
        if (part == 1 && s.depth == 0) continue;
        std::string ids = part == 0 ? direct_ids(" AND m.identity_id = ?3")
                                    : inherited_ids(s, " AND f.identity_id = ?3");
        stmt q(c, std::string("SELECT ") + member_row + ", v.kind, i.home_org FROM (" + ids +
                      " LIMIT 1)" + member_join);
        q.bind(1, tenant).bind(2, s.chain).bind(3, id);
        if (q.step()) return read_member(q);
    }
    return std::nullopt;
}

bool mentions_membership(const scim::list_request& req) {
    auto ext_attr = [](std::string_view a) {
        return scim::iequals(a, "kind") || scim::iequals(a, "homeOrg");
    };
    if (req.sort_by && req.sort_by->in_extension && ext_attr(req.sort_by->attr)) return true;
    return req.filter != nullptr &&
           (sql::mentions(*req.filter, "kind") || sql::mentions(*req.filter, "homeOrg"));
}

// The total of a filtered list whose page (rows FROM `from`, bound by `bind`) came back with
// `got` rows: read off the page when it ran (limit > 0), came back short and started inside the
// results (it has rows, or it starts at the first), else counted. A lookup by userName or
// externalId, as Entra ID and Okta make before every create, needs no count.
template <class Bind>
std::int64_t filtered_total(connection& c,
                            const std::string& from,
                            const Bind& bind,
                            std::int64_t offset,
                            std::int64_t limit,
                            std::size_t got) {
    const auto n = static_cast<std::int64_t>(got);
    if (limit > 0 && n < limit && (n > 0 || offset == 0)) return offset + n;
    stmt q(c, "SELECT count(*)" + from);
    bind(q);
    return q.step() ? q.int64(0) : 0;
}

// The User list of an org with members of every kind, or nothing when the generic list serves
// (the type has no membership extension, or the org has only its own Users and the query does
// not ask for the extension).
std::optional<scim::list_result> list_members(connection& c,
                                              std::string_view tenant,
                                              const scim::resource_type& type,
                                              const scim::list_request& req) {
    if (!lists_members(type)) return std::nullopt;
    const bool ext = mentions_membership(req);
    const auto s = scope_of(c, tenant);
    if (!s.any() && !ext) return std::nullopt;
    scim::list_result out;
    std::int64_t limit = std::max<std::int64_t>(req.limit, 0);
    std::int64_t offset = std::max<std::int64_t>(req.offset, 0);

    if (req.filter == nullptr && !req.sort_by) {
        // Own Users, then direct members, then inherited ones: each counted and paged apart.
        for (int part = 0; part < 3; ++part) {
            if ((part == 1 && !s.direct) || (part == 2 && s.depth == 0)) continue;
            std::int64_t n = 0;
            if (part == 0) {
                stmt q(c, "SELECT n FROM resource_counts WHERE tenant = ?1 AND type = 'User'");
                q.bind(1, tenant);
                if (q.step()) n = q.int64(0);
            } else if (part == 2 && s.depth == 1) {
                // Everyone the managing parent passes roles to (a kept count), less those who
                // are members here in their own right (a few rows), as inherited_ids() lists.
                stmt q(c,
                       "SELECT coalesce((SELECT n FROM member_flow_counts WHERE org_id = "
                       "json_extract(?2, '$[0]')), 0) - (SELECT count(*) FROM memberships m JOIN "
                       "member_flow f ON f.org_id = json_extract(?2, '$[0]') AND f.identity_id = "
                       "m.identity_id WHERE m.org_id = ?1)");
                q.bind(1, tenant).bind(2, s.chain);
                if (q.step()) n = q.int64(0);
            } else {
                stmt q(c, "SELECT count(*) FROM (" +
                              (part == 1 ? direct_ids("") : inherited_ids(s, "")) + ")");
                q.bind(1, tenant);
                if (part == 2) q.bind(2, s.chain);  // the direct members' query has no ?2
                if (q.step()) n = q.int64(0);
            }
            out.total += n;
            if (limit == 0 || offset >= n) {
                offset = std::max<std::int64_t>(offset - n, 0);
                continue;
            }
            std::vector<resource_record> got;
            if (part == 0) {
                stmt q(c, std::string("SELECT ") + record_columns +
                              " FROM resources r WHERE r.tenant = ?1 AND r.type = 'User' AND "
                              "r.seq >= (SELECT seq FROM resources WHERE tenant = ?1 AND type = "
                              "'User' ORDER BY seq LIMIT 1 OFFSET ?3) ORDER BY r.seq LIMIT ?2");
                q.bind(1, tenant).bind(2, limit).bind(3, offset);
                while (q.step()) got.push_back(read_record(q, 0));
                annotate(c, tenant, type, got);
            } else {
                const std::string ids = part == 1 ? direct_ids("") : inherited_ids(s, "");
                stmt q(c, std::string("SELECT ") + member_row + ", v.kind, i.home_org FROM (" +
                              ids + " ORDER BY iid LIMIT ?3 OFFSET ?4)" + member_join +
                              " ORDER BY v.iid");
                q.bind(1, tenant).bind(2, s.chain).bind(3, limit).bind(4, offset);
                while (q.step()) got.push_back(read_member(q));
            }
            limit -= static_cast<std::int64_t>(got.size());
            offset = 0;
            for (auto& r : got) out.items.push_back(std::move(r));
        }
        for (auto& r : out.items) load_relations(c, tenant, type, r, req.fetch);
        return out;
    }

    // Filtered or sorted: one table of every kind. Multi-valued attributes of members who are
    // not Users here live under another tenant, so such filters are matched in memory.
    // So are filters on the extension, which is not in the stored body.
    const bool multi = req.filter != nullptr && (ext || sql::mentions(*req.filter, "emails") ||
                                                 sql::mentions(*req.filter, "groups") ||
                                                 sql::mentions(*req.filter, "members"));
    sql::where_clause w;
    if (multi) {
        w.exact = false;
    } else {
        w = sql::translate_filter(req.filter, sql::dialect::sqlite, 3);
    }
    std::optional<std::string> sort_col;
    if (req.sort_by) {
        if (req.sort_by->in_extension && scim::iequals(req.sort_by->attr, "kind")) {
            sort_col = "r.kind";
        } else if (req.sort_by->in_extension && scim::iequals(req.sort_by->attr, "homeOrg")) {
            sort_col = "r.home_org";
        } else {
            sort_col = sql::sort_column(*req.sort_by, sql::dialect::sqlite);
        }
    }
    const std::string from =
        " FROM (" + all_members(s) + ") r" + (w.sql.empty() ? "" : " WHERE " + w.sql);
    const int next = static_cast<int>(w.params.size()) + 3;
    auto bind_common = [&](stmt& q) {
        q.bind(1, tenant).bind(2, s.chain);
        for (std::size_t i = 0; i < w.params.size(); ++i) {
            bind_param(q, static_cast<int>(i) + 3, w.params[i]);
        }
    };
    constexpr const char* cols =
        "SELECT r.id, r.body, r.version, r.created_ms, r.modified_ms, r.kind, r.home_org";
    if (w.exact && (!req.sort_by || sort_col)) {
        if (limit > 0) {
            std::string order = " ORDER BY ";
            if (sort_col) {
                order += "(" + *sort_col + " IS NULL), " + *sort_col +
                         (req.descending ? " DESC, " : " ASC, ");
            }
            order += "r.grp, r.seq, r.id";
            stmt q(c, cols + from + order + " LIMIT ?" + std::to_string(next) + " OFFSET ?" +
                          std::to_string(next + 1));
            bind_common(q);
            q.bind(next, limit).bind(next + 1, offset);
            while (q.step()) out.items.push_back(read_member(q));
        }
        out.total = filtered_total(c, from, bind_common, offset, limit, out.items.size());
        for (auto& r : out.items) load_relations(c, tenant, type, r, req.fetch);
        return out;
    }
    std::vector<resource_record> kept;
    {
        stmt q(c, cols + from + " ORDER BY r.grp, r.seq, r.id");
        bind_common(q);
        scim::fetch_options need{false,
                                 req.filter != nullptr && sql::mentions(*req.filter, "groups")};
        while (q.step()) {
            auto r = read_member(q);
            if (need.groups) load_relations(c, tenant, type, r, need);
            if (req.filter == nullptr || scim::matches(*req.filter, sql::wire_view(type, r))) {
                kept.push_back(std::move(r));
            }
        }
    }
    out = sql::page_in_memory(std::move(kept), type, req);
    for (auto& r : out.items) load_relations(c, tenant, type, r, req.fetch);
    return out;
}

// A new row's share of resource_counts and resource_blocks (migrations 4 and 9), written here
// because migration 14 took their insert triggers away (why: its comment).
void count_inserted(connection& c,
                    std::string_view tenant,
                    std::string_view type,
                    std::int64_t seq) {
    stmt(c,
         "INSERT INTO resource_counts (tenant, type, n) VALUES (?1, ?2, 1) ON CONFLICT (tenant, "
         "type) DO UPDATE SET n = n + 1")
        .bind(1, tenant)
        .bind(2, type)
        .run();
    stmt(c,
         "INSERT INTO resource_blocks (tenant, type, block, n) VALUES (?1, ?2, ?3 >> 10, 1) ON "
         "CONFLICT (tenant, type, block) DO UPDATE SET n = n + 1")
        .bind(1, tenant)
        .bind(2, type)
        .bind(3, seq)
        .run();
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

// Whether the folded emails of a written resource differ from its stored email rows.
bool sorted_differ(std::vector<std::string> have, std::vector<std::string> want) {
    std::sort(have.begin(), have.end());
    std::sort(want.begin(), want.end());
    return have != want;
}

bool emails_changed(connection& c,
                    std::string_view tenant,
                    std::string_view id,
                    const std::vector<std::string>& want) {
    std::vector<std::string> have;
    stmt q(c, "SELECT value_f FROM resource_emails WHERE tenant = ?1 AND rid = ?2");
    q.bind(1, tenant).bind(2, id);
    while (q.step()) have.push_back(q.text(0));
    return sorted_differ(std::move(have), want);
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

    std::shared_ptr<sqlite::file_gate> write_gate;  // shared with the other SQLite stores
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
                .map_pages = true,
                .large_cache = true};
    }

    // A read connection for the duration of one call; returned to the pool afterwards.
    class lease {
      public:
        explicit lease(impl& i) : i_(i), joined_(sqlite::unit_connection(*i.write_gate)) {
            if (joined_ != nullptr) return;  // inside a unit that has written: see its writes
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
            if (joined_ != nullptr) return;
            std::lock_guard lk(i_.pool_mu);
            i_.idle.push_back(std::move(c_));
        }
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        connection& operator*() { return joined_ != nullptr ? *joined_ : *c_; }

      private:
        impl& i_;
        connection* joined_;
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
            std::make_unique<sqlite::checkpointer>(cfg.path, std::chrono::milliseconds(50));
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
        // A User with its groups: one statement. When it finds no User row, the row is not
        // asked for again below, only the members.
        const bool user_with_groups = type.id == "User" && fetch.groups;
        if (user_with_groups) {
            stmt q(c, user_with_relations);
            q.bind(1, tenant).bind(2, id);
            if (q.step()) return read_user_with_relations(q, tenant, lists_members(type));
        }
        bool relations = (fetch.members && type.id != "User") || user_with_groups;
        std::optional<transaction> t;
        if (relations) t.emplace(c, false);  // one snapshot for the row and its members
        resource_record r;
        bool own_row = false;
        if (!user_with_groups) {  // else the statement above has looked for the row already
            stmt q(c, std::string("SELECT ") + record_columns +
                          " FROM resources r WHERE r.tenant = ?1 AND r.id = ?2 AND r.type = ?3");
            q.bind(1, tenant).bind(2, id).bind(3, std::string_view(type.id));
            if (q.step()) {
                r = read_record(q, 0);
                own_row = true;
            }
        }
        if (!own_row) {
            auto m = lists_members(type) ? find_member(c, tenant, id) : std::nullopt;
            if (!m) return store_errc::not_found;
            r = std::move(*m);  // a member whose User lives in their home org
        }
        if (relations) load_relations(c, tenant, type, r, fetch);
        if (lists_members(type) && !r.attrs.contains(membership_extension_urn)) {
            std::vector<resource_record> one{std::move(r)};
            annotate(c, tenant, type, one);
            r = std::move(one.front());
        }
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
        const bool members = lists_members(type);
        auto member_list = [&]() -> std::optional<scim::list_result> {
            auto m = list_members(c, tenant, type, req);
            if (m) t.commit();
            return m;
        };
        if (members && mentions_membership(req)) return std::move(*member_list());
        scim::list_result out;

        sql::where_clause w = sql::translate_filter(req.filter, sql::dialect::sqlite, 3);
        std::string from = " FROM resources r" + w.joins + " WHERE r.tenant = ?1 AND r.type = ?2";
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
            // Unfiltered: a kept count. Filtered: the page first, and a count only when the
            // page cannot tell the total. A User page reads its rows' groups and kinds, and
            // whether the org has members without a User row here, in the page's statement:
            // three statements fewer per list than reading them apart (a filtered list was
            // five). When the org has such members this page is not the whole list, and the
            // member list is read instead; an empty page cannot tell, so scope_of() does.
            const bool users = type.id == "User";
            std::string columns = record_columns;
            if (users) {
                columns += std::string(", ") + (req.fetch.groups ? user_groups_column : "NULL") +
                           ", " + (members ? own_membership_column : "NULL") + ", " +
                           (members ? has_member_scope.c_str() : "0");
            }
            bool scoped = false;
            const bool counted = w.sql.empty();
            if (counted) {
                stmt q(c, "SELECT n FROM resource_counts WHERE tenant = ?1 AND type = ?2");
                q.bind(1, tenant).bind(2, std::string_view(type.id));
                if (q.step()) out.total = q.int64(0);
            }
            if (limit > 0 && (!counted || offset < out.total)) {
                std::string order = " ORDER BY ";
                if (sort_col) {
                    order += "(" + *sort_col + " IS NULL), " + *sort_col +
                             (req.descending ? " DESC, " : " ASC, ");
                }
                order += "r.seq";
                std::string page;
                std::optional<deep_start> deep;
                if (!sort_col && w.sql.empty() && offset > 1000) {
                    deep = find_deep_start(c, tenant, type.id, offset);
                }
                if (deep) {
                    // Deep page in creation order: from the block that holds row `offset`, skip
                    // fewer than 1,024 entries of the covering (tenant, type, seq) index, then
                    // read only the rows wanted.
                    page = "SELECT " + columns + from + " AND r.seq >= (SELECT r.seq" + from +
                           " AND r.seq >= ?" + std::to_string(next + 2) +
                           " ORDER BY r.seq LIMIT 1 OFFSET ?" + std::to_string(next + 1) + ")" +
                           order + " LIMIT ?" + std::to_string(next);
                } else {
                    page = "SELECT " + columns + from + order + " LIMIT ?" + std::to_string(next) +
                           " OFFSET ?" + std::to_string(next + 1);
                }
                stmt q(c, page);
                bind_common(q);
                if (deep) {
                    q.bind(next, limit).bind(next + 1, deep->skip).bind(next + 2, deep->from_seq);
                } else {
                    q.bind(next, limit).bind(next + 1, offset);
                }
                while (q.step()) {
                    resource_record r = read_record(q, 0);
                    if (users) {
                        read_user_relations(q, 5, tenant, members, r);
                        scoped = q.int64(7) != 0;
                    }
                    out.items.push_back(std::move(r));
                }
            }
            if (members && (scoped || out.items.empty())) {
                if (auto m = member_list()) return std::move(*m);
            }
            if (!counted) {
                out.total = filtered_total(c, from, bind_common, offset, limit, out.items.size());
            }
            if (!users) {
                for (auto& r : out.items) load_relations(c, tenant, type, r, req.fetch);
            }
            t.commit();
            return out;
        }

        if (auto m = member_list()) return std::move(*m);

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
        out = sql::page_in_memory(std::move(kept), type, req);
        for (auto& r : out.items) load_relations(c, tenant, type, r, req.fetch);
        annotate(c, tenant, type, out.items);
        t.commit();
        return out;
    });
}

store_result<resource_record> sqlite_store::create(std::string_view tenant,
                                                   const scim::resource_type& type,
                                                   const scim::write_set& initial) {
    return guarded([&]() -> store_result<resource_record> {
        sqlite::write_scope t(*impl_->write_gate, *impl_->writer);
        connection& c = t.conn();
        auto cols = sql::compute_columns(type, initial.attrs);
        resource_record r;
        r.id = scim::new_id();
        r.attrs = initial.attrs;
        r.attrs.erase(membership_extension_urn);  // read-only, filled on every read
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
        count_inserted(c, tenant, type.id, c.last_insert_rowid());
        write_emails(c, tenant, r.id, cols.emails_f, false);
        apply_members(c, tenant, r.id, initial);
        // Nothing refers to an id made just now: a new User is in no group, so only a Group's
        // members (named in the request) are read back.
        if (type.id != "User") load_relations(c, tenant, type, r, scim::fetch_options{true, true});
        if (lists_members(type)) set_membership(r, "home", tenant);
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
        sqlite::write_scope t(*impl_->write_gate, *impl_->writer);
        connection& c = t.conn();
        resource_record cur;
        std::int64_t seq = 0;
        // The indexed columns as stored, so that the UPDATE below sets only those that change.
        static constexpr std::array<const char*, 4> indexed{"ukey", "username_f", "display_f",
                                                            "external_id"};
        std::array<std::optional<std::string>, indexed.size()> stored;
        // A User comes with its groups, its kind and its email rows in the same statement (a
        // write changes neither its groups nor its kind): two statements for a PATCH where
        // there were five.
        const bool user = type.id == "User";
        std::optional<std::string> kind;                 // the membership column, NULL: home
        std::optional<std::vector<std::string>> emails;  // a User's email rows as stored
        {
            static const auto read = [](bool with_relations) {
                std::string q = std::string("SELECT r.seq, ") + record_columns;
                for (const char* col : indexed) q += std::string(", r.") + col;
                if (with_relations) {
                    q += std::string(", ") + user_groups_column + ", " + own_membership_column +
                         ", (SELECT json_group_array(e.value_f) FROM resource_emails e WHERE "
                         "e.tenant = ?1 AND e.rid = r.id)";
                }
                return q + " FROM resources r WHERE r.tenant = ?1 AND r.id = ?2 AND r.type = ?3";
            };
            static const std::string read_row = read(false);
            static const std::string read_user = read(true);
            stmt q(c, user ? read_user : read_row);
            q.bind(1, tenant).bind(2, id).bind(3, std::string_view(type.id));
            if (!q.step()) return store_errc::not_found;
            seq = q.int64(0);
            cur = read_record(q, 1);
            for (std::size_t i = 0; i < indexed.size(); ++i) {
                stored[i] = q.opt_text(6 + static_cast<int>(i));
            }
            if (user) {
                read_user_relations(q, 10, tenant, false, cur);
                if (!fetch.groups) cur.groups.clear();
                kind = q.opt_text(11);
                emails = sql::strings_from_json(q.view(12));
            }
        }
        if (if_match && *if_match != cur.meta.version) return store_errc::version_mismatch;
        if (!user) load_relations(c, tenant, type, cur, fetch);
        auto ws = mutate(cur);
        if (!ws) return store_errc::aborted;
        auto cols = sql::compute_columns(type, ws->attrs);
        resource_record r;
        r.id = cur.id;
        r.attrs = std::move(ws->attrs);
        r.attrs.erase(membership_extension_urn);
        r.meta.created_ms = cur.meta.created_ms;
        r.meta.modified_ms = impl_->now();
        r.meta.version = cur.meta.version + 1;
        // An indexed column is set only when its value changes: SQLite rewrites the index entry
        // of every column an UPDATE sets, changed or not, and each is one more page to commit.
        // Same for the email rows. A PATCH of active and displayName (Entra) then writes the
        // row, the displayName index and nothing else.
        const std::array<const std::optional<std::string>*, indexed.size()> wanted{
            &cols.ukey, &cols.username_f, &cols.display_f, &cols.external_id};
        std::string set =
            "UPDATE resources SET body = ?1, version = ?2, modified_ms = ?3, label = ?4";
        std::vector<const std::optional<std::string>*> changed;
        for (std::size_t i = 0; i < indexed.size(); ++i) {
            if (*wanted[i] == stored[i]) continue;
            changed.push_back(wanted[i]);
            set += std::string(", ") + indexed[i] + " = ?" + std::to_string(changed.size() + 4);
        }
        set += " WHERE seq = ?" + std::to_string(changed.size() + 5);
        {
            stmt u(c, set);
            u.bind(1, std::string_view(json::serialize(r.attrs)))
                .bind(2, static_cast<std::int64_t>(r.meta.version))
                .bind(3, r.meta.modified_ms)
                .bind(4, std::string_view(cols.label));
            for (std::size_t i = 0; i < changed.size(); ++i) {
                u.bind(static_cast<int>(i) + 5, *changed[i]);
            }
            u.bind(static_cast<int>(changed.size()) + 5, seq).run();
        }
        if (emails ? sorted_differ(std::move(*emails), cols.emails_f)
                   : emails_changed(c, tenant, r.id, cols.emails_f)) {
            write_emails(c, tenant, r.id, cols.emails_f, true);
        }
        apply_members(c, tenant, r.id, *ws);
        if (user) {
            r.groups = std::move(cur.groups);  // a User's write never changes its groups
            if (lists_members(type)) set_kind(r, kind, tenant);
        } else {
            load_relations(c, tenant, type, r, fetch);  // only a User has a kind to annotate
        }
        t.commit();
        return r;
    });
}

store_result<void> sqlite_store::remove(std::string_view tenant,
                                        const scim::resource_type& type,
                                        std::string_view id,
                                        std::optional<std::uint64_t> if_match) {
    return guarded([&]() -> store_result<void> {
        sqlite::write_scope t(*impl_->write_gate, *impl_->writer);
        connection& c = t.conn();
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
        sqlite::write_scope t(*impl_->write_gate, *impl_->writer);
        connection& c = t.conn();
        if (parent_id) {
            stmt q(c, "SELECT 1 FROM orgs WHERE id = ?1");
            q.bind(1, *parent_id);
            if (!q.step()) return store_errc::not_found;
        }
        organization o;
        o.id = scim::new_id();
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
        sqlite::write_scope t(*impl_->write_gate, *impl_->writer);
        connection& c = t.conn();
        {
            stmt q(c, "SELECT 1 FROM orgs WHERE id = ?1");
            q.bind(1, org_id);
            if (!q.step()) return store_errc::not_found;
        }
        token_info tok;
        tok.id = scim::new_id();
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
        sqlite::write_scope t(*impl_->write_gate, *impl_->writer);
        connection& c = t.conn();
        stmt(c, "UPDATE tokens SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1")
            .bind(1, token_id)
            .bind(2, now_ms)
            .run();
        if (c.changes() == 0) return store_errc::not_found;
        t.commit();
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

namespace {

class sqlite_unit final : public unit_of_work {
  public:
    sqlite_unit(sqlite::file_gate& gate, connection& writer, unit_mode mode)
        : u_(gate, writer, mode == unit_mode::rerunnable) {}
    store_result<void> commit() override {
        return guarded([&]() -> store_result<void> {
            u_.commit();
            return {};
        });
    }
    bool retry() const override { return u_.rerun(); }

  private:
    sqlite::unit u_;
};

}  // namespace

std::unique_ptr<unit_of_work> sqlite_store::begin_unit(unit_mode mode) {
    return std::make_unique<sqlite_unit>(*impl_->write_gate, *impl_->writer, mode);
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
