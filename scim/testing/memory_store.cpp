#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <orgscim/scim/ids.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/sort.hpp>
#include <orgscim/scim/testing/memory_store.hpp>
#include <orgscim/scim/text.hpp>
#include <variant>

namespace orgscim::scim::testing {

namespace json = boost::json;

namespace {

std::int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Fixed width, so that string order is time order.
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

std::vector<const attribute*> unique_attrs(const resource_type& type) {
    std::vector<const attribute*> out;
    if (type.core == nullptr) return out;
    for (const auto& a : type.core->attributes) {
        if (a.uniqueness == uniqueness::server && !a.case_exact && a.type == attr_type::string &&
            !a.multi_valued)
            out.push_back(&a);
    }
    return out;
}

std::string_view string_attr(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_string()) return {};
    return it->value().as_string();
}

json::object wire_view(const resource_type& type, const resource_record& r) {
    json::object v = r.attrs;
    v["id"] = r.id;
    json::object meta;
    meta["resourceType"] = type.name;
    meta["created"] = format_time(r.meta.created_ms);
    meta["lastModified"] = format_time(r.meta.modified_ms);
    meta["version"] = "W/\"" + std::to_string(r.meta.version) + "\"";
    v["meta"] = std::move(meta);
    auto members = [](const std::vector<member_info>& ms) {
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

}  // namespace

memory_store::memory_store(std::function<std::int64_t()> clock) : clock_(std::move(clock)) {}

std::int64_t memory_store::now() const { return clock_ ? clock_() : system_now_ms(); }

resource_record memory_store::load(const tenant_data& t,
                                   const stored& s,
                                   const fetch_options& f) const {
    resource_record r = s.rec;
    auto display_of = [](const stored& m) -> std::string {
        std::string_view d = string_attr(m.rec.attrs, "displayName");
        if (d.empty() && m.type == "User") d = string_attr(m.rec.attrs, "userName");
        return std::string(d);
    };
    if (f.members && s.type != "User") {
        auto it = t.members.find(s.rec.id);
        if (it != t.members.end()) {
            for (const auto& mid : it->second) {
                auto m = t.by_id.find(mid);
                if (m == t.by_id.end()) continue;
                r.members.push_back({mid, m->second.type, display_of(m->second)});
            }
        }
    }
    if (f.groups && s.type == "User") {
        for (const auto& [gid, ms] : t.members) {
            if (!ms.contains(s.rec.id)) continue;
            auto g = t.by_id.find(gid);
            if (g == t.by_id.end()) continue;
            r.groups.push_back({gid, "direct", display_of(g->second)});
        }
    }
    return r;
}

store_result<void> memory_store::check_unique(const tenant_data& t,
                                              const resource_type& type,
                                              const json::object& attrs,
                                              std::string_view self_id) const {
    for (const attribute* a : unique_attrs(type)) {
        std::string_view mine = string_attr(attrs, a->name);
        if (mine.empty()) continue;
        std::string key = fold_case(mine);
        for (const auto& [id, s] : t.by_id) {
            if (s.type != type.id || id == self_id) continue;
            std::string_view other = string_attr(s.rec.attrs, a->name);
            if (!other.empty() && fold_case(other) == key) return store_errc::conflict;
        }
    }
    return {};
}

store_result<void> memory_store::apply_members(tenant_data& t,
                                               const std::string& group_id,
                                               const write_set& ws) const {
    for (const auto& m : ws.add_members) {
        auto it = t.by_id.find(m);
        if (it == t.by_id.end() || (it->second.type != "User" && it->second.type != "Group"))
            return store_errc::bad_reference;
    }
    auto& set = t.members[group_id];
    if (ws.clear_members) set.clear();
    for (const auto& m : ws.add_members) set.insert(m);
    for (const auto& m : ws.remove_members) set.erase(m);
    if (set.empty()) t.members.erase(group_id);
    return {};
}

store_result<resource_record> memory_store::get(std::string_view tenant,
                                                const resource_type& type,
                                                std::string_view id,
                                                const fetch_options& fetch) {
    std::lock_guard lock(mu_);
    auto t = tenants_.find(tenant);
    if (t == tenants_.end()) return store_errc::not_found;
    auto it = t->second.by_id.find(id);
    if (it == t->second.by_id.end() || it->second.type != type.id) return store_errc::not_found;
    return load(t->second, it->second, fetch);
}

store_result<list_result> memory_store::list(std::string_view tenant,
                                             const resource_type& type,
                                             const list_request& req) {
    std::lock_guard lock(mu_);
    list_result out;
    auto t = tenants_.find(tenant);
    if (t == tenants_.end()) return out;

    struct row {
        const stored* s;
        json::object view;
    };
    std::vector<row> rows;
    const fetch_options all{true, true};
    for (const auto& [id, s] : t->second.by_id) {
        if (s.type != type.id) continue;
        json::object view = wire_view(type, load(t->second, s, all));
        if (req.filter != nullptr && !matches(*req.filter, view)) continue;
        rows.push_back({&s, std::move(view)});
    }
    if (req.sort_by) {
        std::vector<std::pair<sort_key, row*>> keyed;
        keyed.reserve(rows.size());
        for (auto& r : rows) keyed.emplace_back(sort_key_of(r.view, *req.sort_by), &r);
        bool desc = req.descending;
        std::sort(keyed.begin(), keyed.end(), [desc](const auto& a, const auto& b) {
            if (sorts_before(a.first, b.first, desc)) return true;
            if (sorts_before(b.first, a.first, desc)) return false;
            return a.second->s->seq < b.second->s->seq;
        });
        std::vector<row> sorted;
        sorted.reserve(rows.size());
        for (auto& k : keyed) sorted.push_back(std::move(*k.second));
        rows = std::move(sorted);
    } else {
        std::sort(rows.begin(), rows.end(),
                  [](const row& a, const row& b) { return a.s->seq < b.s->seq; });
    }
    out.total = static_cast<std::int64_t>(rows.size());
    std::int64_t begin = std::clamp<std::int64_t>(req.offset, 0, out.total);
    std::int64_t end =
        std::clamp<std::int64_t>(begin + std::max<std::int64_t>(req.limit, 0), begin, out.total);
    for (std::int64_t i = begin; i < end; ++i) {
        out.items.push_back(load(t->second, *rows[static_cast<std::size_t>(i)].s, req.fetch));
    }
    return out;
}

store_result<resource_record> memory_store::create(std::string_view tenant,
                                                   const resource_type& type,
                                                   const write_set& initial) {
    std::lock_guard lock(mu_);
    auto& t = tenants_[std::string(tenant)];
    auto u = check_unique(t, type, initial.attrs, {});
    if (!u) return u.error();
    std::string id = new_id();
    stored s;
    s.type = type.id;
    s.seq = next_seq_++;
    s.rec.id = id;
    s.rec.attrs = initial.attrs;
    s.rec.meta.created_ms = s.rec.meta.modified_ms = now();
    s.rec.meta.version = 1;
    t.by_id.emplace(id, std::move(s));
    auto m = apply_members(t, id, initial);
    if (!m) {
        t.by_id.erase(id);
        return m.error();
    }
    return load(t, t.by_id.at(id), fetch_options{true, true});
}

store_result<resource_record> memory_store::update(std::string_view tenant,
                                                   const resource_type& type,
                                                   std::string_view id,
                                                   std::optional<std::uint64_t> if_match,
                                                   const fetch_options& fetch,
                                                   const mutate_fn& mutate) {
    std::lock_guard lock(mu_);
    auto t = tenants_.find(tenant);
    if (t == tenants_.end()) return store_errc::not_found;
    auto it = t->second.by_id.find(id);
    if (it == t->second.by_id.end() || it->second.type != type.id) return store_errc::not_found;
    stored& s = it->second;
    if (if_match && *if_match != s.rec.meta.version) return store_errc::version_mismatch;
    auto ws = mutate(load(t->second, s, fetch));
    if (!ws) return store_errc::aborted;
    auto u = check_unique(t->second, type, ws->attrs, id);
    if (!u) return u.error();
    auto m = apply_members(t->second, s.rec.id, *ws);  // validates before it changes anything
    if (!m) return m.error();
    s.rec.attrs = std::move(ws->attrs);
    s.rec.meta.version += 1;
    s.rec.meta.modified_ms = now();
    return load(t->second, s, fetch);
}

store_result<void> memory_store::remove(std::string_view tenant,
                                        const resource_type& type,
                                        std::string_view id,
                                        std::optional<std::uint64_t> if_match) {
    std::lock_guard lock(mu_);
    auto t = tenants_.find(tenant);
    if (t == tenants_.end()) return store_errc::not_found;
    auto it = t->second.by_id.find(id);
    if (it == t->second.by_id.end() || it->second.type != type.id) return store_errc::not_found;
    if (if_match && *if_match != it->second.rec.meta.version) return store_errc::version_mismatch;
    std::int64_t ts = now();
    t->second.members.erase(it->second.rec.id);
    // A group that loses a member has changed: its ETag must change too.
    for (auto g = t->second.members.begin(); g != t->second.members.end();) {
        if (g->second.erase(it->second.rec.id) > 0) {
            auto& grec = t->second.by_id.at(g->first).rec;
            grec.meta.version += 1;
            grec.meta.modified_ms = ts;
        }
        g = g->second.empty() ? t->second.members.erase(g) : std::next(g);
    }
    t->second.by_id.erase(it);
    return {};
}

}  // namespace orgscim::scim::testing
