// The stored form is canonical: every writer (POST, PUT, PATCH) goes through here, so the stores,
// the filter evaluator and the projection can look attributes up by their canonical names.
#include <boost/json.hpp>
#include <orgscim/scim/path.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/text.hpp>
#include <orgscim/scim/validate.hpp>

namespace orgscim::scim {

namespace json = boost::json;

namespace {

error invalid(std::string detail) {
    return error::bad_request(scim_type::invalid_value, std::move(detail));
}

std::string quoted(std::string_view s) {
    std::string out = "\"";
    out.append(s.substr(0, 100));
    if (s.size() > 100) out += "...";
    out += '"';
    return out;
}

std::string_view type_name(attr_type t) {
    switch (t) {
        case attr_type::string:
            return "a string";
        case attr_type::boolean:
            return "a boolean";
        case attr_type::decimal:
            return "a number";
        case attr_type::integer:
            return "an integer";
        case attr_type::date_time:
            return "an RFC 3339 dateTime string";
        case attr_type::binary:
            return "a base64 string";
        case attr_type::reference:
            return "a reference string";
        case attr_type::complex:
            return "an object";
    }
    return "a value";
}

bool is_base64(std::string_view s) noexcept {
    std::size_t pad = 0;
    for (char c : s) {
        if (c == '=') {
            ++pad;
            continue;
        }
        if (pad) return false;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '-' || c == '_' || c == '\r' || c == '\n'))
            return false;
    }
    return pad <= 2;
}

/// Merges `src` (an object of sub-attributes) into `dst`: the same attribute given twice, once
/// as "name" and once as "name.givenName", ends up as one object.
void merge_into(json::value& dst, json::value&& src) {
    if (dst.is_object() && src.is_object()) {
        for (auto& kv : src.get_object()) dst.get_object()[kv.key()] = std::move(kv.value());
        return;
    }
    dst = std::move(src);
}

struct placer {
    json::object& out;
    const resource_type& type;
    const compat_options& compat;
    validation_mode mode;

    /// Puts the value of a bound path into `out`, normalized.
    result<void> place(const attr_path& p, json::value&& v, std::string_view shown) {
        const attribute& def = *p.attr_def;
        if (def.mutability == mutability::read_only || def.mutability == mutability::write_only)
            return {};  // ignored (RFC 7644 §3.3); passwords are never stored
        json::object* root = &out;
        if (p.in_extension) {
            auto& ext = out[p.urn];
            if (!ext.is_object()) ext = json::object();
            root = &ext.get_object();
        }
        if (p.sub_def) {
            if (p.sub_def->mutability == mutability::read_only ||
                p.sub_def->mutability == mutability::write_only)
                return {};
            if (def.multi_valued)
                return invalid("use " + quoted(def.name) + " with a list of values, not " +
                               quoted(shown));
            if (v.is_null()) return {};
            if (auto r = normalize_value(v, *p.sub_def, compat, shown); !r) return r;
            auto& parent = (*root)[def.name];
            if (!parent.is_object()) parent = json::object();
            parent.get_object()[p.sub_def->name] = std::move(v);
            return {};
        }
        if (v.is_null()) return {};  // null means unassigned (RFC 7643 §2.5)
        if (auto r = normalize_value(v, def, compat, shown); !r) return r;
        if (auto* existing = root->if_contains(def.name)) {
            if (def.type != attr_type::complex || def.multi_valued)
                return invalid("attribute " + quoted(def.name) + " is given more than once");
            merge_into(*existing, std::move(v));
            return {};
        }
        (*root)[def.name] = std::move(v);
        return {};
    }

    result<void> key(std::string_view k, json::value&& v) {
        if (iequals(k, "schemas") || iequals(k, "id") || iequals(k, "meta")) return {};
        // A whole extension object: {"urn:...:enterprise:2.0:User": {...}}
        if (const schema* ext = type.extension(k)) {
            if (v.is_null()) return {};
            if (!v.is_object())
                return invalid("extension " + quoted(ext->id) + " must be an object");
            for (auto& kv : v.get_object()) {
                const attribute* def = ext->find(kv.key());
                if (!def)
                    return invalid("unknown attribute " + quoted(kv.key()) + " in extension " +
                                   quoted(ext->id));
                attr_path p;
                p.urn = ext->id;
                p.attr = def->name;
                p.attr_def = def;
                p.in_extension = true;
                if (auto r = place(p, std::move(kv.value()), kv.key()); !r) return r;
            }
            auto* o = out.if_contains(ext->id);
            if (o && o->is_object() && o->get_object().empty()) out.erase(ext->id);
            return {};
        }
        auto p = parse_attr_path(k);
        if (!p) return invalid("unknown attribute " + quoted(k) + " for " + type.name);
        if (auto r = bind(*p, type, scim_type::invalid_value); !r) return r.error();
        return place(*p, std::move(v), k);
    }
};

}  // namespace

result<void> normalize_single(json::value& v,
                              const attribute& def,
                              const compat_options& compat,
                              std::string_view shown) {
    switch (def.type) {
        case attr_type::string:
        case attr_type::reference:
            if (v.is_string()) return {};
            break;
        case attr_type::binary:
            if (v.is_string() && is_base64(v.get_string())) return {};
            break;
        case attr_type::boolean:
            if (v.is_bool()) return {};
            if (compat.string_booleans && v.is_string()) {
                if (iequals(v.get_string(), "true")) {
                    v = true;
                    return {};
                }
                if (iequals(v.get_string(), "false")) {
                    v = false;
                    return {};
                }
            }
            break;
        case attr_type::integer:
            if (v.is_int64()) return {};
            if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
                v = static_cast<std::int64_t>(v.get_uint64());
                return {};
            }
            break;
        case attr_type::decimal:
            if (v.is_number()) return {};
            break;
        case attr_type::date_time:
            if (v.is_string() && parse_date_time(v.get_string())) return {};
            break;
        case attr_type::complex: {
            if (v.is_string() && compat.manager_as_string && iequals(def.name, "manager") &&
                def.sub("value")) {
                json::object o;
                o["value"] = std::move(v.get_string());
                v = std::move(o);
                return {};
            }
            if (!v.is_object()) break;
            json::object norm;
            for (auto& kv : v.get_object()) {
                const attribute* sd = def.sub(kv.key());
                if (!sd)
                    return invalid("unknown sub-attribute " + quoted(kv.key()) + " of " +
                                   quoted(shown));
                if (sd->mutability == mutability::read_only || kv.value().is_null()) continue;
                std::string sub_shown = std::string(shown) + "." + sd->name;
                if (auto r = normalize_single(kv.value(), *sd, compat, sub_shown); !r) return r;
                if (norm.contains(sd->name))
                    return invalid("sub-attribute " + quoted(sub_shown) + " is given twice");
                norm[sd->name] = std::move(kv.value());
            }
            v = std::move(norm);
            return {};
        }
    }
    return invalid(quoted(shown) + " must be " + std::string(type_name(def.type)));
}

result<void> normalize_value(json::value& v,
                             const attribute& def,
                             const compat_options& compat,
                             std::string_view shown) {
    if (!def.multi_valued) {
        if (v.is_array()) return invalid(quoted(shown) + " is single-valued, not a list");
        return normalize_single(v, def, compat, shown);
    }
    if (!v.is_array()) {
        json::array a;
        a.push_back(std::move(v));
        v = std::move(a);
    }
    auto& arr = v.get_array();
    std::size_t primaries = 0;
    for (auto it = arr.begin(); it != arr.end();) {
        if (it->is_null()) {
            it = arr.erase(it);
            continue;
        }
        if (auto r = normalize_single(*it, def, compat, shown); !r) return r;
        if (auto* o = it->if_object()) {
            if (o->empty()) {
                it = arr.erase(it);
                continue;
            }
            if (auto* p = o->if_contains("primary"); p && p->is_bool() && p->get_bool())
                ++primaries;
        }
        ++it;
    }
    if (primaries > 1) return invalid("at most one value of " + quoted(shown) + " may be primary");
    return {};
}

result<void> validate_resource(json::object& attrs,
                               const resource_type& type,
                               const compat_options& compat,
                               validation_mode mode) {
    json::object out(attrs.storage());
    out.reserve(attrs.size());
    placer pl{out, type, compat, mode};
    for (auto& kv : attrs)
        if (auto r = pl.key(kv.key(), std::move(kv.value())); !r) return r;
    // Empty multi-valued lists and empty complex values are the same as unassigned.
    for (auto it = out.begin(); it != out.end();) {
        const auto& val = it->value();
        if ((val.is_array() && val.get_array().empty()) ||
            (val.is_object() && val.get_object().empty()))
            it = out.erase(it);
        else
            ++it;
    }
    if (type.core) {
        for (const auto& a : type.core->attributes) {
            if (!a.required) continue;
            const auto* v = out.if_contains(a.name);
            if (!v || v->is_null() || (v->is_string() && v->get_string().empty()))
                return invalid("attribute " + quoted(a.name) + " is required");
        }
    }
    attrs = std::move(out);
    return {};
}

}  // namespace orgscim::scim
