#pragma once
// Plain HTML pages for people (the invitee's review page, the answers to accept and decline).
// No script, no external resources; every value escaped. Served with Cache-Control: no-store and
// Referrer-Policy: no-referrer by the handlers, because the URL carries the link token.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin::web {

struct invitation_page {
    std::string org_name;
    std::string inviter;
    std::string kind;
    std::string email;  ///< the invited address
    std::vector<std::string> roles;
    std::vector<std::string> groups;
    std::int64_t expires_ms = 0;
    std::string accept_url;  ///< POST target (needs a signed-in session)
    std::string decline_url;
};

std::string render_invitation_page(const invitation_page& p);
/// "This invitation is not valid" (one page for unknown, used, expired and revoked links).
std::string render_invalid_link_page();

}  // namespace orgscim::plugin::web
