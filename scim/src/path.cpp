#include <orgscim/scim/path.hpp>
#include <orgscim/scim/schema.hpp>

namespace orgscim::scim {

namespace {

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_name_char(char c) noexcept {
    return is_alpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/// ATTRNAME = ALPHA *(nameChar), plus "$ref" (RFC 7643 §2.1, §2.3.7).
bool valid_name(std::string_view n) noexcept {
    if (n.empty()) return false;
    if (n == "$ref") return true;
    if (!is_alpha(n.front())) return false;
    for (char c : n)
        if (!is_name_char(c)) return false;
    return true;
}

bool valid_urn(std::string_view u) noexcept {
    if (u.size() < 5) return false;
    for (char c : u)
        if (static_cast<unsigned char>(c) <= 0x20 || c == '"' || c == '[' || c == ']' ||
            static_cast<unsigned char>(c) >= 0x7F)
            return false;
    return true;
}

std::string shown(std::string_view s) {
    constexpr std::size_t max = 80;
    std::string out = "\"";
    out.append(s.substr(0, max));
    if (s.size() > max) out += "...";
    out += '"';
    return out;
}

}  // namespace

std::string attr_path::to_string() const {
    std::string out;
    out.reserve(urn.size() + attr.size() + sub.size() + 2);
    if (!urn.empty()) {
        out += urn;
        out += ':';
    }
    out += attr;
    if (!sub.empty()) {
        out += '.';
        out += sub;
    }
    return out;
}

result<attr_path> parse_attr_path(std::string_view text) {
    attr_path p;
    std::string_view rest = text;
    if (text.size() > 4 && iequals(text.substr(0, 4), "urn:")) {
        auto colon = text.rfind(':');
        p.urn = std::string(text.substr(0, colon));
        rest = text.substr(colon + 1);
        if (!valid_urn(p.urn))
            return error::bad_request(scim_type::invalid_path,
                                      "invalid schema URN in attribute path " + shown(text));
    }
    auto dot = rest.find('.');
    std::string_view a = rest.substr(0, dot);
    std::string_view s = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
    if (!valid_name(a) || (dot != std::string_view::npos && !valid_name(s)))
        return error::bad_request(scim_type::invalid_path, "invalid attribute path " + shown(text));
    p.attr = std::string(a);
    p.sub = std::string(s);
    return p;
}

result<void> bind(attr_path& p, const resource_type& type, scim_type on_unknown) {
    const attribute* def = nullptr;
    const schema* ext = nullptr;
    if (p.urn.empty() || (type.core && iequals(p.urn, type.core->id))) {
        def = find_common_attribute(p.attr);
        if (!def && type.core) def = type.core->find(p.attr);
        if (def) p.urn.clear();  // core attributes are stored and shown unqualified
    } else if ((ext = type.extension(p.urn)) != nullptr) {
        def = ext->find(p.attr);
    } else {
        return error::bad_request(on_unknown,
                                  "unknown schema " + shown(p.urn) + " for " + type.name);
    }
    if (!def)
        return error::bad_request(
            on_unknown, "unknown attribute " + shown(p.to_string()) + " for " + type.name);
    p.attr = def->name;
    p.attr_def = def;
    p.in_extension = ext != nullptr;
    if (ext) p.urn = ext->id;
    p.sub_def = nullptr;
    if (!p.sub.empty()) {
        const attribute* sd = def->type == attr_type::complex ? def->sub(p.sub) : nullptr;
        if (!sd)
            return error::bad_request(
                on_unknown, "unknown sub-attribute " + shown(p.to_string()) + " for " + type.name);
        p.sub = sd->name;
        p.sub_def = sd;
    }
    return {};
}

}  // namespace orgscim::scim
