#pragma once
// The organization endpoints below the SCIM base, transport-neutral (scim::request in,
// scim::response out), for the app to route to:
//   /Organizations[/{id}], /Organizations/.search     SCIM resource type (filter, sort, paging,
//                                                       projection, ETags via scim::service)
//   /Events[/{id}], /Events/.search                     read-only SCIM resource type
//   /Organizations/{id}/members[/{identityId}]          JSON: list, add (POST), set roles (PUT),
//                                                       remove (DELETE)
//   /Organizations/{id}/roles[/{roleId}]                JSON: built-in + custom roles
//   /Organizations/{id}/groupRoles[/{groupId}]          JSON: group-to-role mappings
//   /Organizations/{id}/permissions                     JSON: the caller's effective permissions
// Errors use the SCIM error body everywhere.

#include <orgscim/plugin/orgs/directory_service.hpp>
#include <orgscim/scim/config.hpp>
#include <orgscim/scim/message.hpp>
#include <orgscim/scim/schema.hpp>
#include <string_view>

namespace orgscim::plugin::orgs {

inline constexpr std::string_view organization_schema_urn =
    "urn:orgscim:params:scim:schemas:core:1.0:Organization";

/// Registers the membership extension of Users (membership_extension_urn: kind, homeOrg) on an
/// already registered User type; once. A User type that carries it lists the organization's
/// members of every kind (see docs/organizations.md).
void register_membership_extension(scim::schema_registry& reg);

/// Registers the membership extension, the Organization and Event schemas and resource types,
/// so that the app's own /Schemas and /ResourceTypes list them too.
void register_org_types(scim::schema_registry& reg);

class orgs_api {
  public:
    /// `svc` must outlive the api.
    orgs_api(const scim::config& cfg, directory_service& svc);

    /// True for the paths served here (first segment Organizations or Events, any case).
    static bool handles(std::string_view path) noexcept;

    /// `req.path` is below the SCIM base ("/Organizations/42/members"); `context_org` is the
    /// org of an /o/{org}/scim/v2 path, else the credential's org, else empty (then /Events
    /// answers 400). Never throws for client input.
    scim::response handle(const scim::request& req,
                          const actor& who,
                          std::string_view context_org) const;

  private:
    scim::response sub_resource(const scim::request& req,
                                const actor& who,
                                std::string_view org,
                                std::string_view what,
                                std::string_view item) const;

    scim::config cfg_;
    scim::schema_registry reg_;
    directory_service& svc_;
};

}  // namespace orgscim::plugin::orgs
