#pragma once
// The filter AST (RFC 7644 §3.4.2.2). Parsing is schema-free; bind() resolves attribute names
// against a resource type so that evaluation and SQL translation work on canonical, typed paths.

#include <boost/json/value.hpp>
#include <memory>
#include <orgscim/scim/error.hpp>
#include <orgscim/scim/path.hpp>
#include <string_view>
#include <variant>

namespace orgscim::scim {

enum class compare_op { eq, ne, co, sw, ew, gt, ge, lt, le, pr };

struct filter_node;
using filter_ptr = std::unique_ptr<filter_node>;

/// attrPath op value, or attrPath "pr" (value is null then).
struct comparison {
    attr_path path;
    compare_op op = compare_op::eq;
    boost::json::value value;  ///< string, number, bool or null
};

struct logical {
    enum kind { and_, or_ } op = and_;
    filter_ptr lhs;
    filter_ptr rhs;
};

struct negation {
    filter_ptr inner;
};

/// attrPath "[" valFilter "]": the inner filter's paths are sub-attributes of `path`. After bind(),
/// an inner comparison's path has `attr` = the sub-attribute's canonical name and `attr_def` = its
/// descriptor (urn and sub empty).
/// `emails[type eq "work"].value eq "x"` is parsed as emails[type eq "work" and value eq "x"].
struct value_path {
    attr_path path;
    filter_ptr inner;
};

struct filter_node {
    std::variant<comparison, logical, negation, value_path> v;
};

struct filter_limits {
    std::size_t max_length = 4096;
    std::size_t max_depth = 16;
    std::size_t max_terms = 64;
};

/// Errors: 400 invalidFilter (syntax, limits).
result<filter_ptr> parse_filter(std::string_view text, const filter_limits& limits = {});

/// Resolves every path against `type`. Errors: 400 invalidFilter for unknown attributes, for a
/// value whose JSON type does not fit the attribute, or for an operator the type does not allow
/// (booleans: eq/ne/pr; numbers and dateTimes: no co/sw/ew; complex: pr only), and for
/// attributes that are never returned (password): 400 invalidFilter, not 403.
result<void> bind(filter_node& f, const resource_type& type);

/// Evaluates a bound filter against a resource in wire form (with id and meta). Strings compare
/// per the attribute's caseExact (fold_case() from text.hpp); dateTimes as instants; numbers as
/// numbers. A multi-valued attribute matches when any value matches. `ne` is `not eq`: true when
/// the attribute is absent and false when any value equals. `eq null` means absent. `pr` means
/// present and not null, "", [] or {}. bind() rewrites `emails co "x"` to `emails.value co "x"`.
bool matches(const filter_node& f, const boost::json::object& resource);

}  // namespace orgscim::scim
