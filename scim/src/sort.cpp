#include <boost/json.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/sort.hpp>
#include <orgscim/scim/text.hpp>

namespace orgscim::scim {

namespace {

const boost::json::value* selected(const boost::json::object& wire, const attr_path& p) {
    const boost::json::object* base = &wire;
    if (p.in_extension) {
        auto it = wire.find(p.urn);
        if (it == wire.end() || !it->value().is_object()) return nullptr;
        base = &it->value().as_object();
    }
    auto it = base->find(p.attr);
    if (it == base->end()) return nullptr;
    const boost::json::value* v = &it->value();
    if (v->is_array()) {
        const auto& arr = v->as_array();
        if (arr.empty()) return nullptr;
        v = &arr.front();
        for (const auto& e : arr) {
            if (!e.is_object()) continue;
            auto pr = e.as_object().find("primary");
            if (pr != e.as_object().end() && pr->value() == true) {
                v = &e;
                break;
            }
        }
    }
    if (!p.sub.empty()) {
        if (!v->is_object()) return nullptr;
        auto s = v->as_object().find(p.sub);
        if (s == v->as_object().end()) return nullptr;
        v = &s->value();
    }
    return v->is_null() ? nullptr : v;
}

}  // namespace

sort_key sort_key_of(const boost::json::object& wire, const attr_path& p) {
    const boost::json::value* v = selected(wire, p);
    if (v == nullptr) return {};
    if (v->is_bool()) return v->as_bool();
    if (v->is_number()) return v->to_number<double>();
    if (v->is_string()) {
        const attribute* def = p.sub_def != nullptr ? p.sub_def : p.attr_def;
        std::string_view s = v->as_string();
        return def != nullptr && def->case_exact ? std::string(s) : fold_case(s);
    }
    return {};
}

bool sorts_before(const sort_key& a, const sort_key& b, bool descending) {
    const bool am = std::holds_alternative<std::monostate>(a);
    const bool bm = std::holds_alternative<std::monostate>(b);
    if (am != bm) return bm;
    if (am || a == b) return false;
    return descending ? b < a : a < b;
}

}  // namespace orgscim::scim
