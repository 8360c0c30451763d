#pragma once
// Who is calling, as established by the host's authentication (plugin/). The engine only checks
// what it needs: which tenant, and whether reads and writes are allowed.

#include <string>

namespace orgscim::scim {

struct caller {
    std::string tenant;         ///< organization id; every store call is scoped to it
    std::string subject;        ///< for audit: token id, client id or iss|sub
    std::string credential_id;  ///< for audit and logs (never the secret itself)
    bool can_read = false;
    bool can_write = false;
    bool can_admin = false;  ///< the organization's management routes (hosts enforce it)
};

}  // namespace orgscim::scim
