// Evaluation over the wire form. Case-insensitive eq compares folded code points in place;
// co/sw/ew and ordering fold into thread-local buffers that are reused, so steady-state
// evaluation does not allocate.
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/text.hpp>

namespace orgscim::scim {

namespace {

namespace json = boost::json;

template <class F>
bool any_of_values(const json::value* v, F&& f) {
    if (!v) return false;
    if (const auto* a = v->if_array()) {
        for (const auto& el : *a)
            if (f(el)) return true;
        return false;
    }
    return f(*v);
}

bool non_empty(const json::value& v) noexcept {
    switch (v.kind()) {
        case json::kind::null:
            return false;
        case json::kind::string:
            return !v.get_string().empty();
        case json::kind::array:
            return !v.get_array().empty();
        case json::kind::object:
            return !v.get_object().empty();
        default:
            return true;
    }
}

/// -1, 0, 1 or 2 (incomparable).
int compare_numbers(const json::value& a, const json::value& b) noexcept {
    if (a.is_int64() && b.is_int64()) {
        auto x = a.get_int64(), y = b.get_int64();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    double x = 0, y = 0;
    if (a.is_int64())
        x = static_cast<double>(a.get_int64());
    else if (a.is_uint64())
        x = static_cast<double>(a.get_uint64());
    else if (a.is_double())
        x = a.get_double();
    else
        return 2;
    if (b.is_int64())
        y = static_cast<double>(b.get_int64());
    else if (b.is_uint64())
        y = static_cast<double>(b.get_uint64());
    else if (b.is_double())
        y = b.get_double();
    else
        return 2;
    return x < y ? -1 : (x > y ? 1 : 0);
}

bool ordered(int cmp, compare_op op) noexcept {
    if (cmp == 2) return false;
    switch (op) {
        case compare_op::eq:
            return cmp == 0;
        case compare_op::ne:
            return cmp != 0;
        case compare_op::gt:
            return cmp > 0;
        case compare_op::ge:
            return cmp >= 0;
        case compare_op::lt:
            return cmp < 0;
        case compare_op::le:
            return cmp <= 0;
        default:
            return false;
    }
}

bool string_op(std::string_view a, std::string_view b, compare_op op) noexcept {
    switch (op) {
        case compare_op::eq:
            return a == b;
        case compare_op::ne:
            return a != b;
        case compare_op::co:
            return a.find(b) != std::string_view::npos;
        case compare_op::sw:
            return a.substr(0, b.size()) == b;
        case compare_op::ew:
            return a.size() >= b.size() && a.substr(a.size() - b.size()) == b;
        default: {
            int c = a.compare(b);
            return ordered(c < 0 ? -1 : (c > 0 ? 1 : 0), op);
        }
    }
}

bool compare_strings(std::string_view have, std::string_view want, compare_op op, bool exact) {
    if (exact) return string_op(have, want, op);
    if (op == compare_op::eq) return fold_equals(have, want);
    thread_local std::string fa, fb;
    fa.clear();
    fb.clear();
    fold_case_append(have, fa);
    fold_case_append(want, fb);
    return string_op(fa, fb, op);
}

/// One stored value against `want` with `op` (never pr or ne here).
bool scalar_matches(const json::value& have,
                    compare_op op,
                    const json::value& want,
                    const attribute& d) {
    switch (d.type) {
        case attr_type::boolean:
            return have.is_bool() && want.is_bool() && have.get_bool() == want.get_bool();
        case attr_type::integer:
        case attr_type::decimal:
            return ordered(compare_numbers(have, want), op);
        case attr_type::date_time: {
            if (!have.is_string() || !want.is_string()) return false;
            auto a = parse_date_time(have.get_string());
            auto b = parse_date_time(want.get_string());
            if (!a || !b) return false;
            return ordered(*a < *b ? -1 : (*a > *b ? 1 : 0), op);
        }
        case attr_type::complex:
            return false;
        default:
            if (!have.is_string() || !want.is_string()) return false;
            return compare_strings(have.get_string(), want.get_string(), op, d.case_exact);
    }
}

/// The terminal values of a comparison path, each visited with `fn` until one returns true.
template <class F>
bool visit_path(const attr_path& p, const json::object& obj, bool relative, F&& fn) {
    const json::object* root = &obj;
    if (!relative && p.in_extension) {
        const auto* ext = obj.if_contains(p.urn);
        if (!ext || !ext->is_object()) return false;
        root = &ext->get_object();
    }
    const json::value* v = root->if_contains(p.attr);
    if (!v) return false;
    if (p.sub.empty() || relative) return any_of_values(v, fn);
    if (const auto* o = v->if_object()) return any_of_values(o->if_contains(p.sub), fn);
    if (const auto* a = v->if_array()) {
        for (const auto& el : *a)
            if (const auto* o = el.if_object())
                if (any_of_values(o->if_contains(p.sub), fn)) return true;
    }
    return false;
}

bool eval_comparison(const comparison& c, const json::object& obj, bool relative) {
    const attribute* d = c.path.sub_def && !relative ? c.path.sub_def : c.path.attr_def;
    if (!d) return false;  // unbound: never matches rather than guess
    if (c.op == compare_op::pr) return visit_path(c.path, obj, relative, non_empty);
    if (c.value.is_null()) {
        // eq null: absent; ne null: present.
        bool present =
            visit_path(c.path, obj, relative, [](const json::value& x) { return !x.is_null(); });
        return c.op == compare_op::ne ? present : !present;
    }
    if (c.op == compare_op::ne)
        return !visit_path(c.path, obj, relative, [&](const json::value& x) {
            return scalar_matches(x, compare_op::eq, c.value, *d);
        });
    return visit_path(c.path, obj, relative,
                      [&](const json::value& x) { return scalar_matches(x, c.op, c.value, *d); });
}

bool eval(const filter_node& f, const json::object& obj, bool relative) {
    return std::visit(
        [&](const auto& n) -> bool {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, comparison>) {
                return eval_comparison(n, obj, relative);
            } else if constexpr (std::is_same_v<T, logical>) {
                if (n.op == logical::and_)
                    return eval(*n.lhs, obj, relative) && eval(*n.rhs, obj, relative);
                return eval(*n.lhs, obj, relative) || eval(*n.rhs, obj, relative);
            } else if constexpr (std::is_same_v<T, negation>) {
                return !eval(*n.inner, obj, relative);
            } else {
                const json::object* root = &obj;
                if (n.path.in_extension) {
                    const auto* ext = obj.if_contains(n.path.urn);
                    if (!ext || !ext->is_object()) return false;
                    root = &ext->get_object();
                }
                const json::value* v = root->if_contains(n.path.attr);
                if (!v) return false;
                if (const auto* o = v->if_object()) return eval(*n.inner, *o, true);
                if (const auto* a = v->if_array()) {
                    for (const auto& el : *a)
                        if (const auto* o = el.if_object())
                            if (eval(*n.inner, *o, true)) return true;
                }
                return false;
            }
        },
        f.v);
}

}  // namespace

bool matches(const filter_node& f, const json::object& resource) {
    return eval(f, resource, false);
}

}  // namespace orgscim::scim
