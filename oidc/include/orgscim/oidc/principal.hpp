#pragma once
// Who a verified token speaks for. Identity is keyed on iss+sub or tid+oid, never on email/upn.

#include <cstdint>
#include <orgscim/oidc/clock.hpp>
#include <string>
#include <vector>

namespace orgscim::oidc {

struct principal {
    std::string org;              ///< organization of the matched issuer entry (may be empty)
    std::string issuer;           ///< the token's iss (after template substitution it is concrete)
    std::string subject;          ///< sub
    std::string tenant;           ///< tid (Entra), empty otherwise
    std::string object_id;        ///< oid (Entra), empty otherwise
    std::string key;              ///< "iss|sub" or "tid|oid": the stable identity
    std::string client_id;        ///< client_id, azp or appid
    std::string token_id;         ///< jti (for logs)
    std::string email;            ///< email claim, as sent (empty when absent)
    bool email_verified = false;  ///< email_verified true; Entra: xms_edov true
    std::string name;             ///< name claim, for display only
    std::vector<std::string> roles;
    std::vector<std::string> scopes;
    std::vector<std::string> groups;
    std::uint8_t permissions = 0;  ///< perm_read | perm_write | perm_admin
    time_point expires_at;

    bool has(std::uint8_t p) const noexcept { return (permissions & p) == p; }
};

}  // namespace orgscim::oidc
