#include <algorithm>
#include <boost/json.hpp>
#include <orgscim/plugin/invitations/import.hpp>

namespace orgscim::plugin::invitations {

namespace json = boost::json;

namespace {

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return std::string(s);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// One CSV record (RFC 4180: quoted fields, doubled quotes). Records never span lines here: a
// newline inside quotes is not something an email list needs.
std::vector<std::string> csv_fields(std::string_view line) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cur += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.push_back(trim(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(trim(cur));
    return out;
}

std::vector<std::string> split_groups(std::string_view s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ';' || c == '|') {
            if (auto t = trim(cur); !t.empty()) out.push_back(t);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (auto t = trim(cur); !t.empty()) out.push_back(t);
    return out;
}

template <class F>
void each_line(std::string_view text, F&& f) {
    std::size_t n = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        ++n;
        f(n, text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
}

}  // namespace

scim::result<std::vector<import_row>> parse_import(std::string_view text, std::string_view format) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a BOM from spreadsheet exports
    std::string fmt(format);
    if (fmt.empty()) {
        auto first = text.find_first_not_of(" \t\r\n");
        fmt = first != std::string_view::npos && text[first] == '{' ? "jsonl" : "csv";
    }
    std::vector<import_row> rows;
    if (fmt == "jsonl") {
        each_line(text, [&](std::size_t n, std::string_view line) {
            if (trim(line).empty()) return;
            import_row r;
            r.line = n;
            boost::system::error_code ec;
            auto v = json::parse(line, ec);
            if (ec || !v.is_object()) {
                r.error = "bad JSON";
                rows.push_back(std::move(r));
                return;
            }
            auto& o = v.as_object();
            auto str = [&](std::string_view k) {
                auto* x = o.if_contains(k);
                return x && x->is_string() ? std::string(x->as_string()) : std::string();
            };
            r.email = str("email");
            r.name = str("name");
            if (r.name.empty()) r.name = str("displayName");
            r.role = str("role");
            if (auto* g = o.if_contains("groups")) {
                if (g->is_string()) r.groups = split_groups(g->as_string());
                if (g->is_array())
                    for (const auto& e : g->as_array())
                        if (e.is_string()) r.groups.emplace_back(e.as_string());
            }
            if (r.email.empty()) r.error = "missing email";
            rows.push_back(std::move(r));
        });
        return rows;
    }
    if (fmt != "csv")
        return scim::error::bad_request(scim::scim_type::invalid_syntax,
                                        "format must be csv or jsonl");
    int email_col = -1, name_col = -1, role_col = -1, groups_col = -1;
    bool header = true;
    bool bad_header = false;
    each_line(text, [&](std::size_t n, std::string_view line) {
        if (bad_header || trim(line).empty()) return;
        auto f = csv_fields(line);
        if (header) {
            header = false;
            for (std::size_t i = 0; i < f.size(); ++i) {
                auto h = lower(f[i]);
                int idx = static_cast<int>(i);
                if (h == "email" || h == "e-mail" || h == "mail") email_col = idx;
                if (h == "name" || h == "displayname" || h == "display name") name_col = idx;
                if (h == "role" || h == "roles") role_col = idx;
                if (h == "groups" || h == "group") groups_col = idx;
            }
            bad_header = email_col < 0;
            return;
        }
        auto at = [&](int c) {
            return c >= 0 && static_cast<std::size_t>(c) < f.size() ? f[c] : std::string();
        };
        import_row r;
        r.line = n;
        r.email = at(email_col);
        r.name = at(name_col);
        r.role = at(role_col);
        r.groups = split_groups(at(groups_col));
        if (r.email.empty()) r.error = "missing email";
        rows.push_back(std::move(r));
    });
    if (bad_header || header)
        return scim::error::bad_request(scim::scim_type::invalid_syntax,
                                        "the CSV needs a header row with an email column");
    return rows;
}

op_result<std::vector<import_result_line>> run_import(
    service& svc,
    const import_options& opt,
    const std::vector<import_row>& rows,
    const std::function<void(std::size_t, std::size_t)>& progress) {
    std::vector<import_result_line> out;
    out.reserve(rows.size());
    std::size_t batch = std::max<std::size_t>(1, opt.batch);
    for (std::size_t start = 0; start < rows.size(); start += batch) {
        std::size_t end = std::min(rows.size(), start + batch);
        create_request req;
        req.org_id = opt.org_id;
        req.kind = "member";
        req.actor = opt.actor;
        req.roles = opt.role.empty() ? std::vector<std::string>{} : std::vector{opt.role};
        req.groups = opt.groups;
        req.dry_run = opt.dry_run;
        req.send_email = opt.send_email;
        req.skip_existing = true;
        std::vector<invitee> people;
        std::vector<std::size_t> index;
        for (std::size_t i = start; i < end; ++i) {
            const auto& r = rows[i];
            import_result_line l{r.line, r.email, {}, {}, {}};
            if (!r.error.empty()) {
                l.outcome = "error";
                l.code = r.error == "missing email" ? "invalidEmail" : "invalidSyntax";
                out.push_back(std::move(l));
                continue;
            }
            invitee who;
            who.email = r.email;
            who.display_name = r.name;
            if (!r.role.empty()) who.roles = {r.role};
            if (!r.groups.empty()) {
                who.groups = opt.groups;
                who.groups.insert(who.groups.end(), r.groups.begin(), r.groups.end());
            }
            index.push_back(out.size());
            out.push_back(std::move(l));
            people.push_back(std::move(who));
        }
        if (!people.empty()) {
            auto res = svc.create(req, people);
            if (!res) return res.error();
            for (std::size_t k = 0; k < res->size(); ++k) {
                auto& l = out[index[k]];
                const auto& r = (*res)[k];
                if (r.invitation && !r.error) {
                    l.outcome = opt.dry_run ? "valid" : "invited";
                    l.email = r.invitation->email;
                    if (!opt.dry_run) l.id = r.invitation->id;
                } else {
                    l.outcome = r.skipped ? "skipped" : "error";
                    l.code = std::string(to_string(*r.error));
                }
            }
        }
        if (progress) progress(end, rows.size());
    }
    return out;
}

}  // namespace orgscim::plugin::invitations
