#pragma once
// Follows SCIM writes on /Users into the organization model: a created user becomes an identity
// with a home membership; a deleted or deactivated (active=false) user leaves every other org
// (deprovision fan-out, one transaction, events in every org concerned).
//
// Called by app after service.handle() returned, inside the unit of work that holds the user
// write (backend::begin_unit()), so both commit together (docs/organizations.md, "Deprovision
// fan-out").

#include <optional>
#include <orgscim/plugin/orgs/directory_service.hpp>
#include <orgscim/scim/caller.hpp>
#include <orgscim/scim/message.hpp>
#include <orgscim/scim/service.hpp>
#include <orgscim/scim/store.hpp>

namespace orgscim::plugin::orgs {

/// Called by app before service.handle(): a disabled organization serves no SCIM writes (POST
/// other than .search, PUT, PATCH, DELETE, Bulk). Errors: 403 for a write into a disabled
/// organization, 503/500 from the store.
scim::result<void> admit_scim_request(directory_service& svc,
                                      const scim::request& req,
                                      const scim::caller& who);

/// The rule behind member_write_hook(), for a write the SCIM service is about to serve (after
/// admit_scim_request() and the caller's permissions): a DELETE, PUT or PATCH of
/// /Users/{id} by a writing credential, where {id} is a member the caller's org lists but does
/// not hold as its own home User (invited, added through the membership API, inherited; see
/// directory_service::listed_member). DELETE ends the membership in that org, never the home
/// User (directory_service::remove_listed_member), and answers 204; an If-Match on it is
/// checked first against the version `users` holds for {id} in the org (what GET and the list
/// show as meta.version: the copy User's for an invited member with a copy, else the home
/// User's, 1 without one): a stale one answers 412 and changes nothing. PUT and PATCH answer
/// 400 mutability: such a member's attributes belong to their home organization. nullopt for
/// every other request, which the SCIM service serves. Errors: 400, 409, 412, 503/500.
scim::result<std::optional<scim::response>> serve_member_write(directory_service& svc,
                                                               scim::resource_store& users,
                                                               const scim::resource_type& user_type,
                                                               const scim::request& req,
                                                               const scim::caller& who);

/// serve_member_write() as the SCIM service's write hook (app installs it with
/// scim::service::set_write_hook), so a single request and a Bulk operation on /Users/{id} get
/// the same answer; errors become the error response. The arguments must outlive the service.
scim::service::operation_hook member_write_hook(directory_service& svc,
                                                scim::resource_store& users,
                                                const scim::resource_type& user_type);

/// Inspects a finished SCIM request below the base (`req.path` like "/Users/42") and its
/// response; does nothing unless it was a successful POST /Users, PUT/PATCH /Users/{id} that
/// left active=false, or DELETE /Users/{id}, or a POST /Bulk holding such operations (each
/// successful one is followed; a PUT/PATCH counts when its data sets active to false). Errors:
/// those of the directory service (503/500); the SCIM response has already been decided and is not
/// changed by them. The memberships a deprovision removed in other orgs are appended to `removed`
/// (the host deletes the SCIM Users those orgs hold for the person).
scim::result<void> follow_user_write(directory_service& svc,
                                     const scim::request& req,
                                     const scim::response& res,
                                     const scim::caller& who,
                                     std::vector<membership_record>* removed = nullptr);

/// follow_user_write() for a staged single write (scim::service::stage): the written User's
/// id, userName and active come from the stored record instead of the response body; null
/// `written` (nothing was written) does nothing.
scim::result<void> follow_user_record(directory_service& svc,
                                      const scim::request& req,
                                      const scim::resource_record* written,
                                      const scim::caller& who,
                                      std::vector<membership_record>* removed = nullptr);

}  // namespace orgscim::plugin::orgs
