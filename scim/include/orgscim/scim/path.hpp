#pragma once
// Attribute paths (RFC 7644 §3.10): [URN ":"] attr ["." subAttr]. Names are matched
// case-insensitively and rewritten to their canonical spelling by bind().

#include <orgscim/scim/error.hpp>
#include <string>
#include <string_view>

namespace orgscim::scim {

struct attribute;
struct resource_type;

struct attr_path {
    std::string urn;  ///< schema URN, empty when not qualified
    std::string attr;
    std::string sub;  ///< sub-attribute, empty when none

    /// Filled by bind(): the descriptor of `attr` and of `sub` (nullptr when `sub` is empty).
    const attribute* attr_def = nullptr;
    const attribute* sub_def = nullptr;
    /// Filled by bind(): true when `attr` lives in an extension schema (urn is then canonical).
    bool in_extension = false;

    /// "name.givenName" or "urn:...:User:manager.value" in canonical spelling.
    std::string to_string() const;
};

/// Parses "name.givenName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager".
/// Errors: 400 invalidPath.
result<attr_path> parse_attr_path(std::string_view text);

/// Resolves the path against `type`: unqualified names are looked up in the core schema, qualified
/// ones in the named schema; names become canonical. Errors: 400 with `on_unknown` as scimType
/// (invalidFilter for filters, invalidPath for PATCH and sortBy).
result<void> bind(attr_path& p, const resource_type& type, scim_type on_unknown);

}  // namespace orgscim::scim
