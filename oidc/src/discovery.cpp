#include <orgscim/oidc/discovery.hpp>

#include "json_strict.hpp"

namespace orgscim::oidc {

bool url_scheme_allowed(std::string_view url, bool allow_http) noexcept {
    if (url.starts_with("https://") && url.size() > 8) return true;
    return allow_http && url.starts_with("http://") && url.size() > 7;
}

result<std::string> parse_discovery(std::string_view json,
                                    std::string_view expected_issuer,
                                    bool allow_http) {
    auto obj = detail::parse_strict_object(json);
    if (!obj) return obj.error();
    const auto* iss = obj->if_contains("issuer");
    const auto* uri = obj->if_contains("jwks_uri");
    if (!iss || !iss->is_string() || !uri || !uri->is_string()) return errc::bad_discovery;
    // OIDC Discovery §4.3: exact, byte for byte.
    if (std::string_view(iss->as_string()) != expected_issuer)
        return errc::discovery_issuer_mismatch;
    std::string jwks(uri->as_string());
    if (!url_scheme_allowed(jwks, allow_http)) return errc::insecure_url;
    return jwks;
}

}  // namespace orgscim::oidc
