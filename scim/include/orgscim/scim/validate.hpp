#pragma once
// Checks and normalizes client-supplied resource attributes against the descriptors, for POST and
// PUT bodies and for the result of a PATCH, so that what reaches the store is in canonical form.

#include <boost/json/fwd.hpp>
#include <orgscim/scim/config.hpp>
#include <orgscim/scim/error.hpp>
#include <string_view>

namespace orgscim::scim {

struct attribute;
struct resource_type;

enum class validation_mode {
    create,   ///< POST body
    replace,  ///< PUT body
    patched,  ///< the stored form after PATCH: no readOnly stripping, same checks
};

/// Normalizes `attrs` in place into the stored form and validates it:
/// - names become canonical ("USERNAME" -> "userName"); extension attributes live under the
///   canonical URN key; URN-qualified core keys ("urn:...:core:2.0:User:userName") and dotted
///   or URN-qualified extension keys at top level are folded into place;
/// - `schemas`, `id`, `meta` and readOnly attributes (`groups`, `members.display`,
///   `manager.displayName`) are dropped: RFC 7644 §3.3/§3.5.1 say the server ignores them;
/// - `password` is dropped: orgscim never stores passwords (the host owns credentials);
/// - "True"/"False" strings become booleans when compat.string_booleans; a manager given as a
///   plain string becomes {"value": id} when compat.manager_as_string;
/// - unknown attributes are rejected (400 invalidValue) rather than ignored, so a typo in a
///   provisioning mapping shows up at once instead of silently losing data;
/// - values must fit their type (string, boolean, integer, decimal, dateTime, reference, binary,
///   complex, single- vs multi-valued): 400 invalidValue;
/// - required attributes (userName, Group displayName) must be present and non-empty: 400
///   invalidValue.
/// `members` of a Group, when present, is validated like any multi-valued complex attribute.
/// On error `attrs` may be partly normalized; callers discard it.
result<void> validate_resource(boost::json::object& attrs,
                               const resource_type& type,
                               const compat_options& compat,
                               validation_mode mode);

/// Normalizes one value of attribute `def` the way validate_resource() does (canonical
/// sub-attribute names, readOnly and null sub-attributes dropped, compat coercions, a single value
/// of a multi-valued attribute wrapped in an array) and checks its type. `shown` names the
/// attribute in error details. Errors: 400 invalidValue.
result<void> normalize_value(boost::json::value& v,
                             const attribute& def,
                             const compat_options& compat,
                             std::string_view shown);

/// As normalize_value() for exactly one element (never wraps or expects an array), e.g. the
/// element added to a multi-valued attribute. Errors: 400 invalidValue.
result<void> normalize_single(boost::json::value& v,
                              const attribute& def,
                              const compat_options& compat,
                              std::string_view shown);

}  // namespace orgscim::scim
