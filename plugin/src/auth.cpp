#include "auth.hpp"

#include <orgscim/scim/error.hpp>

namespace orgscim::plugin {

namespace {

constexpr std::string_view realm = "Bearer realm=\"scim\"";

bool ieq(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

bool is_sp(char c) noexcept { return c == ' ' || c == '\t'; }

// RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view t) noexcept {
    std::size_t i = 0;
    for (; i < t.size(); ++i) {
        const char c = t[i];
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                        c == '+' || c == '/';
        if (!ok) break;
    }
    if (i == 0) return false;
    for (; i < t.size(); ++i) {
        if (t[i] != '=') return false;
    }
    return true;
}

}  // namespace

auth_failure missing_credentials(std::string reason) {
    return {401,
            std::string(realm),
            "authentication required: send Authorization: Bearer <token>",
            std::move(reason),
            {}};
}

auth_failure invalid_request(std::string reason) {
    return {400,
            std::string(realm) + ", error=\"invalid_request\"",
            "malformed Authorization header",
            std::move(reason),
            {}};
}

auth_failure invalid_token(std::string reason, std::string credential_id) {
    return {401, std::string(realm) + ", error=\"invalid_token\"",
            "the bearer token is invalid, expired or revoked", std::move(reason),
            std::move(credential_id)};
}

auth_failure insufficient_scope(std::string reason, std::string credential_id) {
    return {403, std::string(realm) + ", error=\"insufficient_scope\"",
            "the bearer token does not allow this operation", std::move(reason),
            std::move(credential_id)};
}

auth_failure auth_unavailable(std::string reason) {
    return {
        503, {}, "authentication is temporarily unavailable, retry later", std::move(reason), {}};
}

scim::response to_response(const auth_failure& f) {
    scim::error e{f.status, scim::scim_type::none, f.detail};
    if (f.status == 400) e.type = scim::scim_type::invalid_syntax;
    scim::response r;
    r.status = f.status;
    r.headers.emplace_back("Content-Type", std::string(scim::scim_content_type));
    if (!f.challenge.empty()) r.headers.emplace_back("WWW-Authenticate", f.challenge);
    if (f.status == 503) r.headers.emplace_back("Retry-After", std::to_string(f.retry_after_s));
    r.body = scim::to_body(e);
    return r;
}

authenticator::authenticator(token_store& tokens,
                             clock_fn now_ms,
                             std::shared_ptr<const jwt_verifier> jwt,
                             std::uint32_t credential_cache_ms)
    : tokens_(tokens),
      now_ms_(std::move(now_ms)),
      jwt_(std::move(jwt)),
      secrets_(credential_cache_ms) {}

boost::system::result<std::string_view, auth_failure> bearer_token(
    const scim::header_list& headers) {
    const std::string* value = nullptr;
    for (const auto& [k, v] : headers) {
        if (k != "authorization") continue;
        if (value) return invalid_request("more than one Authorization header");
        value = &v;
    }
    if (!value) return missing_credentials("no Authorization header");

    std::string_view h = *value;
    while (!h.empty() && is_sp(h.front())) h.remove_prefix(1);
    while (!h.empty() && is_sp(h.back())) h.remove_suffix(1);
    const auto sp = h.find_first_of(" \t");
    const std::string_view scheme = h.substr(0, sp);
    if (!ieq(scheme, "bearer")) return missing_credentials("non-Bearer Authorization scheme");
    std::string_view token = sp == std::string_view::npos ? std::string_view{} : h.substr(sp);
    while (!token.empty() && is_sp(token.front())) token.remove_prefix(1);
    if (token.empty()) return invalid_request("Bearer without a token");
    if (token.find_first_of(" \t,") != std::string_view::npos) {
        return invalid_request("more than one credential in Authorization");
    }
    if (token.size() > max_bearer_length) return invalid_token("bearer token too long");
    if (!is_b64token(token)) return invalid_token("bearer token has characters outside b64token");
    return token;
}

bool is_jwt_shaped(std::string_view t) noexcept {
    const auto a = t.find('.');
    if (a == std::string_view::npos) return false;
    const auto b = t.find('.', a + 1);
    return b != std::string_view::npos && t.find('.', b + 1) == std::string_view::npos;
}

auth_result authenticator::authenticate(const scim::header_list& headers) const {
    auto bearer = bearer_token(headers);
    if (!bearer) return bearer.error();
    const std::string_view token = *bearer;

    if (token.starts_with(secret_prefix)) {
        if (!looks_like_secret(token)) return invalid_token("malformed provisioning secret");
        const auto check = verify_secret(tokens_, secrets_, token, now_ms_());
        switch (check.status) {
            case secret_status::valid:
                break;
            case secret_status::unknown:
                return invalid_token("unknown provisioning secret");
            case secret_status::revoked:
                return invalid_token("revoked provisioning secret", check.info.id);
            case secret_status::expired:
                return invalid_token("expired provisioning secret", check.info.id);
            case secret_status::unavailable:
                return auth_unavailable("token store unavailable");
        }
        scim::caller who;
        who.tenant = check.info.org_id;
        who.subject = "token:" + check.info.id;
        who.credential_id = check.info.id;
        who.can_read = true;
        who.can_write = check.info.can_write;
        // A read-write provisioning secret is what an admin pastes into the IdP: it manages
        // the organization too (invitations, members, events), as it always has.
        who.can_admin = check.info.can_write;
        return who;
    }
    if (is_jwt_shaped(token)) {
        if (!jwt_) return invalid_token("JWT bearer tokens are not configured");
        return jwt_->verify(token);
    }
    return invalid_token("bearer token is neither a provisioning secret nor a JWT");
}

}  // namespace orgscim::plugin
