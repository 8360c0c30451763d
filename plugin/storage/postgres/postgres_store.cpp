#include "postgres/postgres_store.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/scim/ids.hpp>
#include <orgscim/scim/schema.hpp>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

#include "postgres/pg_connection.hpp"
#include "postgres/postgres_migrations.hpp"
#include "sql/filter_to_sql.hpp"
#include "sql/records.hpp"

namespace orgscim::plugin {

namespace json = boost::json;
using scim::resource_record;
using sql::set_membership;

using namespace pg;

namespace {

constexpr const char* record_columns = "r.id, r.body, r.version, r.created_ms, r.modified_ms";

resource_record read_record(const result& q, int row, int first_col) {
    resource_record r;
    r.id = std::string(q.text(row, first_col));
    boost::system::error_code ec;
    json::value body = json::parse(q.text(row, first_col + 1), ec);
    if (ec || !body.is_object()) {
        log_pg("read", "stored body is not a JSON object");
        fail(store_errc::internal);
    }
    r.attrs = std::move(body.as_object());
    r.meta.version = static_cast<std::uint64_t>(q.int64(row, first_col + 2));
    r.meta.created_ms = q.int64(row, first_col + 3);
    r.meta.modified_ms = q.int64(row, first_col + 4);
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
        auto q = c.run(
            "SELECT m.member_id, m.member_type, r.label FROM group_members m JOIN resources r ON "
            "r.tenant = m.tenant AND r.id = m.member_id WHERE m.tenant = $1 AND m.group_id = $2 "
            "ORDER BY m.member_id",
            params().text(tenant).text(r.id));
        for (int i = 0; i < q.rows(); ++i) {
            r.members.push_back(
                {std::string(q.text(i, 0)), std::string(q.text(i, 1)), std::string(q.text(i, 2))});
        }
    }
    if (fetch.groups && type.id == "User") {
        auto q = c.run(
            "SELECT g.group_id, r.label FROM group_members g JOIN resources r ON r.tenant = "
            "g.tenant AND r.id = g.group_id WHERE g.tenant = $1 AND g.member_id = $2 ORDER BY "
            "g.group_id",
            params().text(tenant).text(r.id));
        for (int i = 0; i < q.rows(); ++i) {
            r.groups.push_back({std::string(q.text(i, 0)), "direct", std::string(q.text(i, 1))});
        }
    }
}

// The relations of one record as a JSON array in the record's own row, so that a read needs no
// second statement (nor a transaction to keep two statements consistent). NULL when not wanted.
// read_relations puts them in load_relations' order (byte order, as under COLLATE "C").
std::string relations_column(const scim::resource_type& type, const scim::fetch_options& fetch) {
    if (type.id == "User") {
        if (!fetch.groups) return "NULL";
        // Unordered: read_relations sorts them. An ORDER BY sets up a sort for every row, 15 %
        // of a page of 100 Users' execution time.
        return "(SELECT json_agg(json_build_array(g.group_id, gr.label)) FROM "
               "group_members g JOIN resources gr ON gr.tenant = g.tenant AND gr.id = g.group_id "
               "WHERE g.tenant = r.tenant AND g.member_id = r.id)";
    }
    if (!fetch.members) return "NULL";
    return "(SELECT json_agg(json_build_array(m.member_id, m.member_type, mr.label) ORDER BY "
           "m.member_id) FROM group_members m JOIN resources mr ON mr.tenant = m.tenant AND mr.id "
           "= m.member_id WHERE m.tenant = r.tenant AND m.group_id = r.id)";
}

// load_relations' order (byte order, as under COLLATE "C"), whatever order a plan reads them in.
void in_id_order(std::vector<scim::member_info>& groups) {
    std::sort(
        groups.begin(), groups.end(),
        [](const scim::member_info& a, const scim::member_info& b) { return a.value < b.value; });
}

// The groups of every User on a page, in one cell: [[member, group, label], ...] (NULL when
// none). The page's ids are looked up in one index scan, and each group's label once per group
// (PostgreSQL memoizes the lookup), where a column per row ran a subplan per User and looked a
// label up per membership. At 10,000 Users, half of them in two groups each, a page's statement
// runs 15-23 % shorter (in-server, paired with the old form).
// `page` is the CTE of the page's rows.
constexpr const char* page_groups_cell =
    "(SELECT json_agg(json_build_array(g.member_id, g.group_id, gr.label)) FROM group_members g "
    "JOIN resources gr ON gr.tenant = g.tenant AND gr.id = g.group_id WHERE g.tenant = $1 AND "
    "g.member_id = ANY(ARRAY(SELECT id FROM page)))";

[[noreturn]] void fail_groups_cell() {
    log_pg("read", "a page's groups cell is not an array of [member, group, label]");
    fail(store_errc::internal);
}

// Hands page_groups_cell's triples to their Users, each User's groups in byte order.
void read_page_groups(std::string_view cell, std::span<resource_record> users) {
    std::unordered_map<std::string_view, resource_record*> by_id;
    for (auto& u : users) {
        u.groups.clear();
        by_id.emplace(u.id, &u);
    }
    boost::system::error_code ec;
    json::value v = json::parse(cell, ec);
    const json::array* all = ec ? nullptr : v.if_array();
    if (all == nullptr) fail_groups_cell();
    for (const auto& e : *all) {
        const json::array* a = e.if_array();
        if (a == nullptr || a->size() != 3 ||
            !std::all_of(a->begin(), a->end(),
                         [](const json::value& f) { return f.is_string(); })) {
            fail_groups_cell();
        }
        auto it = by_id.find(std::string_view((*a)[0].get_string()));
        if (it == by_id.end()) continue;
        it->second->groups.push_back(
            {std::string((*a)[1].get_string()), "direct", std::string((*a)[2].get_string())});
    }
    for (auto& u : users) in_id_order(u.groups);
}

void read_relations(const result& q, int row, int col, resource_record& r) {
    if (q.is_null(row, col)) {
        r.members.clear();
        r.groups.clear();
        return;
    }
    if (!sql::parse_relations(q.text(row, col), r)) {
        log_pg("read", "a relations column is not an array of [id, (type,) label]");
        fail(store_errc::internal);
    }
    in_id_order(r.groups);
}

// The relations of many records in one statement, instead of one statement per record.
void load_relations(connection& c,
                    std::string_view tenant,
                    const scim::resource_type& type,
                    std::span<resource_record> records,
                    const scim::fetch_options& fetch) {
    bool wanted = type.id == "User" ? fetch.groups : fetch.members;
    if (!wanted || records.empty()) {
        for (auto& r : records) {
            r.members.clear();
            r.groups.clear();
        }
        return;
    }
    std::vector<std::string> ids;
    ids.reserve(records.size());
    for (const auto& r : records) ids.push_back(r.id);
    auto q = c.run("SELECT r.id, " + relations_column(type, fetch) +
                       " FROM resources r WHERE r.tenant = $1 AND r.id = ANY($2::text[])",
                   params().text(tenant).text_array(ids));
    std::unordered_map<std::string_view, int> row_of;
    for (int i = 0; i < q.rows(); ++i) row_of.emplace(q.text(i, 0), i);
    for (auto& r : records) {
        auto it = row_of.find(r.id);
        if (it != row_of.end()) {
            read_relations(q, it->second, 1, r);
        } else {
            r.members.clear();
            r.groups.clear();
        }
    }
}

// --- Users of every membership kind (issue 5) --------------------------------------------------
// As in sqlite_store.cpp: an org's User list holds its own Users (home ones, and the copies
// invited members got on accept), then members added through the membership API with no User
// here ("direct"), then members of the managing ancestors whose roles flow down ("inherited").
// Those two show their home org's User (or the identity alone) under the identity id. Each part
// is paged in SQL in its own order (own: creation, the others: identity id). Parameter $1 is the
// org and $2 the managing ancestors (text[], nearest first); every statement names $2, because
// PostgreSQL cannot type a parameter that no statement text mentions.

bool lists_members(const scim::resource_type& type) {
    return type.id == "User" && type.extension(membership_extension_urn) != nullptr;
}

// The membership an own User row stands for, next to that row (alias r): NULL for a home User,
// else [kind, home org].
constexpr const char* own_membership_column =
    "(SELECT json_build_array(m.kind, m.home_org)::text FROM memberships m WHERE m.org_id = "
    "r.tenant AND m.user_ref = r.id AND m.kind <> 'home' LIMIT 1)";

// The same for a page of rows: the org's guests are looked for once, and each row's own
// membership only when it has any (most orgs have none: 100 index probes fewer per page).
const std::string own_membership_guarded =
    std::string(
        "CASE WHEN EXISTS (SELECT 1 FROM memberships x WHERE x.org_id = $1 AND x.user_ref "
        "IS NOT NULL AND x.kind <> 'home') THEN ") +
    own_membership_column + " END";

void read_own_membership(
    const result& q, int row, int col, std::string_view tenant, resource_record& r) {
    if (q.is_null(row, col)) {
        set_membership(r, "home", tenant);
        return;
    }
    if (!sql::parse_membership(q.text(row, col), r)) {
        log_pg("read", "a membership column is not [kind, home org]");
        fail(store_errc::internal);
    }
}

// The kind of the org's own Users: invited when a non-home membership names them.
void annotate(connection& c,
              std::string_view tenant,
              const scim::resource_type& type,
              std::span<resource_record> rows) {
    if (!lists_members(type) || rows.empty()) return;
    std::vector<std::string> ids;
    ids.reserve(rows.size());
    for (const auto& r : rows) ids.push_back(r.id);
    auto q = c.run(
        "SELECT user_ref, kind, home_org FROM memberships WHERE org_id = $1 AND user_ref = "
        "ANY($2::text[]) AND kind <> 'home'",
        params().text(tenant).text_array(ids));
    std::unordered_map<std::string_view, int> row_of;
    for (int i = 0; i < q.rows(); ++i) row_of.emplace(q.text(i, 0), i);
    for (auto& r : rows) {
        auto it = row_of.find(r.id);
        if (it == row_of.end()) {
            set_membership(r, "home", tenant);
        } else {
            set_membership(r, q.text(it->second, 1), q.text(it->second, 2));
        }
    }
}

struct member_scope {
    std::vector<std::string> chain;  // the managing ancestors, nearest first
    bool direct = false;             // the org has members without a User row here
    bool any() const { return direct || !chain.empty(); }
};

member_scope scope_of(connection& c, std::string_view tenant) {
    // Up from the org while each level is managed by its parent: roles flow down that far.
    auto q = c.run(
        "WITH RECURSIVE up(id, parent, managed, depth) AS (SELECT id, parent_id, managed_by, 0 "
        "FROM orgs WHERE id = $1 UNION ALL SELECT o.id, o.parent_id, o.managed_by, up.depth + 1 "
        "FROM orgs o JOIN up ON o.id = up.parent WHERE up.managed = up.parent) SELECT "
        "coalesce((SELECT json_agg(id ORDER BY depth) FROM up WHERE depth > 0)::text, '[]'), "
        "EXISTS (SELECT 1 FROM memberships WHERE org_id = $1 AND user_ref IS NULL AND kind <> "
        "'inherited')",
        params().text(tenant), connection::plan::reusable);  // every step is a key lookup
    member_scope s;
    boost::system::error_code ec;
    json::value chain = json::parse(q.text(0, 0), ec);
    if (ec || !chain.is_array()) {
        log_pg("read", "the managing ancestors are not a JSON array");
        fail(store_errc::internal);
    }
    for (const auto& id : chain.get_array()) {
        if (id.is_string()) s.chain.emplace_back(id.get_string());
    }
    s.direct = q.text(0, 1) == "t";
    return s;
}

// PostgreSQL plans a statement with `LIMIT $n` on every call: its generic plan assumes a tenth of
// the table, so it looks dearer than a custom one, which PostgreSQL then keeps making (a page of
// 100 spent 0.49 ms of its 2.4 ms in the planner). With the LIMIT written in the text it settles
// on the generic plan after five calls. Only the usual page sizes are written in, so that a
// connection prepares a bounded number of such statements whatever counts clients send.
bool limit_in_text(std::int64_t limit) {
    for (std::int64_t n : {1, 10, 20, 25, 50, 100, 200, 500, 1000}) {
        if (limit == n) return true;
    }
    return false;
}

// True when scope_of(tenant).any() would be: the org is managed by its parent (so roles flow
// down from there) or has members without a User row. A column for a statement whose $1 is the
// org.
constexpr const char* has_member_scope =
    "(EXISTS (SELECT 1 FROM orgs o WHERE o.id = $1 AND o.managed_by = o.parent_id) OR EXISTS "
    "(SELECT 1 FROM memberships WHERE org_id = $1 AND user_ref IS NULL AND kind <> "
    "'inherited'))";

// Identity ids (iid) and kinds of the direct members; `extra` narrows (e.g. to one id).
std::string direct_ids(const std::string& extra) {
    return "SELECT m.identity_id AS iid, m.kind AS kind FROM memberships m WHERE m.org_id = $1 "
           "AND m.user_ref IS NULL AND m.kind <> 'inherited' AND cardinality($2::text[]) >= 0" +
           extra;
}

// The inherited members: a flowing membership in a managing ancestor, no membership in the org,
// and nothing nearer that replaces it (overrideInherited, Inactive) or already passes roles on.
std::string inherited_ids(const member_scope& s, const std::string& extra) {
    std::string q;
    if (s.chain.size() == 1) {
        q = "SELECT f.identity_id AS iid, 'inherited' AS kind FROM member_flow f WHERE f.org_id "
            "= ($2::text[])[1]";
    } else {
        q = "SELECT f.identity_id AS iid, 'inherited' AS kind FROM member_flow f JOIN "
            "unnest($2::text[]) WITH ORDINALITY AS c(value, key) ON f.org_id = c.value WHERE NOT "
            "EXISTS (SELECT 1 FROM memberships b JOIN unnest($2::text[]) WITH ORDINALITY AS "
            "n(value, key) ON b.org_id = n.value WHERE b.identity_id = f.identity_id AND n.key < "
            "c.key AND (b.override_inherited OR b.roles <> '[]'))";
    }
    // Always there (SQLite leaves it out for an org without memberships): it names $1. An
    // anti-join rather than NOT IN, so that a page can walk member_flow's index in order.
    q += " AND NOT EXISTS (SELECT 1 FROM memberships x WHERE x.org_id = $1 AND x.identity_id = "
         "f.identity_id)";
    return q + extra;
}

// Columns of a member row: the record columns, then kind and home org.
constexpr const char* member_row =
    "i.id, coalesce(h.body, json_build_object('userName', coalesce(i.subject, i.id), "
    "'displayName', i.display)::text), coalesce(h.version, 1), coalesce(h.created_ms, "
    "i.created_ms), coalesce(h.modified_ms, i.created_ms)";
constexpr const char* member_join =
    " v JOIN identities i ON i.id = v.iid LEFT JOIN resources h ON h.tenant = i.home_org AND "
    "h.id = i.home_user_id AND h.type = 'User'";
// The same for one page of ids: each identity by its key. OFFSET 0 keeps the planner from
// flattening the lateral lookup into a hash join that reads every identity for 100 rows.
constexpr const char* member_page_join =
    " v CROSS JOIN LATERAL (SELECT * FROM identities WHERE id = v.iid OFFSET 0) i LEFT JOIN "
    "resources h ON h.tenant = i.home_org AND h.id = i.home_user_id AND h.type = 'User'";

// Own Users, direct and inherited members as one table `r` with the columns the filter
// translation refers to, in list order (grp, seq, id).
std::string all_members(const member_scope& s) {
    std::string q =
        "SELECT 0 AS grp, r.seq AS seq, r.tenant AS tenant, r.id AS id, r.body AS body, "
        "r.version AS version, r.created_ms AS created_ms, r.modified_ms AS modified_ms, "
        "r.ukey AS ukey, r.display_f AS display_f, r.external_id AS external_id, "
        "coalesce(m.kind, 'home') AS kind, coalesce(m.home_org, r.tenant) AS home_org FROM "
        "resources r LEFT JOIN memberships m ON m.org_id = r.tenant AND m.user_ref = r.id AND "
        "m.kind <> 'home' WHERE r.tenant = $1 AND r.type = 'User' AND cardinality($2::text[]) "
        ">= 0";
    auto part = [&](int grp, const std::string& ids) {
        q += " UNION ALL SELECT " + std::to_string(grp) + ", 0::bigint, $1::text, " + member_row +
             ", coalesce(h.ukey, lower(coalesce(i.subject, i.id))), coalesce(h.display_f, "
             "lower(i.display COLLATE \"C\")), h.external_id, v.kind, i.home_org FROM (" +
             ids + ")" + member_join;
    };
    if (s.direct) part(1, direct_ids(""));
    if (!s.chain.empty()) part(2, inherited_ids(s, ""));
    return q;
}

resource_record read_member(const result& q, int row, int first_col) {
    resource_record r = read_record(q, row, first_col);
    set_membership(r, q.text(row, first_col + 5), q.text(row, first_col + 6));
    return r;
}

// A member who has no User row in the org, by identity id.
std::optional<resource_record> find_member(connection& c,
                                           std::string_view tenant,
                                           std::string_view id) {
    const auto s = scope_of(c, tenant);
    for (int part = 0; part < 2; ++part) {
        if ((part == 0 && !s.direct) || (part == 1 && s.chain.empty())) continue;
        const std::string ids = part == 0 ? direct_ids(" AND m.identity_id = $3")
                                          : inherited_ids(s, " AND f.identity_id = $3");
        auto q = c.run(std::string("SELECT ") + member_row + ", v.kind, i.home_org FROM (" + ids +
                           " LIMIT 1)" + member_join,
                       params().text(tenant).text_array(s.chain).text(id));
        if (q.rows() > 0) return read_member(q, 0, 0);
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

// Whether the filter names only attributes with a column of their own in `all_members` (the
// others are read from the stored body of the org's own rows, or from tables keyed by the org,
// which members of other orgs are not in): only those are filtered in SQL over every kind.
bool only_columns(const scim::filter_node& f) {
    return std::visit(
        [](const auto& n) -> bool {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, scim::comparison>) {
                if (n.path.in_extension || !n.path.sub.empty()) {
                    return !n.path.in_extension && scim::iequals(n.path.attr, "meta") &&
                           (scim::iequals(n.path.sub, "created") ||
                            scim::iequals(n.path.sub, "lastModified"));
                }
                for (auto a : {"userName", "displayName", "externalId", "id"}) {
                    if (scim::iequals(n.path.attr, a)) return true;
                }
                return false;
            } else if constexpr (std::is_same_v<T, scim::logical>) {
                return only_columns(*n.lhs) && only_columns(*n.rhs);
            } else if constexpr (std::is_same_v<T, scim::negation>) {
                return only_columns(*n.inner);
            } else {
                return false;
            }
        },
        f.v);
}

// The User list of an org with members of every kind (those of scope `s`). The caller uses the
// generic list when the org has only its own Users and the query does not name the extension.
scim::list_result list_members(connection& c,
                               std::string_view tenant,
                               const scim::resource_type& type,
                               const scim::list_request& req,
                               const member_scope& s) {
    scim::list_result out;
    std::int64_t limit = std::max<std::int64_t>(req.limit, 0);
    std::int64_t offset = std::max<std::int64_t>(req.offset, 0);
    auto scoped = [&] {
        params p;
        p.text(tenant).text_array(s.chain);
        return p;
    };

    if (req.filter == nullptr && !req.sort_by) {
        // Own Users, then direct members, then inherited ones: each counted and paged apart.
        for (int part = 0; part < 3; ++part) {
            if ((part == 1 && !s.direct) || (part == 2 && s.chain.empty())) continue;
            std::int64_t n = 0;
            if (part == 0) {
                auto q = c.run(
                    "SELECT coalesce(sum(n), 0) FROM resource_counts WHERE tenant = $1 AND type "
                    "= 'User'",
                    params().text(tenant));
                n = q.int64(0, 0);
            } else if (part == 2 && s.chain.size() == 1) {
                // Everyone the managing parent passes roles to (a kept count), less those who
                // are members here in their own right (a few rows), as inherited_ids() lists.
                auto q = c.run(
                    "SELECT coalesce((SELECT n FROM member_flow_counts WHERE org_id = "
                    "($2::text[])[1]), 0) - (SELECT count(*) FROM memberships m JOIN member_flow "
                    "f ON f.org_id = ($2::text[])[1] AND f.identity_id = m.identity_id WHERE "
                    "m.org_id = $1)",
                    scoped());
                n = q.int64(0, 0);
            } else {
                auto q = c.run("SELECT count(*) FROM (" +
                                   (part == 1 ? direct_ids("") : inherited_ids(s, "")) + ") v",
                               scoped());
                n = q.int64(0, 0);
            }
            out.total += n;
            if (limit == 0 || offset >= n) {
                offset = std::max<std::int64_t>(offset - n, 0);
                continue;
            }
            std::vector<resource_record> got;
            if (part == 0) {
                auto q =
                    c.run(std::string("SELECT ") + record_columns + ", " + own_membership_column +
                              " FROM resources r WHERE r.tenant = $1 AND r.type = 'User' "
                              "AND r.seq >= (SELECT seq FROM resources WHERE tenant = $1 "
                              "AND type = 'User' ORDER BY seq LIMIT 1 OFFSET $3::bigint) "
                              "ORDER BY r.seq LIMIT $2::bigint",
                          params().text(tenant).int64(limit).int64(offset));
                for (int i = 0; i < q.rows(); ++i) {
                    got.push_back(read_record(q, i, 0));
                    read_own_membership(q, i, 5, tenant, got.back());
                }
            } else {
                const std::string ids = part == 1 ? direct_ids("") : inherited_ids(s, "");
                auto q = c.run(std::string("SELECT ") + member_row + ", v.kind, i.home_org FROM (" +
                                   ids + " ORDER BY iid LIMIT $3::bigint OFFSET $4::bigint)" +
                                   member_page_join + " ORDER BY v.iid",
                               scoped().int64(limit).int64(offset));
                for (int i = 0; i < q.rows(); ++i) got.push_back(read_member(q, i, 0));
            }
            limit -= static_cast<std::int64_t>(got.size());
            offset = 0;
            for (auto& r : got) out.items.push_back(std::move(r));
        }
        load_relations(c, tenant, type, std::span(out.items), req.fetch);
        return out;
    }

    // Filtered or sorted: one table of every kind. Filters on other attributes than the
    // columns (emails, groups, the extension, values in the body) are matched in memory: the
    // members who are not Users here keep theirs under another org.
    const bool in_sql = req.filter == nullptr || only_columns(*req.filter);
    sql::where_clause w;
    if (in_sql) {
        w = sql::translate_filter(req.filter, sql::dialect::postgres, 3);
    } else {
        w.exact = false;
    }
    std::optional<std::string> sort_col;
    if (req.sort_by) {
        if (req.sort_by->in_extension && scim::iequals(req.sort_by->attr, "kind")) {
            sort_col = "r.kind";
        } else if (req.sort_by->in_extension && scim::iequals(req.sort_by->attr, "homeOrg")) {
            sort_col = "r.home_org";
        } else {
            sort_col = sql::sort_column(*req.sort_by, sql::dialect::postgres);
        }
    }
    const std::string from =
        " FROM (" + all_members(s) + ") r" + (w.sql.empty() ? "" : " WHERE " + w.sql);
    auto common = [&] {
        params p = scoped();
        for (const auto& v : w.params) p.param(v);
        return p;
    };
    constexpr const char* cols =
        "SELECT r.id, r.body, r.version, r.created_ms, r.modified_ms, r.kind, r.home_org";
    if (w.exact && (!req.sort_by || sort_col)) {
        out.total = c.run("SELECT count(*)" + from, common()).int64(0, 0);
        if (limit > 0 && offset < out.total) {
            std::string order = " ORDER BY ";
            if (sort_col) {
                order += "(" + *sort_col + " IS NULL), " + *sort_col +
                         (req.descending ? " DESC, " : " ASC, ");
            }
            order += "r.grp, r.seq, r.id";
            const std::string next = std::to_string(w.params.size() + 3);
            const std::string after = std::to_string(w.params.size() + 4);
            auto q = c.run(
                cols + from + order + " LIMIT $" + next + "::bigint OFFSET $" + after + "::bigint",
                common().int64(limit).int64(offset));
            for (int i = 0; i < q.rows(); ++i) out.items.push_back(read_member(q, i, 0));
        }
        load_relations(c, tenant, type, std::span(out.items), req.fetch);
        return out;
    }
    std::vector<resource_record> kept;
    {
        auto q = c.run(cols + from + " ORDER BY r.grp, r.seq, r.id", common());
        std::vector<resource_record> rows;
        for (int i = 0; i < q.rows(); ++i) rows.push_back(read_member(q, i, 0));
        scim::fetch_options need{false,
                                 req.filter != nullptr && sql::mentions(*req.filter, "groups")};
        if (need.groups) load_relations(c, tenant, type, std::span(rows), need);
        for (auto& r : rows) {
            if (req.filter == nullptr || scim::matches(*req.filter, sql::wire_view(type, r))) {
                kept.push_back(std::move(r));
            }
        }
    }
    out = sql::page_in_memory(std::move(kept), type, req);
    load_relations(c, tenant, type, std::span(out.items), req.fetch);
    return out;
}

void write_emails(connection& c,
                  std::string_view tenant,
                  std::string_view id,
                  const std::vector<std::string>& emails,
                  bool replace) {
    if (replace) {
        // One statement that deletes only the rows no longer wanted and inserts only the new
        // ones: an update that keeps the emails (most PATCHes) touches no email row and no
        // index entry, instead of deleting and inserting them all again.
        c.run(
            "WITH gone AS (DELETE FROM resource_emails WHERE tenant = $1 AND rid = $2 AND "
            "value_f <> ALL($3::text[])) INSERT INTO resource_emails (tenant, rid, value_f) "
            "SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING",
            params().text(tenant).text(id).text_array(emails));
    } else if (!emails.empty()) {
        c.run(
            "INSERT INTO resource_emails (tenant, rid, value_f) SELECT $1, $2, unnest($3::text[]) "
            "ON CONFLICT DO NOTHING",
            params().text(tenant).text(id).text_array(emails));
    }
}

// Set-based statements: one round trip per kind of change, however many members; the group row
// itself is only touched by the caller's version bump.
void apply_members(connection& c,
                   std::string_view tenant,
                   std::string_view group_id,
                   const scim::write_set& ws) {
    if (ws.clear_members) {
        c.run("DELETE FROM group_members WHERE tenant = $1 AND group_id = $2",
              params().text(tenant).text(group_id));
    }
    if (!ws.add_members.empty()) {
        std::vector<std::string> wanted = ws.add_members;
        std::sort(wanted.begin(), wanted.end());
        wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
        // FOR SHARE: a member cannot be deleted between this check and our commit.
        auto found = c.run(
            "SELECT r.id FROM resources r WHERE r.tenant = $1 AND r.id = ANY($2::text[]) AND "
            "r.type IN ('User', 'Group') FOR SHARE",
            params().text(tenant).text_array(wanted));
        if (found.rows() != static_cast<int>(wanted.size())) fail(store_errc::bad_reference);
        c.run(
            "INSERT INTO group_members (tenant, group_id, member_id, member_type) SELECT $1, $2, "
            "r.id, r.type FROM resources r WHERE r.tenant = $1 AND r.id = ANY($3::text[]) ON "
            "CONFLICT DO NOTHING",
            params().text(tenant).text(group_id).text_array(wanted));
    }
    if (!ws.remove_members.empty()) {
        c.run(
            "DELETE FROM group_members WHERE tenant = $1 AND group_id = $2 AND member_id = "
            "ANY($3::text[])",
            params().text(tenant).text(group_id).text_array(ws.remove_members));
    }
}

organization read_org(const result& q, int row) {
    organization o;
    o.id = std::string(q.text(row, 0));
    o.name = std::string(q.text(row, 1));
    if (!q.is_null(row, 2)) o.parent_id = std::string(q.text(row, 2));
    o.status = std::string(q.text(row, 3));
    o.created_ms = q.int64(row, 4);
    return o;
}

constexpr const char* token_columns =
    "id, org_id, name, created_ms, expires_ms, revoked_ms, can_write, encode(hash, 'hex')";

token_info read_token(const result& q, int row) {
    token_info t;
    t.id = std::string(q.text(row, 0));
    t.org_id = std::string(q.text(row, 1));
    t.name = std::string(q.text(row, 2));
    t.created_ms = q.int64(row, 3);
    t.expires_ms = q.opt_int64(row, 4);
    t.revoked_ms = q.opt_int64(row, 5);
    t.can_write = q.text(row, 6) == "t";
    return t;
}

}  // namespace

struct postgres_store::impl {
    impl(const postgres_config& cfg, std::string uri, std::function<std::int64_t()> c)
        : clock(std::move(c)), pool(cfg, std::move(uri)) {}

    std::function<std::int64_t()> clock;
    pg::pool pool;

    std::int64_t now() const { return clock ? clock() : sql::system_now_ms(); }
};

postgres_store::postgres_store(const postgres_config& cfg,
                               std::string uri,
                               std::function<std::int64_t()> clock)
    : impl_(std::make_unique<impl>(cfg, std::move(uri), std::move(clock))) {
    try {
        impl_->pool.migrate(postgres::migrations(), impl_->now());
    } catch (const db_failure&) {
        throw startup_error(
            "cannot connect to or migrate the PostgreSQL database (see the log "
            "line above)");
    } catch (const retry_failure&) {
        throw startup_error("PostgreSQL migration failed: serialization failure");
    }
}

postgres_store::~postgres_store() = default;

store_result<resource_record> postgres_store::get(std::string_view tenant,
                                                  const scim::resource_type& type,
                                                  std::string_view id,
                                                  const scim::fetch_options& fetch) {
    return impl_->pool.read_pipelined([&](connection& c) -> store_result<resource_record> {
        // One statement is one snapshot: the record, its relations and its membership agree
        // without a transaction, in one round trip.
        const bool members = lists_members(type);
        auto q =
            c.run(std::string("SELECT ") + record_columns + ", " + relations_column(type, fetch) +
                      ", " + (members ? own_membership_column : "NULL") +
                      " FROM resources r WHERE r.tenant = $1 AND r.id = $2 AND r.type = $3",
                  params().text(tenant).text(id).text(type.id));
        if (q.rows() == 0) {
            if (!members) return store_errc::not_found;
            // A member whose User lives in their home org, or who has none.
            transaction t(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            auto m = find_member(c, tenant, id);
            if (!m) return store_errc::not_found;
            load_relations(c, tenant, type, *m, fetch);
            t.commit();
            return std::move(*m);
        }
        resource_record r = read_record(q, 0, 0);
        read_relations(q, 0, 5, r);
        if (members) read_own_membership(q, 0, 6, tenant, r);
        return r;
    });
}

store_result<scim::list_result> postgres_store::list(std::string_view tenant,
                                                     const scim::resource_type& type,
                                                     const scim::list_request& req) {
    return impl_->pool.read_pipelined([&](connection& c) -> store_result<scim::list_result> {
        const bool members = lists_members(type);
        auto member_list = [&] {
            // The parts of a member list are read in several statements: one snapshot, in which
            // the scope is read again.
            transaction t(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            auto out = list_members(c, tenant, type, req, scope_of(c, tenant));
            t.commit();
            return out;
        };
        if (members && mentions_membership(req)) return member_list();
        scim::list_result out;

        sql::where_clause w = sql::translate_filter(req.filter, sql::dialect::postgres, 3);
        std::string from = " FROM resources r" + w.joins + " WHERE r.tenant = $1 AND r.type = $2";
        if (!w.sql.empty()) from += " AND " + w.sql;
        std::optional<std::string> sort_col;
        if (req.sort_by) sort_col = sql::sort_column(*req.sort_by, sql::dialect::postgres);
        auto common = [&] {
            params p;
            p.text(tenant).text(type.id);
            for (const auto& v : w.params) p.param(v);
            return p;
        };
        const std::string next = std::to_string(w.params.size() + 3);
        const std::string after = std::to_string(w.params.size() + 4);
        std::int64_t limit = std::max<std::int64_t>(req.limit, 0);
        std::int64_t offset = std::max<std::int64_t>(req.offset, 0);

        if (w.exact && (!req.sort_by || sort_col)) {
            // One statement, so one snapshot and one round trip: the total, the page and the
            // page's relations. A page past the end is empty; the total row is there anyway.
            std::string total =
                w.sql.empty() ? std::string(
                                    "SELECT coalesce(sum(n), 0) FROM resource_counts WHERE tenant "
                                    "= $1 AND type = $2")
                              : "SELECT count(*)" + from;
            std::string order = " ORDER BY ";
            std::string outer_order = " ORDER BY ";
            std::string sort_key;
            if (sort_col) {
                const char* dir = req.descending ? " DESC, " : " ASC, ";
                order += "(" + *sort_col + " IS NULL), " + *sort_col + dir;
                outer_order += "(r.sort_key IS NULL), r.sort_key" + std::string(dir);
                sort_key = ", " + *sort_col + " AS sort_key";
            }
            order += "r.seq";
            outer_order += "r.seq";
            // After the filter's parameters: the LIMIT, unless written in the text, then the
            // OFFSET.
            params p = common();
            std::string limit_sql = "$" + next + "::bigint";
            std::string offset_sql = "$" + after + "::bigint";
            if (limit_in_text(limit)) {
                limit_sql = std::to_string(limit);
                offset_sql = "$" + next + "::bigint";
            } else {
                p.int64(limit);
            }
            p.int64(offset);
            std::string page = std::string("SELECT r.tenant, r.seq, ") + record_columns + sort_key;
            // Past the first page or so: a shallower page with OFFSET as a parameter is planned
            // anew on every call (its custom plan always looks cheaper than the generic one), and
            // planning this statement costs more than the skip.
            if (!sort_col && w.sql.empty() && offset > 100) {
                // Deep page in creation order: resource_blocks (migration 10) names the block of
                // 1,024 seq values that holds the page's first row and how many of the block's
                // rows come before it, so the index walk skips fewer than 1,024 entries instead
                // of `offset`, whatever the table's size (W5 at 100,000 users: 281 -> 1,294
                // req/s). One snapshot: the triggers keep the blocks in the same transactions as
                // the rows. `start` is read twice and computed once (a CTE named twice is
                // materialized). Past the end no block qualifies, and the page is empty.
                const std::string start =
                    "(SELECT b.block << 10 AS from_seq, " + offset_sql +
                    " - b.before AS skip FROM (SELECT block, n, "
                    "(sum(n) OVER (ORDER BY block))::bigint - n AS before FROM "
                    "(SELECT block, sum(n)::bigint AS n FROM resource_blocks "
                    "WHERE tenant = $1 AND type = $2 GROUP BY block) g) b "
                    "WHERE b.before + b.n > " +
                    offset_sql + " ORDER BY b.block LIMIT 1)";
                // The skip walks (tenant, type, seq) alone, an index-only scan, so only the
                // page's own rows are read from the heap (13 % less execution time at 10,000
                // users than skipping over the rows themselves).
                page = "WITH start AS " + start + " " + page + from +
                       " AND r.seq >= (SELECT s.seq FROM resources s WHERE s.tenant = $1 AND "
                       "s.type = $2 AND s.seq >= (SELECT from_seq FROM start) ORDER BY s.seq "
                       "OFFSET (SELECT skip FROM start) LIMIT 1)" +
                       order + " LIMIT " + limit_sql;
            } else {
                page += from + order + " LIMIT " + limit_sql + " OFFSET " + offset_sql;
            }
            // The relations are computed for the page's rows only, not for skipped ones. The
            // last column says whether the org has members without a User row here (its own or
            // a managing parent's): then this page is not the whole list, and the member list is
            // read instead. Asking in the same statement saves a round trip on every list of an
            // org without such members, the common case. That column is two key lookups, so it
            // does not make the plan depend on values: the page and the total decide.
            const auto how = connection::plans_per_call(page) || connection::plans_per_call(total)
                                 ? connection::plan::by_text
                                 : connection::plan::reusable;
            // An unfiltered User page's groups come in one cell, in the row of its first User
            // (page_groups_cell). A filtered page is mostly one User (the userName and
            // externalId lookups identity providers send), for which that cell's set-up costs
            // more than one subplan: 15 % more PostgreSQL CPU per W2 request.
            const bool page_groups = type.id == "User" && req.fetch.groups && w.sql.empty();
            const std::string relations =
                page_groups ? "CASE WHEN r.seq = (SELECT min(seq) FROM page) THEN t.groups END"
                            : relations_column(type, req.fetch);
            auto q = c.run("WITH page AS (" + page + ") SELECT t.total, " + record_columns + ", " +
                               relations + ", " + (members ? own_membership_guarded : "NULL") +
                               ", " + (members ? has_member_scope : "false") + " FROM (SELECT (" +
                               total + "), " + (page_groups ? page_groups_cell : "NULL") +
                               ") AS t (total, groups) LEFT JOIN page r ON true" + outer_order,
                           p, how);
            if (members && q.text(0, 8) == "t") return member_list();
            out.total = q.int64(0, 0);
            int groups_row = -1;
            for (int i = 0; i < q.rows(); ++i) {
                if (q.is_null(i, 1)) continue;
                resource_record r = read_record(q, i, 1);
                if (page_groups) {
                    if (!q.is_null(i, 6)) groups_row = i;
                } else {
                    read_relations(q, i, 6, r);
                }
                if (members) read_own_membership(q, i, 7, tenant, r);
                out.items.push_back(std::move(r));
            }
            if (page_groups) {
                read_page_groups(groups_row < 0 ? std::string_view("[]") : q.text(groups_row, 6),
                                 std::span(out.items));
            }
            return out;
        }

        // The filter (or the sort) needs the in-memory evaluator: narrow in SQL, then match.
        if (members && scope_of(c, tenant).any()) return member_list();
        transaction t(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        std::vector<resource_record> rows;
        {
            auto q =
                c.run(std::string("SELECT ") + record_columns + from + " ORDER BY r.seq", common());
            for (int i = 0; i < q.rows(); ++i) rows.push_back(read_record(q, i, 0));
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
        if (need.members || need.groups) load_relations(c, tenant, type, std::span(rows), need);
        std::vector<resource_record> kept;
        for (auto& r : rows) {
            if (req.filter == nullptr || w.exact ||
                scim::matches(*req.filter, sql::wire_view(type, r))) {
                kept.push_back(std::move(r));
            }
        }
        out = sql::page_in_memory(std::move(kept), type, req);
        load_relations(c, tenant, type, std::span(out.items), req.fetch);
        annotate(c, tenant, type, std::span(out.items));
        t.commit();
        return out;
    });
}

store_result<resource_record> postgres_store::create(std::string_view tenant,
                                                     const scim::resource_type& type,
                                                     const scim::write_set& initial) {
    return impl_->pool.write([&](connection& c) -> store_result<resource_record> {
        auto cols = sql::compute_columns(type, initial.attrs);
        resource_record r;
        r.id = scim::new_id();
        r.attrs = initial.attrs;
        r.attrs.erase(membership_extension_urn);  // read-only, filled on every read
        r.meta.created_ms = r.meta.modified_ms = impl_->now();
        r.meta.version = 1;
        c.run(
            "INSERT INTO resources (tenant, type, id, body, version, created_ms, modified_ms, "
            "ukey, username_f, display_f, external_id, label) VALUES ($1, $2, $3, $4, 1, $5, "
            "$5, $6, $7, $8, $9, $10)",
            params()
                .text(tenant)
                .text(type.id)
                .text(r.id)
                .text(json::serialize(r.attrs))
                .int64(r.meta.created_ms)
                .text(cols.ukey)
                .text(cols.username_f)
                .text(cols.display_f)
                .text(cols.external_id)
                .text(cols.label));
        write_emails(c, tenant, r.id, cols.emails_f, false);
        apply_members(c, tenant, r.id, initial);
        // Nothing refers to an id made just now: a new User is in no group, so only a Group's
        // members (named in the request) are read back.
        if (type.id != "User") load_relations(c, tenant, type, r, scim::fetch_options{true, true});
        if (lists_members(type)) set_membership(r, "home", tenant);
        return r;
    });
}

store_result<resource_record> postgres_store::update(std::string_view tenant,
                                                     const scim::resource_type& type,
                                                     std::string_view id,
                                                     std::optional<std::uint64_t> if_match,
                                                     const scim::fetch_options& fetch,
                                                     const mutate_fn& mutate) {
    return impl_->pool.write([&](connection& c) -> store_result<resource_record> {
        // The row lock makes the If-Match check and the write one atomic step. The row comes
        // with its relations and its membership kind, which the write does not change: one
        // round trip where there were three.
        const bool members = lists_members(type);
        auto q = c.run(std::string("SELECT r.seq, ") + record_columns + ", " +
                           relations_column(type, fetch) + ", " +
                           (members ? own_membership_column : "NULL") +
                           " FROM resources r WHERE r.tenant = $1 AND r.id = $2 AND r.type = "
                           "$3 FOR UPDATE OF r",
                       params().text(tenant).text(id).text(type.id));
        if (q.rows() == 0) return store_errc::not_found;
        std::int64_t seq = q.int64(0, 0);
        resource_record cur = read_record(q, 0, 1);
        if (if_match && *if_match != cur.meta.version) return store_errc::version_mismatch;
        read_relations(q, 0, 6, cur);
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
        c.run(
            "UPDATE resources SET body = $1, version = $2, modified_ms = $3, ukey = $4, "
            "username_f = $5, display_f = $6, external_id = $7, label = $8 WHERE seq = $9",
            params()
                .text(json::serialize(r.attrs))
                .int64(static_cast<std::int64_t>(r.meta.version))
                .int64(r.meta.modified_ms)
                .text(cols.ukey)
                .text(cols.username_f)
                .text(cols.display_f)
                .text(cols.external_id)
                .text(cols.label)
                .int64(seq));
        write_emails(c, tenant, r.id, cols.emails_f, true);
        apply_members(c, tenant, r.id, *ws);
        if (type.id == "User") {
            r.groups = std::move(cur.groups);  // a User's write never changes its groups
        } else {
            load_relations(c, tenant, type, r, fetch);
        }
        if (members) read_own_membership(q, 0, 7, tenant, r);
        return r;
    });
}

store_result<void> postgres_store::remove(std::string_view tenant,
                                          const scim::resource_type& type,
                                          std::string_view id,
                                          std::optional<std::uint64_t> if_match) {
    return impl_->pool.write([&](connection& c) -> store_result<void> {
        auto q = c.run(
            "SELECT seq, version FROM resources WHERE tenant = $1 AND id = $2 AND type = $3 "
            "FOR UPDATE",
            params().text(tenant).text(id).text(type.id));
        if (q.rows() == 0) return store_errc::not_found;
        std::int64_t seq = q.int64(0, 0);
        if (if_match && *if_match != static_cast<std::uint64_t>(q.int64(0, 1)))
            return store_errc::version_mismatch;
        // Groups that lose this member have changed, so their ETags change too.
        c.run(
            "UPDATE resources SET version = version + 1, modified_ms = $3 WHERE tenant = $1 "
            "AND id IN (SELECT group_id FROM group_members WHERE tenant = $1 AND member_id = "
            "$2)",
            params().text(tenant).text(id).int64(impl_->now()));
        c.run("DELETE FROM group_members WHERE tenant = $1 AND (member_id = $2 OR group_id = $2)",
              params().text(tenant).text(id));
        c.run("DELETE FROM resource_emails WHERE tenant = $1 AND rid = $2",
              params().text(tenant).text(id));
        c.run("DELETE FROM resources WHERE seq = $1", params().int64(seq));
        return {};
    });
}

store_result<organization> postgres_store::create_org(std::string_view name,
                                                      std::optional<std::string_view> parent_id) {
    return impl_->pool.write([&](connection& c) -> store_result<organization> {
        if (parent_id) {
            auto q = c.run("SELECT 1 FROM orgs WHERE id = $1 FOR SHARE", params().text(*parent_id));
            if (q.rows() == 0) return store_errc::not_found;
        }
        organization o;
        o.id = scim::new_id();
        o.name = std::string(name);
        if (parent_id) o.parent_id = std::string(*parent_id);
        o.created_ms = impl_->now();
        c.run(
            "INSERT INTO orgs (id, name, parent_id, status, created_ms) VALUES ($1, $2, $3, "
            "$4, $5)",
            params().text(o.id).text(name).text(o.parent_id).text(o.status).int64(o.created_ms));
        return o;
    });
}

store_result<organization> postgres_store::get_org(std::string_view id) {
    return impl_->pool.read([&](connection& c) -> store_result<organization> {
        auto q = c.run("SELECT id, name, parent_id, status, created_ms FROM orgs WHERE id = $1",
                       params().text(id));
        if (q.rows() == 0) return store_errc::not_found;
        return read_org(q, 0);
    });
}

store_result<std::vector<organization>> postgres_store::list_orgs() {
    return impl_->pool.read([&](connection& c) -> store_result<std::vector<organization>> {
        auto q = c.run("SELECT id, name, parent_id, status, created_ms FROM orgs ORDER BY seq");
        std::vector<organization> out;
        for (int i = 0; i < q.rows(); ++i) out.push_back(read_org(q, i));
        return out;
    });
}

store_result<token_info> postgres_store::create_token(std::string_view org_id,
                                                      std::string_view name,
                                                      std::string_view secret_hash,
                                                      std::optional<std::int64_t> expires_ms,
                                                      bool can_write) {
    return impl_->pool.write([&](connection& c) -> store_result<token_info> {
        if (c.run("SELECT 1 FROM orgs WHERE id = $1 FOR SHARE", params().text(org_id)).rows() == 0)
            return store_errc::not_found;
        token_info tok;
        tok.id = scim::new_id();
        tok.org_id = std::string(org_id);
        tok.name = std::string(name);
        tok.created_ms = impl_->now();
        tok.expires_ms = expires_ms;
        tok.can_write = can_write;
        c.run(
            "INSERT INTO tokens (id, org_id, name, hash, created_ms, expires_ms, revoked_ms, "
            "can_write) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
            params()
                .text(tok.id)
                .text(org_id)
                .text(name)
                .bytes(secret_hash)
                .int64(tok.created_ms)
                .int64(expires_ms)
                .boolean(can_write));
        return tok;
    });
}

store_result<std::vector<token_info>> postgres_store::list_tokens(std::string_view org_id) {
    return impl_->pool.read([&](connection& c) -> store_result<std::vector<token_info>> {
        auto q = c.run(
            std::string("SELECT ") + token_columns + " FROM tokens WHERE org_id = $1 ORDER BY seq",
            params().text(org_id));
        std::vector<token_info> out;
        for (int i = 0; i < q.rows(); ++i) out.push_back(read_token(q, i));
        return out;
    });
}

store_result<void> postgres_store::revoke_token(std::string_view token_id, std::int64_t now_ms) {
    return impl_->pool.write([&](connection& c) -> store_result<void> {
        auto q = c.run("UPDATE tokens SET revoked_ms = coalesce(revoked_ms, $2) WHERE id = $1",
                       params().text(token_id).int64(now_ms));
        if (q.affected() == 0) return store_errc::not_found;
        return {};
    });
}

store_result<std::pair<token_info, std::string>> postgres_store::find_token(
    std::string_view secret_hash) {
    return impl_->pool.read([&](connection& c) -> store_result<std::pair<token_info, std::string>> {
        auto q = c.run(std::string("SELECT ") + token_columns + " FROM tokens WHERE hash = $1",
                       params().bytes(secret_hash));
        if (q.rows() == 0) return store_errc::not_found;
        return std::pair{read_token(q, 0), from_hex(q.text(0, 7)).value_or(std::string())};
    });
}

namespace {

class postgres_unit final : public unit_of_work {
  public:
    explicit postgres_unit(pool& p) : u_(p) {}
    store_result<void> commit() override {
        return guarded([&]() -> store_result<void> {
            u_.commit();
            return {};
        });
    }
    bool retry() const override { return u_.retry(); }

  private:
    unit u_;
};

}  // namespace

std::unique_ptr<unit_of_work> postgres_store::begin_unit(unit_mode /*mode*/) {
    // Every unit keeps its savepoints: a PostgreSQL SAVEPOINT copies no pages.
    return std::make_unique<postgres_unit>(impl_->pool);
}

bool postgres_store::healthy() {
    auto r = impl_->pool.read([&](connection& c) -> store_result<void> {
        c.run("SELECT 1");
        return {};
    });
    return r.has_value();
}

}  // namespace orgscim::plugin
