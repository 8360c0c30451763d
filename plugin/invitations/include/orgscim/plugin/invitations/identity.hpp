#pragma once
// The signed-in person behind an accept, decline or access request: what the OIDC verifier
// established (plugin/src/auth.cpp fills it from an oidc::principal). Identity is keyed on
// issuer+subject; the email only counts when the issuer says it is verified.

#include <string>

namespace orgscim::plugin::invitations {

struct verified_identity {
    std::string issuer;
    std::string subject;
    std::string email;
    bool email_verified = false;
    std::string display_name;

    /// "iss|sub", the stable key recorded as accepted_by / requester.
    std::string key() const { return issuer + "|" + subject; }
};

}  // namespace orgscim::plugin::invitations
