#pragma once
// Transport-neutral HTTP handlers for invitations and access requests: scim::request in,
// scim::response out (the hosts route to them; see docs/invitations.md for the routes).
//
//   Admin side, below the SCIM base, scoped to caller.tenant (the organization):
//     GET    /Invitations[?filter&sortBy&sortOrder&startIndex&count&attributes&excludedAttributes]
//     POST   /Invitations/.search
//     POST   /Invitations                      one or many invitees, a result per invitee
//     GET    /Invitations/{id}
//     DELETE /Invitations/{id}                 finished invitations only
//     POST   /Invitations/{id}/resend          {"sendEmail": true}
//     POST   /Invitations/{id}/revoke          {"reason": "..."}
//     POST   /Invitations/{id}/link            rotates the token and returns the link (no email)
//     GET    /AccessRequests[...], /AccessRequests/{id}
//     POST   /AccessRequests/{id}/approve      {"role": "..."}
//     POST   /AccessRequests/{id}/deny         {"reason": "..."}
//   Signed-in user (verified identity, no org permission needed):
//     POST   /AccessRequests                   {"organization": "<org id>", "reason": "..."}
//   Invitee side, below the public base URL (the link in the email):
//     GET    /invitations/{token}              JSON, or HTML when Accept prefers text/html
//     POST   /invitations/{token}/accept       needs a signed-in identity
//     POST   /invitations/{token}/decline      needs a signed-in identity

#include <optional>
#include <orgscim/plugin/invitations/identity.hpp>
#include <orgscim/plugin/invitations/service.hpp>
#include <orgscim/scim/caller.hpp>
#include <orgscim/scim/message.hpp>
#include <orgscim/scim/schema.hpp>
#include <string_view>

namespace orgscim::plugin::invitations {

inline constexpr std::string_view invitation_schema_urn =
    "urn:orgscim:params:scim:schemas:core:1.0:Invitation";
inline constexpr std::string_view access_request_schema_urn =
    "urn:orgscim:params:scim:schemas:core:1.0:AccessRequest";
inline constexpr std::string_view invitation_results_urn =
    "urn:orgscim:params:scim:api:messages:1.0:InvitationResults";

/// Adds the Invitation and AccessRequest schemas and resource types (so /Schemas and
/// /ResourceTypes publish them and filters bind against them). Call once at start-up.
void register_schemas(scim::schema_registry& reg);

class handlers {
  public:
    /// `reg` must hold the types from register_schemas(); both must outlive the handlers.
    handlers(service& svc, const scim::schema_registry& reg);

    /// The admin side (and POST /AccessRequests by a signed-in user, `who` non-null). Returns
    /// nullopt when the path is not /Invitations or /AccessRequests (the SCIM service handles it).
    std::optional<scim::response> handle_scim(const scim::request& req,
                                              const scim::caller& caller,
                                              const verified_identity* who);

    /// The invitee side; req.path is "/invitations/{token}[/accept|/decline]". `who` is null when
    /// no valid token came with the request (accept and decline then answer 401).
    scim::response handle_link(const scim::request& req, const verified_identity* who);

    /// True for the admin side: /Invitations... and /AccessRequests... (any case), except what
    /// a signed-in person may do (POST /AccessRequests).
    static bool is_management_path(std::string_view path) noexcept;

    /// True for paths handle_link() serves.
    static bool is_link_path(std::string_view path) noexcept;

  private:
    service& svc_;
    const scim::resource_type* inv_type_;
    const scim::resource_type* req_type_;
};

}  // namespace orgscim::plugin::invitations
