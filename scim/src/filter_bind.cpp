// Gives parsed filters their meaning: canonical names, descriptors, and the operator/value checks
// that RFC 7644 §3.4.2.2 implies for each attribute type.
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/text.hpp>

namespace orgscim::scim {

namespace {

std::string_view op_name(compare_op op) noexcept {
    switch (op) {
        case compare_op::eq:
            return "eq";
        case compare_op::ne:
            return "ne";
        case compare_op::co:
            return "co";
        case compare_op::sw:
            return "sw";
        case compare_op::ew:
            return "ew";
        case compare_op::gt:
            return "gt";
        case compare_op::ge:
            return "ge";
        case compare_op::lt:
            return "lt";
        case compare_op::le:
            return "le";
        case compare_op::pr:
            return "pr";
    }
    return "";
}

error bad(std::string detail) {
    return error::bad_request(scim_type::invalid_filter, "invalid filter: " + std::move(detail));
}

bool substring(compare_op op) noexcept {
    return op == compare_op::co || op == compare_op::sw || op == compare_op::ew;
}

/// Checks that `c.value` and `c.op` fit the attribute `d`; `shown()` names it, and is only
/// called on error so that binding a valid filter builds no strings.
template <class Shown>
result<void> check_value(comparison& c, const attribute& d, const Shown& shown) {
    // Sensitive attributes are not filterable at all: a filter on password would be an oracle.
    // 400 invalidFilter rather than 403 sensitive, because the filter itself is what is invalid.
    if (d.returned == returned::never || d.mutability == mutability::write_only)
        return bad("attribute \"" + shown() + "\" cannot be used in a filter");
    if (c.op == compare_op::pr) return {};
    const auto& v = c.value;
    auto what = [&] {
        // Appended, not `"\"" + shown()`: GCC 12 at -O3 reports a false -Wrestrict on that.
        std::string s = "\"";
        s.append(shown()).append("\" ").append(op_name(c.op));
        return s;
    };
    if (v.is_null()) {
        if (c.op == compare_op::eq || c.op == compare_op::ne) return {};
        return bad(what() + " null is not allowed");
    }
    switch (d.type) {
        case attr_type::complex:
            return bad("complex attribute \"" + shown() + "\" only supports \"pr\"");
        case attr_type::boolean:
            if (!v.is_bool()) return bad(what() + " needs true or false");
            if (c.op != compare_op::eq && c.op != compare_op::ne)
                return bad("boolean attribute \"" + shown() + "\" supports only eq, ne and pr");
            return {};
        case attr_type::integer:
        case attr_type::decimal:
            if (!v.is_number()) return bad(what() + " needs a number");
            if (substring(c.op))
                return bad("numeric attribute \"" + shown() + "\" has no " +
                           std::string(op_name(c.op)));
            if (d.type == attr_type::integer && v.is_double())
                return bad(what() + " needs an integer");
            return {};
        case attr_type::date_time:
            if (!v.is_string() || !parse_date_time(v.get_string()))
                return bad(what() + " needs an RFC 3339 date-time string");
            if (substring(c.op))
                return bad("dateTime attribute \"" + shown() + "\" has no " +
                           std::string(op_name(c.op)));
            return {};
        case attr_type::binary:
            if (!v.is_string()) return bad(what() + " needs a string");
            if (c.op != compare_op::eq && c.op != compare_op::ne)
                return bad("binary attribute \"" + shown() + "\" supports only eq, ne and pr");
            return {};
        case attr_type::string:
        case attr_type::reference:
            if (!v.is_string()) return bad(what() + " needs a string");
            return {};
    }
    return {};
}

result<void> bind_comparison(comparison& c, const resource_type& type) {
    if (auto r = bind(c.path, type, scim_type::invalid_filter); !r) {
        auto e = r.error();
        e.detail = "invalid filter: " + e.detail;
        return e;
    }
    const attribute* d = c.path.sub_def ? c.path.sub_def : c.path.attr_def;
    // `emails co "@x"` compares the `value` sub-attribute (RFC 7644 §3.4.2.2 treats a complex
    // multi-valued attribute by its value).
    if (d->type == attr_type::complex && c.op != compare_op::pr && c.path.sub.empty()) {
        if (const attribute* v = d->sub("value")) {
            c.path.sub = v->name;
            c.path.sub_def = v;
            d = v;
        }
    }
    return check_value(c, *d, [&] { return c.path.to_string(); });
}

result<void> bind_inner(filter_node& f, const attr_path& outer, const resource_type& type);

result<void> bind_node(filter_node& f, const resource_type& type) {
    return std::visit(
        [&](auto& n) -> result<void> {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, comparison>) {
                return bind_comparison(n, type);
            } else if constexpr (std::is_same_v<T, logical>) {
                if (auto r = bind_node(*n.lhs, type); !r) return r;
                return bind_node(*n.rhs, type);
            } else if constexpr (std::is_same_v<T, negation>) {
                return bind_node(*n.inner, type);
            } else {
                if (auto r = bind(n.path, type, scim_type::invalid_filter); !r) {
                    auto e = r.error();
                    e.detail = "invalid filter: " + e.detail;
                    return e;
                }
                if (n.path.attr_def->type != attr_type::complex || !n.path.sub.empty())
                    return bad("\"" + n.path.to_string() +
                               "\" is not a complex attribute and cannot take a value filter");
                return bind_inner(*n.inner, n.path, type);
            }
        },
        f.v);
}

/// Inside attr[...] a path names a sub-attribute of `outer`: bound with attr_def = that
/// sub-attribute's descriptor.
result<void> bind_inner(filter_node& f, const attr_path& outer, const resource_type& type) {
    return std::visit(
        [&](auto& n) -> result<void> {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, comparison>) {
                auto& p = n.path;
                const attribute* sd = nullptr;
                if (p.urn.empty() && p.sub.empty()) sd = outer.attr_def->sub(p.attr);
                if (!sd)
                    return bad("unknown sub-attribute \"" + p.to_string() + "\" of \"" +
                               outer.to_string() + "\"");
                p.attr = sd->name;
                p.attr_def = sd;
                p.sub_def = nullptr;
                p.in_extension = false;
                return check_value(n, *sd, [&] { return outer.to_string() + "." + p.attr; });
            } else if constexpr (std::is_same_v<T, logical>) {
                if (auto r = bind_inner(*n.lhs, outer, type); !r) return r;
                return bind_inner(*n.rhs, outer, type);
            } else if constexpr (std::is_same_v<T, negation>) {
                return bind_inner(*n.inner, outer, type);
            } else {
                return bad("value filters cannot be nested");
            }
        },
        f.v);
}

}  // namespace

result<void> bind(filter_node& f, const resource_type& type) { return bind_node(f, type); }

}  // namespace orgscim::scim
