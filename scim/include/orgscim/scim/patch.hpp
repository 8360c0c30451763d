#pragma once
// PATCH (RFC 7644 §3.5.2) with the shapes Entra ID and Okta send, each behind a compat switch.

#include <boost/json/object.hpp>
#include <optional>
#include <orgscim/scim/config.hpp>
#include <orgscim/scim/error.hpp>
#include <orgscim/scim/filter.hpp>
#include <string>
#include <vector>

namespace orgscim::scim {

struct resource_type;

enum class patch_kind { add, replace, remove };

/// attrPath ["[" valFilter "]" ["." subAttr]]
struct patch_path {
    attr_path attr;
    filter_ptr value_filter;  ///< may be null
    std::string sub;          ///< sub-attribute after the filter, may be empty
};

struct patch_operation {
    patch_kind op = patch_kind::add;
    std::optional<patch_path> path;
    boost::json::value value;
};

struct patch_request {
    std::vector<patch_operation> operations;
};

/// Parses and binds a PatchOp body. A path equal to an extension URN is turned into a path-less
/// operation on {URN: value}. Errors: 400 invalidSyntax (shape, schemas, unknown op), invalidPath
/// (malformed path, unknown attribute), invalidFilter (bad filter inside "[...]"), invalidValue
/// (add/replace without "value").
result<patch_request> parse_patch(const boost::json::value& body,
                                  const resource_type& type,
                                  const compat_options& compat);

/// Membership changes extracted from operations on a Group's `members`, so a change to a huge
/// group never materializes the member list.
struct member_delta {
    bool clear_all = false;           ///< applied first
    std::vector<std::string> add;     ///< member ids
    std::vector<std::string> remove;  ///< member ids
    bool touched() const { return clear_all || !add.empty() || !remove.empty(); }
};

/// Applies the operations to `resource` (stored form: no id/meta/schemas). When `members` is not
/// null, operations on the `members` attribute are turned into `*members` instead of being
/// applied to the JSON. All or nothing: on error `resource` is unchanged. The result is normalized
/// and checked by validate_resource(validation_mode::patched).
/// Semantics beyond the RFC text: add/replace on `attr[filter].sub` (or `attr[filter]`) that
/// matches nothing creates the value from the filter's `eq` terms when the filter is a
/// conjunction of `eq`s (Entra's `emails[type eq "work"].value`), else noTarget; setting
/// primary=true on a value clears it on the others; readOnly attributes inside a path-less value
/// are ignored (Okta echoes "id"), but a path that names one is a mutability error; password is
/// accepted and dropped.
/// Errors: 400 mutability (readOnly, immutable with a different value, removing or unassigning a
/// required attribute, RFC 7644 §3.5.2.2), noTarget (remove without path; filter matching nothing
/// when !compat.idempotent_remove), invalidValue (type), invalidPath; 500 if a member filter that
/// needs_member_list() reports is applied with `members` non-null.
result<void> apply_patch(boost::json::object& resource,
                         const patch_request& req,
                         const resource_type& type,
                         const compat_options& compat,
                         member_delta* members);

/// True when some operation on `members` needs the whole list (a filter other than
/// `value eq "..."`), so the caller must load members into the JSON and pass members = nullptr.
bool needs_member_list(const patch_request& req);

}  // namespace orgscim::scim
