#include "sql/records.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/sort.hpp>
#include <orgscim/scim/text.hpp>
#include <variant>

namespace orgscim::plugin::sql {

namespace json = boost::json;

void set_membership(scim::resource_record& r, std::string_view kind, std::string_view home_org) {
    json::object ext;
    ext["kind"] = kind;
    ext["homeOrg"] = home_org;
    r.attrs[membership_extension_urn] = std::move(ext);
}

bool parse_relations(std::string_view json_text, scim::resource_record& r) {
    r.members.clear();
    r.groups.clear();
    boost::system::error_code ec;
    json::value v = json::parse(json_text, ec);
    const json::array* all = ec ? nullptr : v.if_array();
    if (all == nullptr) return false;
    for (const auto& e : *all) {
        const json::array* a = e.if_array();
        const bool strings =
            a != nullptr &&
            std::all_of(a->begin(), a->end(), [](const json::value& f) { return f.is_string(); });
        if (strings && a->size() == 2) {
            r.groups.push_back(
                {std::string((*a)[0].get_string()), "direct", std::string((*a)[1].get_string())});
        } else if (strings && a->size() == 3) {
            r.members.push_back({std::string((*a)[0].get_string()),
                                 std::string((*a)[1].get_string()),
                                 std::string((*a)[2].get_string())});
        } else {
            r.members.clear();
            r.groups.clear();
            return false;
        }
    }
    return true;
}

bool parse_membership(std::string_view json_text, scim::resource_record& r) {
    boost::system::error_code ec;
    json::value v = json::parse(json_text, ec);
    const json::array* a = ec ? nullptr : v.if_array();
    if (a == nullptr || a->size() != 2 || !(*a)[0].is_string() || !(*a)[1].is_string()) {
        return false;
    }
    set_membership(r, (*a)[0].get_string(), (*a)[1].get_string());
    return true;
}

std::int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string format_time(std::int64_t ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return buf;
}

namespace {

std::string_view string_attr(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_string()) return {};
    return it->value().as_string();
}

std::optional<std::string> folded(std::string_view s) {
    if (s.empty()) return std::nullopt;
    return scim::fold_case(s);
}

}  // namespace

index_columns compute_columns(const scim::resource_type& type, const json::object& attrs) {
    index_columns c;
    if (type.core != nullptr) {
        for (const auto& a : type.core->attributes) {
            if (a.uniqueness == scim::uniqueness::server && !a.case_exact &&
                a.type == scim::attr_type::string && !a.multi_valued) {
                c.ukey = folded(string_attr(attrs, a.name));
                break;  // the core schemas have one such attribute per type
            }
        }
    }
    std::string_view user_name = string_attr(attrs, "userName");
    std::string_view display = string_attr(attrs, "displayName");
    c.username_f = folded(user_name);
    c.display_f = folded(display);
    std::string_view ext = string_attr(attrs, "externalId");
    if (!ext.empty()) c.external_id = std::string(ext);
    c.label = std::string(display.empty() ? user_name : display);
    auto emails = attrs.find("emails");
    if (emails != attrs.end() && emails->value().is_array()) {
        for (const auto& e : emails->value().as_array()) {
            if (!e.is_object()) continue;
            std::string_view v = string_attr(e.as_object(), "value");
            if (v.empty()) continue;
            std::string f = scim::fold_case(v);
            if (std::find(c.emails_f.begin(), c.emails_f.end(), f) == c.emails_f.end())
                c.emails_f.push_back(std::move(f));
        }
    }
    return c;
}

json::object wire_view(const scim::resource_type& type, const scim::resource_record& r) {
    json::object v = r.attrs;
    v["id"] = r.id;
    json::object meta;
    meta["resourceType"] = type.name;
    meta["created"] = format_time(r.meta.created_ms);
    meta["lastModified"] = format_time(r.meta.modified_ms);
    meta["version"] = "W/\"" + std::to_string(r.meta.version) + "\"";
    v["meta"] = std::move(meta);
    auto members = [](const std::vector<scim::member_info>& ms) {
        json::array a;
        for (const auto& m : ms) {
            a.push_back(json::object{{"value", m.value}, {"type", m.type}, {"display", m.display}});
        }
        return a;
    };
    if (!r.members.empty()) v["members"] = members(r.members);
    if (!r.groups.empty()) v["groups"] = members(r.groups);
    return v;
}

bool mentions(const scim::filter_node& f, std::string_view attr) {
    return std::visit(
        [&](const auto& n) -> bool {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, scim::comparison>) {
                return scim::iequals(n.path.attr, attr);
            } else if constexpr (std::is_same_v<T, scim::logical>) {
                return (n.lhs && mentions(*n.lhs, attr)) || (n.rhs && mentions(*n.rhs, attr));
            } else if constexpr (std::is_same_v<T, scim::negation>) {
                return n.inner && mentions(*n.inner, attr);
            } else {
                return scim::iequals(n.path.attr, attr);
            }
        },
        f.v);
}

void sort_by_path(std::vector<scim::resource_record>& records,
                  const scim::resource_type& type,
                  const scim::attr_path& path,
                  bool descending) {
    std::vector<std::pair<scim::sort_key, std::size_t>> keyed;
    keyed.reserve(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        keyed.emplace_back(scim::sort_key_of(wire_view(type, records[i]), path), i);
    }
    std::sort(keyed.begin(), keyed.end(), [descending](const auto& a, const auto& b) {
        if (scim::sorts_before(a.first, b.first, descending)) return true;
        if (scim::sorts_before(b.first, a.first, descending)) return false;
        return a.second < b.second;
    });
    std::vector<scim::resource_record> out;
    out.reserve(records.size());
    for (auto& k : keyed) out.push_back(std::move(records[k.second]));
    records = std::move(out);
}

scim::list_result page_in_memory(std::vector<scim::resource_record> kept,
                                 const scim::resource_type& type,
                                 const scim::list_request& req) {
    if (req.sort_by) sort_by_path(kept, type, *req.sort_by, req.descending);
    scim::list_result out;
    out.total = static_cast<std::int64_t>(kept.size());
    const std::int64_t begin = std::min(std::max<std::int64_t>(req.offset, 0), out.total);
    const std::int64_t end = std::min(out.total, begin + std::max<std::int64_t>(req.limit, 0));
    out.items.assign(std::make_move_iterator(kept.begin() + begin),
                     std::make_move_iterator(kept.begin() + end));
    return out;
}

void log_driver_error(std::string_view backend, std::string_view what, std::string_view message) {
    std::string line = "orgscim storage ";
    line.append(backend).append(": ").append(what).append(": ");
    for (char ch : message) line.push_back(ch == '\n' || ch == '\r' ? ' ' : ch);
    line.push_back('\n');
    std::cerr << line << std::flush;
}

}  // namespace orgscim::plugin::sql
