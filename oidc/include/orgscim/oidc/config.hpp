#pragma once
// oidc::config: trusted issuers and verification policy, validated completely at load and then
// frozen. Every load error names its JSON path.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <orgscim/oidc/algorithm.hpp>
#include <string>
#include <vector>

namespace orgscim::oidc {

/// Permissions a token can carry (bit mask).
enum permission : std::uint8_t { perm_read = 1, perm_write = 2, perm_admin = 4 };

/// Which claims name the principal.
enum class identity_key { iss_sub, tid_oid };

struct claim_mapping {
    std::string roles_claim = "roles";  ///< app-only roles (array or string)
    std::string scope_claim = "scope";  ///< space-separated string or array ("scp" for Entra)
    std::string groups_claim = "groups";
    identity_key identity = identity_key::iss_sub;
    /// role/scope values granting each permission; matched exactly against roles and scopes.
    std::vector<std::string> read{"scim", "scim:read", "scim:write"};
    std::vector<std::string> write{"scim", "scim:write"};
    std::vector<std::string> admin{"scim:admin"};
};

enum class entra_preset { none, v1, v2 };

struct issuer_config {
    std::string org;     ///< organization the issuer is bound to; empty = invitees' issuers
    std::string issuer;  ///< exact iss, or a template containing "{tenantid}"
    entra_preset preset = entra_preset::none;
    std::string tenant;                ///< preset tenant GUID, or empty for multi-tenant
    std::vector<std::string> tenants;  ///< allowed tid values for templates (empty = any)
    std::string discovery_url;         ///< exactly one of discovery_url / jwks_uri is set
    std::string jwks_uri;
    std::vector<std::string> audiences;             ///< non-empty
    alg_set allowed_algs;                           ///< non-empty; none/HS* rejected at load
    std::vector<std::string> typ{"JWT", "at+jwt"};  ///< compared case-insensitively
    bool allow_missing_typ = false;
    bool require_authz_claim = true;           ///< roles or scope must be present
    std::vector<std::string> allowed_clients;  ///< azp/appid/client_id; empty = any
    int leeway_s = 60;
    int jwks_refresh_s = 3600;
    int jwks_retry_s = 30;
    int kid_miss_cooldown_s = 30;
    int http_timeout_ms = 5000;
    std::size_t max_jwks_bytes = 256 * 1024;
    bool allow_http = false;  ///< loopback test providers only (checked at load)
    /// The issuer only puts addresses it controls into `email` (e.g. Glewlwyd: users cannot edit
    /// their own), so `email` counts as verified without an `email_verified` claim; an explicit
    /// `email_verified: false` still wins. Opt-in; refused with Entra presets.
    bool trust_email = false;
    claim_mapping claims;

    bool is_template() const noexcept { return issuer.find("{tenantid}") != std::string::npos; }
};

struct config {
    std::vector<issuer_config> issuers;
};

/// Converts `v` (the "oidc" object: {"issuers": [...]}) into `out`, appending "path: problem" to
/// `errors`. Unknown keys are errors; cross-field rules are checked here, not at first use.
void load_config(const boost::json::value& v,
                 const std::string& path,
                 config& out,
                 std::vector<std::string>& errors);

}  // namespace orgscim::oidc
