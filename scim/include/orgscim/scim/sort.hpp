#pragma once
// sortBy in memory (RFC 7644 §3.4.2.3), for stores that cannot sort an attribute in their own
// query language: the same keys and order everywhere, so backends agree with the reference store.

#include <boost/json/fwd.hpp>
#include <orgscim/scim/path.hpp>
#include <string>
#include <variant>

namespace orgscim::scim {

/// What a bound sortBy path selects in a resource's wire form: the primary (else first) value of
/// a multi-valued attribute; strings folded unless the attribute is caseExact; monostate when
/// absent or not comparable.
using sort_key = std::variant<std::monostate, bool, double, std::string>;
sort_key sort_key_of(const boost::json::object& wire, const attr_path& p);

/// True when `a` sorts strictly before `b`. Missing values come last in both directions; equal
/// keys are not ordered (callers break ties by creation order).
bool sorts_before(const sort_key& a, const sort_key& b, bool descending);

}  // namespace orgscim::scim
