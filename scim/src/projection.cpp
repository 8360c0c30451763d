// attributes / excludedAttributes (RFC 7644 §3.4.2.5, §3.9) and the `returned` rules
// (RFC 7643 §2.4): never is never sent, always is always sent, request only when asked for.

#include <boost/json.hpp>
#include <orgscim/scim/schema.hpp>

#include "service_impl.hpp"

namespace orgscim::scim::detail {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

void parse_list(std::string_view text, const resource_type& type, std::vector<attr_path>& out) {
    while (!text.empty()) {
        auto comma = text.find(',');
        auto item = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty()) continue;
        auto p = parse_attr_path(item);
        if (!p) continue;
        if (!bind(*p, type, scim_type::invalid_path)) continue;
        out.push_back(std::move(*p));
    }
}

// Does `p` name attribute `attr` of schema `urn` (empty urn: the core schema)?
bool names(const attr_path& p, std::string_view urn, std::string_view attr) {
    if (!iequals(p.attr, attr)) return false;
    if (urn.empty()) return !p.in_extension;
    return p.in_extension && iequals(p.urn, urn);
}

bool listed(const std::vector<attr_path>& list, std::string_view urn, std::string_view attr) {
    for (const auto& p : list) {
        if (names(p, urn, attr)) return true;
    }
    return false;
}

// The sub-attributes `list` names below attr; empty when the whole attribute is named.
std::vector<std::string_view> subs_named(const std::vector<attr_path>& list,
                                         std::string_view urn,
                                         std::string_view attr,
                                         bool& whole) {
    std::vector<std::string_view> subs;
    whole = false;
    for (const auto& p : list) {
        if (!names(p, urn, attr)) continue;
        if (p.sub.empty()) {
            whole = true;
        } else {
            subs.push_back(p.sub);
        }
    }
    return subs;
}

void keep_subs(boost::json::value& v, const std::vector<std::string_view>& subs, bool keep) {
    auto filter_obj = [&](boost::json::object& o) {
        for (auto it = o.begin(); it != o.end();) {
            bool named = false;
            for (auto s : subs) named = named || iequals(s, it->key());
            if (named != keep) {
                it = o.erase(it);
            } else {
                ++it;
            }
        }
    };
    if (v.is_object()) filter_obj(v.as_object());
    if (v.is_array()) {
        for (auto& e : v.as_array()) {
            if (e.is_object()) filter_obj(e.as_object());
        }
    }
}

const attribute* descriptor(const schema* s, std::string_view key) {
    return s ? s->find(key) : nullptr;
}

// Applies the projection to one schema's attributes (the core object or an extension object).
void project_level(boost::json::object& obj,
                   const schema* s,
                   std::string_view urn,
                   const resource_type& type,
                   const projection& p) {
    for (auto it = obj.begin(); it != obj.end();) {
        std::string_view key = it->key();
        if (urn.empty() && (key == "schemas" || key == "id")) {
            ++it;
            continue;
        }
        if (urn.empty() && type.extension(key)) {
            auto& ext = it->value();
            if (ext.is_object()) {
                project_level(ext.as_object(), type.extension(key), type.extension(key)->id, type,
                              p);
            }
            if (ext.is_object() && ext.as_object().empty()) {
                it = obj.erase(it);
            } else {
                ++it;
            }
            continue;
        }
        const attribute* d = descriptor(s, key);
        returned ret = d ? d->returned : returned::by_default;
        bool keep = ret != returned::never;
        if (keep && ret != returned::always) {
            bool whole = false;
            if (!p.attributes.empty()) {
                auto subs = subs_named(p.attributes, urn, key, whole);
                keep = whole || !subs.empty();
                if (keep && !whole) keep_subs(it->value(), subs, true);
            } else if (ret == returned::request) {
                keep = false;
            }
            if (keep && !p.excluded.empty()) {
                auto subs = subs_named(p.excluded, urn, key, whole);
                if (whole) keep = false;
                if (keep && !subs.empty()) keep_subs(it->value(), subs, false);
            }
        }
        if (keep) {
            ++it;
        } else {
            it = obj.erase(it);
        }
    }
}

}  // namespace

result<projection> parse_projection(std::string_view attributes,
                                    std::string_view excluded,
                                    const resource_type& type) {
    projection p;
    parse_list(attributes, type, p.attributes);
    parse_list(excluded, type, p.excluded);
    return p;
}

fetch_options fetch_for(const projection& p, const resource_type&) {
    auto wanted = [&](std::string_view attr) {
        if (listed(p.excluded, "", attr)) return false;
        return p.attributes.empty() || listed(p.attributes, "", attr);
    };
    fetch_options f;
    f.members = wanted("members");
    f.groups = wanted("groups");
    return f;
}

void apply_projection(boost::json::object& wire, const resource_type& type, const projection& p) {
    project_level(wire, type.core, "", type, p);
    // schemas lists only the extensions still present.
    if (auto* s = wire.if_contains("schemas"); s && s->is_array()) {
        auto& arr = s->as_array();
        for (auto it = arr.begin(); it != arr.end();) {
            std::string_view urn = it->is_string() ? std::string_view(it->as_string()) : "";
            if (type.extension(urn) && !wire.contains(urn)) {
                it = arr.erase(it);
            } else {
                ++it;
            }
        }
    }
}

}  // namespace orgscim::scim::detail
