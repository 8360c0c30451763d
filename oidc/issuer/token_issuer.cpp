#include "token_issuer.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <orgscim/oidc/base64url.hpp>
#include <orgscim/oidc/key_store.hpp>
#include <orgscim/oidc/verifier.hpp>
#include <stdexcept>

namespace orgscim::oidc {

namespace {

constexpr std::string_view jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr std::string_view local_jwks_url = "https://orgscim.invalid/oauth2/jwks";

std::string random_b64(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return base64url_encode(raw);
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        auto l = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (l(s[i]) != l(prefix[i])) return false;
    }
    return true;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded value: '+' is a space, %XX must be well-formed.
std::optional<std::string> form_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '+') {
            out.push_back(' ');
        } else if (in[i] == '%') {
            if (i + 2 >= in.size()) return std::nullopt;
            const int h = hex(in[i + 1]), l = hex(in[i + 2]);
            if (h < 0 || l < 0) return std::nullopt;
            out.push_back(static_cast<char>(h * 16 + l));
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

// RFC 6749 §3.2: parameters must not repeat; nullopt on a repeat or bad encoding.
std::optional<std::map<std::string, std::string, std::less<>>> parse_form(std::string_view body) {
    std::map<std::string, std::string, std::less<>> out;
    while (!body.empty()) {
        const auto amp = body.find('&');
        const auto pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto k = form_decode(pair.substr(0, eq));
        auto v =
            form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
        if (!k || !v) return std::nullopt;
        if (!out.emplace(std::move(*k), std::move(*v)).second) return std::nullopt;
    }
    return out;
}

std::optional<std::string> base64_std_decode(std::string_view in) {
    std::string s(in);
    for (auto& c : s) {
        if (c == '+') {
            c = '-';
        } else if (c == '/') {
            c = '_';
        } else if (c == '-' || c == '_') {
            return std::nullopt;
        }
    }
    while (!s.empty() && s.back() == '=') s.pop_back();
    return base64url_decode(s);
}

std::string scope_string(std::uint8_t perms) {
    std::string s;
    auto add = [&](const char* v) { s += s.empty() ? v : std::string(" ") + v; };
    if (perms & perm_read) add("scim:read");
    if (perms & perm_write) add("scim:write");
    if (perms & perm_admin) add("scim:admin");
    return s;
}

std::uint8_t scope_bit(std::string_view s) {
    if (s == "scim:read") return perm_read;
    if (s == "scim:write") return perm_write;
    if (s == "scim:admin") return perm_admin;
    return 0;
}

token_response oauth_error(int status,
                           std::string_view error,
                           std::string_view description,
                           bool basic_challenge = false) {
    token_response r;
    r.status = status;
    r.body = boost::json::serialize(
        boost::json::object{{"error", error}, {"error_description", description}});
    r.headers = {{"Content-Type", "application/json"},
                 {"Cache-Control", "no-store"},
                 {"Pragma", "no-cache"}};
    if (basic_challenge) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"oauth2\"");
    return r;
}

// Serves the issuer's own JWKS to its own verifier: no network involved.
class local_fetcher final : public http_fetcher {
  public:
    explicit local_fetcher(std::function<std::string()> jwks) : jwks_(std::move(jwks)) {}
    result<fetch_response> fetch(const fetch_request& req) override {
        if (req.url != local_jwks_url) return errc::fetch_failed;
        return fetch_response{200, jwks_()};
    }

  private:
    std::function<std::string()> jwks_;
};

}  // namespace

std::string hash_client_secret(std::string_view secret) {
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(secret.data(), secret.size(), md, &len, EVP_sha256(), nullptr);
    return base64url_encode(std::string_view(reinterpret_cast<char*>(md), len));
}

generated_secret generate_client_secret(time_point expires_at) {
    generated_secret g;
    g.secret = "ocs_" + random_b64(32);
    g.record.id = "sec_" + random_b64(9);
    g.record.hash = hash_client_secret(g.secret);
    g.record.expires_at = expires_at;
    return g;
}

std::string generate_client_id() { return "oc_" + random_b64(16); }

struct token_issuer::impl {
    issuer_settings settings;
    client_directory& directory;
    const clock& clk;

    mutable std::mutex keys_m;
    std::vector<signing_key> keys;  // front = active

    local_fetcher own_fetcher;
    std::unique_ptr<verifier> own;
    std::unique_ptr<verifier> assertions;

    impl(issuer_settings s, signing_key first, client_directory& d, http_fetcher& f, const clock& c)
        : settings(std::move(s)), directory(d), clk(c), keys{std::move(first)}, own_fetcher([this] {
              return jwks();
          }) {
        issuer_config ic;
        ic.issuer = settings.issuer;
        ic.jwks_uri = std::string(local_jwks_url);
        ic.audiences = {settings.audience};
        for (alg a : {alg::rs256, alg::es256, alg::es384, alg::ps256, alg::eddsa})
            ic.allowed_algs.insert(a);
        ic.typ = {"at+jwt"};
        ic.require_authz_claim = true;
        ic.kid_miss_cooldown_s = 1;
        ic.claims.read = {"scim:read", "scim:write"};
        ic.claims.write = {"scim:write"};
        ic.claims.admin = {"scim:admin"};
        config own_cfg;
        own_cfg.issuers.push_back(std::move(ic));
        own = std::make_unique<verifier>(own_cfg, own_fetcher, clk);
        if (!settings.assertion_issuers.issuers.empty()) {
            config a = settings.assertion_issuers;
            for (auto& i : a.issuers) i.require_authz_claim = false;
            assertions = std::make_unique<verifier>(a, f, clk);
        }
    }

    std::string jwks() const {
        std::lock_guard lk(keys_m);
        return oidc::jwks_json(keys);
    }

    signing_key active() const {
        std::lock_guard lk(keys_m);
        return keys.front();
    }

    bool secret_ok(const oauth_client& c, std::string_view secret) const {
        const auto h = hash_client_secret(secret);
        const auto now = clk.now();
        bool ok = false;
        // Check every record (no early exit) so timing does not reveal which one matched.
        for (const auto& r : c.secrets) {
            const bool same =
                r.hash.size() == h.size() && CRYPTO_memcmp(r.hash.data(), h.data(), h.size()) == 0;
            ok = ok || (same && now < r.expires_at);
        }
        return ok;
    }
};

token_issuer::token_issuer(issuer_settings settings,
                           signing_key first_key,
                           client_directory& directory,
                           http_fetcher& fetcher,
                           const clock& clk)
    : impl_(std::make_unique<impl>(
          std::move(settings), std::move(first_key), directory, fetcher, clk)) {}

token_issuer::~token_issuer() = default;

token_response token_issuer::handle_token_request(std::string_view authorization,
                                                  std::string_view content_type,
                                                  std::string_view body) {
    if (!iequals_prefix(content_type, "application/x-www-form-urlencoded"))
        return oauth_error(400, "invalid_request", "form body required");
    auto form = parse_form(body);
    if (!form) return oauth_error(400, "invalid_request", "malformed or repeated parameter");
    const auto get = [&](std::string_view k) -> const std::string* {
        auto it = form->find(k);
        return it == form->end() ? nullptr : &it->second;
    };
    const auto* grant = get("grant_type");
    if (!grant) return oauth_error(400, "invalid_request", "grant_type required");
    if (*grant != "client_credentials")
        return oauth_error(400, "unsupported_grant_type", "only client_credentials");

    const bool basic = !authorization.empty();
    const auto* body_id = get("client_id");
    const auto* body_secret = get("client_secret");
    const auto* assertion = get("client_assertion");
    const auto* assertion_type = get("client_assertion_type");
    const int methods = (basic ? 1 : 0) + (body_secret ? 1 : 0) + (assertion ? 1 : 0);
    if (methods > 1) return oauth_error(400, "invalid_request", "one client authentication only");
    if (methods == 0)
        return oauth_error(401, "invalid_client", "client authentication required", true);

    std::optional<oauth_client> client;
    const auto bad_client = [&] {
        return oauth_error(401, "invalid_client", "client authentication failed", basic);
    };
    if (basic) {
        if (!iequals_prefix(authorization, "basic ")) return bad_client();
        auto decoded = base64_std_decode(authorization.substr(6));
        if (!decoded) return bad_client();
        const auto colon = decoded->find(':');
        if (colon == std::string::npos) return bad_client();
        // RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
        auto id = form_decode(std::string_view(*decoded).substr(0, colon));
        auto secret = form_decode(std::string_view(*decoded).substr(colon + 1));
        if (!id || !secret) return bad_client();
        if (body_id && *body_id != *id)
            return oauth_error(400, "invalid_request", "client_id mismatch");
        client = impl_->directory.find_client(*id);
        if (!client || client->disabled || !impl_->secret_ok(*client, *secret)) return bad_client();
    } else if (body_secret) {
        if (!body_id) return oauth_error(400, "invalid_request", "client_id required");
        client = impl_->directory.find_client(*body_id);
        if (!client || client->disabled || !impl_->secret_ok(*client, *body_secret))
            return bad_client();
    } else {
        if (!assertion_type || *assertion_type != jwt_bearer)
            return oauth_error(400, "invalid_request", "unsupported client_assertion_type");
        if (!impl_->assertions) return bad_client();
        auto p = impl_->assertions->verify(*assertion);
        if (!p) return bad_client();
        const std::string& id = body_id ? *body_id : p->subject;
        client = impl_->directory.find_client(id);
        if (!client || client->disabled) return bad_client();
        const bool trusted = std::any_of(
            client->federated.begin(), client->federated.end(), [&](const federated_credential& f) {
                return f.issuer == p->issuer && f.subject == p->subject;
            });
        if (!trusted) return bad_client();
    }

    std::uint8_t granted = client->permissions;
    if (const auto* scope = get("scope")) {
        std::uint8_t asked = 0;
        std::string_view rest = *scope;
        while (!rest.empty()) {
            const auto sp = rest.find(' ');
            const auto s = rest.substr(0, sp);
            if (!s.empty()) {
                const auto bit = scope_bit(s);
                if (!bit || !(client->permissions & bit))
                    return oauth_error(400, "invalid_scope", "scope not allowed for this client");
                asked |= bit;
            }
            if (sp == std::string_view::npos) break;
            rest.remove_prefix(sp + 1);
        }
        if (asked) granted = asked;
    }
    if (!granted) return oauth_error(400, "invalid_scope", "client has no scopes");

    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(impl_->clk.now().time_since_epoch())
            .count();
    const auto ttl = impl_->settings.token_ttl.count();
    const std::string scope = scope_string(granted);
    boost::json::object claims{{"iss", impl_->settings.issuer},
                               {"sub", client->client_id},
                               {"aud", impl_->settings.audience},
                               {"client_id", client->client_id},
                               {"org", client->org},
                               {"scope", scope},
                               {"iat", now},
                               {"nbf", now},
                               {"exp", now + ttl},
                               {"jti", random_b64(16)}};
    token_response r;
    r.body = boost::json::serialize(
        boost::json::object{{"access_token", mint_token(impl_->active(), claims, "at+jwt")},
                            {"token_type", "Bearer"},
                            {"expires_in", ttl},
                            {"scope", scope}});
    r.headers = {{"Content-Type", "application/json"},
                 {"Cache-Control", "no-store"},
                 {"Pragma", "no-cache"}};
    return r;
}

result<principal> token_issuer::verify(std::string_view token) {
    auto p = impl_->own->verify(token);
    if (!p) return p;
    // The org is the client's, looked up now: a disabled or deleted client stops working (after
    // the verifier's result cache, at most five minutes).
    auto c = impl_->directory.find_client(p->subject);
    if (!c || c->disabled) return errc::client_not_allowed;
    p->org = c->org;
    return p;
}

void token_issuer::rotate(signing_key next) {
    {
        std::lock_guard lk(impl_->keys_m);
        impl_->keys.insert(impl_->keys.begin(), std::move(next));
    }
    (void)impl_->own->store_for(0).refresh();
}

void token_issuer::retire(std::string_view kid) {
    {
        std::lock_guard lk(impl_->keys_m);
        if (impl_->keys.front().kid() == kid) return;
        std::erase_if(impl_->keys, [&](const signing_key& k) { return k.kid() == kid; });
    }
    (void)impl_->own->store_for(0).refresh();
    impl_->own->clear_cache();
}

std::string token_issuer::jwks_json() const { return impl_->jwks(); }

std::string token_issuer::discovery_json() const {
    const auto& iss = impl_->settings.issuer;
    return boost::json::serialize(boost::json::object{
        {"issuer", iss},
        {"token_endpoint", iss + "/oauth2/token"},
        {"jwks_uri", iss + "/oauth2/jwks"},
        {"grant_types_supported", boost::json::array{"client_credentials"}},
        {"token_endpoint_auth_methods_supported",
         boost::json::array{"client_secret_basic", "client_secret_post", "private_key_jwt"}},
        {"scopes_supported", boost::json::array{"scim:read", "scim:write", "scim:admin"}},
        {"response_types_supported", boost::json::array{}}});
}

}  // namespace orgscim::oidc
