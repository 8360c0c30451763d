#include <boost/throw_exception.hpp>
#include <orgscim/oidc/error.hpp>
#include <string>
#include <system_error>

namespace orgscim::oidc {

namespace {

class category_impl final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "orgscim.oidc"; }
    std::string message(int ev) const override {
        return std::string(to_string(static_cast<errc>(ev)));
    }
};

}  // namespace

const boost::system::error_category& oidc_category() noexcept {
    static const category_impl c;
    return c;
}

boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), oidc_category()};
}

std::string_view to_string(errc e) noexcept {
    switch (e) {
        case errc::empty_token:
            return "empty token";
        case errc::token_too_large:
            return "token too large";
        case errc::malformed:
            return "malformed compact serialization";
        case errc::bad_base64:
            return "invalid base64url";
        case errc::bad_json:
            return "invalid JSON";
        case errc::duplicate_member:
            return "duplicate JSON member";
        case errc::bad_header:
            return "invalid JOSE header";
        case errc::forbidden_header:
            return "forbidden JOSE header member";
        case errc::alg_not_allowed:
            return "algorithm not allowed";
        case errc::typ_not_allowed:
            return "typ not allowed";
        case errc::unknown_issuer:
            return "unknown issuer";
        case errc::tenant_mismatch:
            return "tenant mismatch";
        case errc::unknown_kid:
            return "unknown kid";
        case errc::key_alg_mismatch:
            return "key does not permit this algorithm or issuer";
        case errc::bad_signature:
            return "bad signature";
        case errc::missing_claim:
            return "missing required claim";
        case errc::bad_claim:
            return "invalid claim value";
        case errc::expired:
            return "token expired";
        case errc::not_yet_valid:
            return "token not yet valid";
        case errc::issued_in_future:
            return "token issued in the future";
        case errc::wrong_audience:
            return "wrong audience";
        case errc::not_access_token:
            return "not an access token";
        case errc::wrong_token_version:
            return "wrong token version";
        case errc::client_not_allowed:
            return "client not allowed";
        case errc::insufficient_scope:
            return "insufficient scope";
        case errc::keys_unavailable:
            return "signing keys unavailable";
        case errc::fetch_failed:
            return "fetch failed";
        case errc::fetch_too_large:
            return "fetched document too large";
        case errc::fetch_http_status:
            return "unexpected HTTP status";
        case errc::insecure_url:
            return "URL scheme not allowed";
        case errc::bad_discovery:
            return "invalid discovery document";
        case errc::discovery_issuer_mismatch:
            return "discovery issuer mismatch";
        case errc::bad_jwks:
            return "invalid JWK Set";
        case errc::no_usable_keys:
            return "JWK Set without usable keys";
    }
    return "unknown oidc error";
}

int http_status(errc e) noexcept {
    switch (e) {
        case errc::empty_token:
            return 400;
        case errc::insufficient_scope:
            return 403;
        case errc::keys_unavailable:
        case errc::fetch_failed:
        case errc::fetch_too_large:
        case errc::fetch_http_status:
        case errc::insecure_url:
        case errc::bad_discovery:
        case errc::discovery_issuer_mismatch:
        case errc::bad_jwks:
        case errc::no_usable_keys:
            return 503;
        default:
            return 401;
    }
}

std::string_view bearer_error(errc e) noexcept {
    switch (http_status(e)) {
        case 400:
            return "invalid_request";
        case 401:
            return "invalid_token";
        case 403:
            return "insufficient_scope";
        default:
            return {};
    }
}

void throw_exception_from_error(errc e, const boost::source_location& loc) {
    boost::throw_exception(boost::system::system_error(make_error_code(e)), loc);
}

}  // namespace orgscim::oidc
