#include "sql/transfer.hpp"

#include <array>
#include <boost/json.hpp>
#include <istream>
#include <ostream>

namespace orgscim::plugin::sql::transfer {

namespace json = boost::json;

namespace {

constexpr std::string_view format_name = "orgscim-export";
constexpr std::int64_t format_version = 1;

using enum column_type;

// Both backends' migrations, column for column (sqlite_migrations.cpp; the *_schema strings of
// postgres/). SQLite keeps the creation order of orgs and tokens in the rowid, PostgreSQL in a
// `seq` column; both are `seq` here.
constexpr column orgs_cols[] = {
    {"seq", integer},         {"id", text},        {"name", text},
    {"parent_id", text},      {"status", text},    {"created_ms", integer},
    {"managed_by", text},     {"settings", text},  {"path", text},
    {"modified_ms", integer}, {"version", integer}};
constexpr column tokens_cols[] = {{"seq", integer},        {"id", text},
                                  {"org_id", text},        {"name", text},
                                  {"hash", bytes},         {"created_ms", integer},
                                  {"expires_ms", integer}, {"revoked_ms", integer},
                                  {"can_write", boolean}};
constexpr column resources_cols[] = {
    {"seq", integer}, {"tenant", text},     {"type", text},          {"id", text},
    {"body", text},   {"version", integer}, {"created_ms", integer}, {"modified_ms", integer},
    {"ukey", text},   {"username_f", text}, {"display_f", text},     {"external_id", text},
    {"label", text}};
constexpr column resource_emails_cols[] = {{"tenant", text}, {"rid", text}, {"value_f", text}};
constexpr column group_members_cols[] = {
    {"tenant", text}, {"group_id", text}, {"member_id", text}, {"member_type", text}};
constexpr column identities_cols[] = {
    {"id", text},           {"issuer", text},  {"subject", text},      {"home_org", text},
    {"home_user_id", text}, {"display", text}, {"created_ms", integer}};
constexpr column memberships_cols[] = {{"identity_id", text}, {"org_id", text},
                                       {"kind", text},        {"home_org", text},
                                       {"user_ref", text},    {"override_inherited", boolean},
                                       {"roles", text},       {"created_ms", integer}};
constexpr column custom_roles_cols[] = {
    {"org_id", text}, {"id", text}, {"name", text}, {"permissions", integer}};
constexpr column group_roles_cols[] = {{"org_id", text}, {"group_id", text}, {"role_id", text}};
constexpr column events_cols[] = {{"seq", integer},    {"id", text},
                                  {"org_id", text},    {"time_ms", integer},
                                  {"actor", text},     {"credential_id", text},
                                  {"action", text},    {"target_type", text},
                                  {"target_id", text}, {"detail", text}};
constexpr column invitations_cols[] = {{"seq", integer},
                                       {"id", text},
                                       {"org_id", text},
                                       {"kind", text},
                                       {"status", text},
                                       {"email", text},
                                       {"display_name", text},
                                       {"parent_user", text},
                                       {"roles", text},
                                       {"groups_", text},
                                       {"inviter", text},
                                       {"token_hash", text},
                                       {"token_version", integer},
                                       {"resend_count", integer},
                                       {"created_ms", integer},
                                       {"modified_ms", integer},
                                       {"expires_ms", integer},
                                       {"last_sent_ms", integer},
                                       {"reminder_at_ms", integer},
                                       {"finished_ms", integer},
                                       {"finished_by", text},
                                       {"reason", text},
                                       {"delivery", text},
                                       {"delivery_error", text},
                                       {"version", integer}};
constexpr column invitation_history_cols[] = {{"seq", integer},   {"owner_id", text},
                                              {"at_ms", integer}, {"action", text},
                                              {"actor", text},    {"detail", text}};
constexpr column access_requests_cols[] = {{"seq", integer},          {"id", text},
                                           {"org_id", text},          {"status", text},
                                           {"requester", text},       {"email", text},
                                           {"display_name", text},    {"reason", text},
                                           {"decided_by", text},      {"role", text},
                                           {"deny_reason", text},     {"created_ms", integer},
                                           {"modified_ms", integer},  {"last_notified_ms", integer},
                                           {"notify_count", integer}, {"version", integer}};
constexpr column mail_outbox_cols[] = {{"id", integer},
                                       {"org_id", text},
                                       {"ref", text},
                                       {"template", text},
                                       {"recipient", text},
                                       {"subject", text},
                                       {"body_text", text},
                                       {"body_html", text},
                                       {"status", text},
                                       {"attempts", integer},
                                       {"next_attempt_ms", integer},
                                       {"created_ms", integer},
                                       {"sent_ms", integer},
                                       {"last_error", text},
                                       {"claimed_by", text},
                                       {"lease_until_ms", integer}};
constexpr column oauth_clients_cols[] = {{"client_id", text},     {"org_id", text},
                                         {"name", text},          {"permissions", integer},
                                         {"created_ms", integer}, {"revoked_ms", integer}};
constexpr column oauth_client_secrets_cols[] = {{"id", text},
                                                {"client_id", text},
                                                {"hash", text},
                                                {"created_ms", integer},
                                                {"expires_ms", integer}};
constexpr column oauth_client_federated_cols[] = {
    {"client_id", text}, {"issuer", text}, {"subject", text}};
constexpr column oauth_signing_keys_cols[] = {{"kid", text},
                                              {"alg", text},
                                              {"private_pem", text},
                                              {"created_ms", integer},
                                              {"retired_ms", integer}};

constexpr column trusted_issuers_cols[] = {
    {"id", text}, {"org_id", text}, {"entry", text}, {"created_ms", integer}};

constexpr std::string_view key_id[] = {"id"};
constexpr std::string_view key_seq[] = {"seq"};
constexpr std::string_view key_emails[] = {"tenant", "rid", "value_f"};
constexpr std::string_view key_members[] = {"tenant", "group_id", "member_id"};
constexpr std::string_view key_memberships[] = {"identity_id", "org_id"};
constexpr std::string_view key_custom_roles[] = {"org_id", "id"};
constexpr std::string_view key_group_roles[] = {"org_id", "group_id", "role_id"};
constexpr std::string_view key_client[] = {"client_id"};
constexpr std::string_view key_federated[] = {"client_id", "issuer", "subject"};
constexpr std::string_view key_kid[] = {"kid"};

constexpr std::array<table, 19> catalogue{{
    {"orgs", orgs_cols, key_id, "seq"},
    {"tokens", tokens_cols, key_id, "seq"},
    {"resources", resources_cols, key_seq, "seq"},
    {"resource_emails", resource_emails_cols, key_emails, ""},
    {"group_members", group_members_cols, key_members, ""},
    {"identities", identities_cols, key_id, ""},
    {"memberships", memberships_cols, key_memberships, ""},
    {"custom_roles", custom_roles_cols, key_custom_roles, ""},
    {"group_roles", group_roles_cols, key_group_roles, ""},
    {"events", events_cols, key_seq, "seq"},
    {"invitations", invitations_cols, key_seq, "seq"},
    {"invitation_history", invitation_history_cols, key_seq, "seq"},
    {"access_requests", access_requests_cols, key_seq, "seq"},
    {"mail_outbox", mail_outbox_cols, key_id, "id"},
    {"oauth_clients", oauth_clients_cols, key_client, ""},
    {"oauth_client_secrets", oauth_client_secrets_cols, key_id, ""},
    {"oauth_client_federated", oauth_client_federated_cols, key_federated, ""},
    {"oauth_signing_keys", oauth_signing_keys_cols, key_kid, ""},
    {"trusted_issuers", trusted_issuers_cols, key_id, ""},
}};

[[noreturn]] void fail(std::string message) { throw transfer_error(std::move(message)); }

[[noreturn]] void fail_at(std::int64_t line, const std::string& message) {
    fail("line " + std::to_string(line) + ": " + message);
}

json::value to_json(const column& c, const value& v) {
    if (std::holds_alternative<std::monostate>(v)) return nullptr;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (const auto* b = std::get_if<bool>(&v)) return *b;
    const auto& s = std::get<std::string>(v);
    if (c.type == column_type::bytes) return json::string(base64_encode(s));
    return json::string(s);
}

[[noreturn]] void wrong_type(const table& t,
                             const column& c,
                             const char* expected,
                             std::int64_t line) {
    fail_at(line, std::string(t.name) + "." + std::string(c.name) + ": expected " + expected);
}

// Typed by the catalogue, not by the JSON: a string in an integer column is an error, not a cast.
value from_json(const table& t, const column& c, const json::value& j, std::int64_t line) {
    if (j.is_null()) return std::monostate{};
    switch (c.type) {
        case column_type::integer:
            if (j.is_int64()) return j.get_int64();
            if (j.is_uint64() && j.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
                return static_cast<std::int64_t>(j.get_uint64());
            wrong_type(t, c, "an integer", line);
        case column_type::boolean:
            if (j.is_bool()) return j.get_bool();
            wrong_type(t, c, "true or false", line);
        case column_type::text:
            if (j.is_string()) return std::string(j.get_string());
            wrong_type(t, c, "a string", line);
        case column_type::bytes:
            if (j.is_string()) {
                if (auto raw = base64_decode(j.get_string())) return std::move(*raw);
            }
            wrong_type(t, c, "base64", line);
    }
    wrong_type(t, c, "a value", line);
}

row row_from_json(const table& t, const json::value& j, std::int64_t line) {
    if (!j.is_object()) fail_at(line, "\"row\" must be an object");
    const auto& o = j.get_object();
    row r;
    r.reserve(t.columns.size());
    for (const auto& c : t.columns) {
        const auto* v = o.if_contains(c.name);
        if (v == nullptr) fail_at(line, std::string(t.name) + ": no column " + std::string(c.name));
        r.push_back(from_json(t, c, *v, line));
    }
    if (o.size() != t.columns.size()) {
        for (const auto& [k, v] : o) {
            bool known = false;
            for (const auto& c : t.columns) known = known || c.name == k;
            if (!known) {
                fail_at(line, std::string(t.name) + " has no column " + std::string(k) +
                                  " in this orgscim");
            }
        }
    }
    return r;
}

int schema_version_of(const json::object& header, std::int64_t line) {
    const auto* v = header.if_contains("schema_version");
    if (v == nullptr || !v->is_int64()) fail_at(line, "header: schema_version missing");
    return static_cast<int>(v->get_int64());
}

void check_header(const json::value& doc, const latest_versions& latest) {
    if (!doc.is_object()) fail_at(1, "not an orgscim export (no header)");
    const auto& h = doc.get_object();
    const auto* format = h.if_contains("format");
    if (format == nullptr || !format->is_string() || format->get_string() != format_name)
        fail_at(1, "not an orgscim export (no header)");
    const auto* fv = h.if_contains("format_version");
    if (fv == nullptr || !fv->is_int64() || fv->get_int64() != format_version) {
        fail_at(1, "export format version " +
                       (fv != nullptr ? json::serialize(*fv) : std::string("(none)")) +
                       " is not supported (this orgscim reads version " +
                       std::to_string(format_version) + ")");
    }
    const auto* backend = h.if_contains("backend");
    if (backend == nullptr || !backend->is_string()) fail_at(1, "header: backend missing");
    const std::string name(backend->get_string());
    const auto want = latest(name);
    if (!want) fail_at(1, "header: unknown backend \"" + name + "\"");
    const int got = schema_version_of(h, 1);
    if (got != *want) {
        fail_at(1, "the export is of " + name + " schema version " + std::to_string(got) +
                       ", this orgscim has version " + std::to_string(*want) +
                       ": export and import with the same orgscim version");
    }
}

// The trailer's counts against what was read: a stream cut short or spliced is refused.
void check_trailer(const json::value& end, const transfer_summary& seen, std::int64_t line) {
    if (!end.is_object()) fail_at(line, "trailer: \"end\" must be an object");
    const auto* rows = end.get_object().if_contains("rows");
    if (rows == nullptr || !rows->is_object()) fail_at(line, "trailer: rows missing");
    const auto& counts = rows->get_object();
    for (const auto& t : catalogue) {
        std::int64_t n = 0;
        for (const auto& [name, count] : seen.rows) {
            if (name == t.name) n = count;
        }
        const auto* want = counts.if_contains(t.name);
        const std::int64_t expected = want != nullptr && want->is_int64() ? want->get_int64() : -1;
        if (expected != n) {
            fail_at(line, "trailer: " + std::string(t.name) + " should have " +
                              (expected < 0 ? std::string("?") : std::to_string(expected)) +
                              " rows, the stream has " + std::to_string(n));
        }
    }
}

}  // namespace

std::span<const table> tables() { return catalogue; }

const table* find_table(std::string_view name) {
    for (const auto& t : catalogue) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

void check_schema(const schema_description& found, std::string_view where) {
    for (const auto& t : catalogue) {
        auto it = found.find(t.name);
        if (it == found.end()) fail(std::string(where) + " has no table " + std::string(t.name));
        std::set<std::string> want;
        for (const auto& c : t.columns) want.emplace(c.name);
        for (const auto& c : want) {
            if (!it->second.contains(c)) {
                fail(std::string(where) + ": table " + std::string(t.name) + " has no column " + c);
            }
        }
        for (const auto& c : it->second) {
            if (!want.contains(c)) {
                fail(std::string(where) + ": column " + std::string(t.name) + "." + c +
                     " is unknown to this orgscim's export");
            }
        }
    }
    for (const auto& [name, cols] : found) {
        if (find_table(name) == nullptr) {
            fail(std::string(where) + ": table " + name + " is unknown to this orgscim's export");
        }
    }
}

transfer_summary write_stream(reader& from, std::ostream& out, int latest, std::int64_t now_ms) {
    transfer_summary s;
    s.backend = std::string(from.backend());
    s.schema_version = from.schema_version();
    if (s.schema_version != latest) {
        fail("the " + s.backend + " database is at schema version " +
             std::to_string(s.schema_version) + ", this orgscim exports version " +
             std::to_string(latest) +
             (s.schema_version < latest ? ": run orgscim migrate first" : ""));
    }
    check_schema(from.describe(), "the " + s.backend + " database");

    out << json::serialize(json::object{{"format", format_name},
                                        {"format_version", format_version},
                                        {"backend", s.backend},
                                        {"schema_version", s.schema_version},
                                        {"exported_ms", now_ms}})
        << '\n';
    json::object counts;
    for (const auto& t : catalogue) {
        std::int64_t n = 0;
        from.each_row(t, [&](const row& r) {
            json::object cols;
            for (std::size_t i = 0; i < t.columns.size(); ++i)
                cols[t.columns[i].name] = to_json(t.columns[i], r[i]);
            out << json::serialize(json::object{{"table", t.name}, {"row", std::move(cols)}})
                << '\n';
            ++n;
        });
        s.rows.emplace_back(std::string(t.name), n);
        counts[t.name] = n;
    }
    out << json::serialize(json::object{{"end", json::object{{"rows", std::move(counts)}}}})
        << '\n';
    out.flush();
    if (!out) fail("writing the export failed");
    return s;
}

transfer_summary read_stream(std::istream& in, writer& to, const latest_versions& latest) {
    transfer_summary s;
    s.backend = std::string(to.backend());
    s.schema_version = to.schema_version();
    const auto want = latest(s.backend);
    if (!want || s.schema_version != *want) {
        fail("the target " + s.backend + " database is at schema version " +
             std::to_string(s.schema_version) + ", this orgscim needs version " +
             std::to_string(want.value_or(0)) +
             (s.schema_version < want.value_or(0) ? ": run orgscim migrate on it first" : ""));
    }
    check_schema(to.describe(), "the target " + s.backend + " database");
    to.begin();

    std::map<std::string_view, std::int64_t> counts;
    std::string line;
    std::int64_t n = 0;
    bool header = false;
    bool ended = false;
    const table* current = nullptr;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) continue;
        boost::system::error_code ec;
        auto doc = json::parse(line, ec);
        if (ec) fail_at(n, "invalid JSON (" + ec.message() + ")");
        if (!header) {
            check_header(doc, latest);
            for (const auto& t : catalogue) {
                if (!to.empty(t)) {
                    fail("the target " + s.backend + " database is not empty (table " +
                         std::string(t.name) + " has rows): import only into a new database");
                }
            }
            header = true;
            continue;
        }
        if (ended) fail_at(n, "data after the trailer");
        if (!doc.is_object()) fail_at(n, "expected an object");
        const auto& o = doc.get_object();
        if (const auto* end = o.if_contains("end")) {
            for (const auto& t : catalogue)
                s.rows.emplace_back(std::string(t.name), counts[t.name]);
            check_trailer(*end, s, n);
            ended = true;
            continue;
        }
        const auto* name = o.if_contains("table");
        const auto* r = o.if_contains("row");
        if (name == nullptr || !name->is_string() || r == nullptr)
            fail_at(n, "expected {\"table\": ..., \"row\": {...}}");
        const table* t = find_table(name->get_string());
        if (t == nullptr) fail_at(n, "unknown table " + std::string(name->get_string()));
        // One table after the other, as written: the writer batches by table.
        if (t != current && counts.contains(t->name))
            fail_at(n, "rows of " + std::string(t->name) + " are not together");
        current = t;
        row values = row_from_json(*t, *r, n);
        try {
            to.insert(*t, values);
        } catch (const transfer_error& e) {
            fail_at(n, e.what());
        }
        ++counts[t->name];
    }
    if (in.bad()) fail("reading the export failed");
    if (!header) fail("the export is empty");
    if (!ended) fail("the export ends before its trailer: it is incomplete");
    to.commit();
    return s;
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                                (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                                std::uint8_t(bytes[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
        if (rest == 2) v |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    const auto sextet = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
        if (pad == 1 && text[i + 2] == '=') return std::nullopt;
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            const int s = k >= 4 - pad ? 0 : sextet(text[i + k]);
            if (s < 0) return std::nullopt;
            v = (v << 6) | static_cast<std::uint32_t>(s);
        }
        out += static_cast<char>((v >> 16) & 0xff);
        if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
        if (pad < 1) out += static_cast<char>(v & 0xff);
    }
    return out;
}

}  // namespace orgscim::plugin::sql::transfer
