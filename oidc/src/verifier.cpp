// The verification pipeline. The order follows security.md §1.3: shape, header, payload (read only
// to select the issuer), key, signature, then claims; nothing in the payload is trusted before the
// signature has been checked.

#include <openssl/evp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <condition_variable>
#include <optional>
#include <orgscim/oidc/base64url.hpp>
#include <orgscim/oidc/key_store.hpp>
#include <orgscim/oidc/verifier.hpp>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "json_strict.hpp"

namespace orgscim::oidc {

namespace {

constexpr std::size_t max_token_bytes = 8192;
constexpr std::size_t max_kid_bytes = 128;
constexpr std::int64_t max_numeric_date = 32503680000;  // 3000-01-01
constexpr auto cache_ttl = std::chrono::minutes(5);
constexpr std::size_t cache_max = 10000;

using boost::json::object;
using boost::json::value;

struct jose_header {
    alg a{};
    std::string kid;
    std::optional<std::string> typ;
};

result<jose_header> parse_header(const object& h) {
    jose_header out;
    bool have_alg = false;
    for (const auto& kv : h) {
        const std::string_view k = kv.key();
        if (k == "alg") {
            if (!kv.value().is_string()) return errc::bad_header;
            auto a = alg_from_string(std::string_view(kv.value().as_string()));
            if (!a) return errc::alg_not_allowed;
            out.a = *a;
            have_alg = true;
        } else if (k == "kid") {
            if (!kv.value().is_string()) return errc::bad_header;
            std::string_view kid = kv.value().as_string();
            if (kid.empty() || kid.size() > max_kid_bytes) return errc::bad_header;
            for (unsigned char c : kid) {
                if (c < 0x20 || c > 0x7E) return errc::bad_header;
            }
            out.kid = std::string(kid);
        } else if (k == "typ") {
            if (!kv.value().is_string()) return errc::bad_header;
            out.typ = std::string(kv.value().as_string());
        } else if (k == "x5t" || k == "x5t#S256") {
            // Thumbprints Entra sends; informational only, never used to pick a key.
            if (!kv.value().is_string()) return errc::bad_header;
        } else if (k == "crit" || k == "jku" || k == "x5u" || k == "jwk" || k == "x5c" ||
                   k == "b64" || k == "zip" || k == "enc" || k == "cty") {
            return errc::forbidden_header;
        } else {
            return errc::bad_header;
        }
    }
    if (!have_alg) return errc::bad_header;
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto l = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
               return l(x) == l(y);
           });
}

// RFC 7515 §4.1.9: a media type, case-insensitive, "application/" may be omitted.
bool typ_allowed(std::string_view typ, const std::vector<std::string>& allow) {
    if (typ.size() > 12 && iequals(typ.substr(0, 12), "application/")) typ.remove_prefix(12);
    for (const auto& a : allow) {
        if (iequals(typ, a)) return true;
    }
    return false;
}

bool is_guid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

std::string substitute_tenant(std::string_view tmpl, std::string_view tid) {
    std::string out(tmpl);
    const auto pos = out.find("{tenantid}");
    if (pos != std::string::npos) out.replace(pos, 10, tid);
    return out;
}

// nullopt: not a sane NumericDate.
std::optional<std::int64_t> numeric_date(const value& v) {
    if (v.is_int64()) {
        const auto n = v.as_int64();
        if (n < 0 || n > max_numeric_date) return std::nullopt;
        return n;
    }
    if (v.is_uint64()) {
        const auto n = v.as_uint64();
        if (n > static_cast<std::uint64_t>(max_numeric_date)) return std::nullopt;
        return static_cast<std::int64_t>(n);
    }
    if (v.is_double()) {
        const double d = v.as_double();
        if (!std::isfinite(d) || d < 0 || d > static_cast<double>(max_numeric_date))
            return std::nullopt;
        return static_cast<std::int64_t>(std::floor(d));
    }
    return std::nullopt;
}

bool claim_true(const object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    if (!v) return false;
    if (const auto* b = v->if_bool()) return *b;
    if (const auto* s = v->if_string()) return *s == "true";
    return false;
}

std::optional<std::string_view> get_str(const object& o, std::string_view k, bool& bad) {
    const auto* v = o.if_contains(k);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
        bad = true;
        return std::nullopt;
    }
    return std::string_view(v->as_string());
}

// A claim holding a list: an array of strings, or one string split on spaces.
bool get_list(const object& o, std::string_view k, std::vector<std::string>& out, bool& present) {
    const auto* v = o.if_contains(k);
    present = v != nullptr;
    if (!v) return true;
    if (const auto* s = v->if_string()) {
        std::string_view rest = *s;
        while (!rest.empty()) {
            const auto sp = rest.find(' ');
            const auto tok = rest.substr(0, sp);
            if (!tok.empty()) out.emplace_back(tok);
            if (sp == std::string_view::npos) break;
            rest.remove_prefix(sp + 1);
        }
        return true;
    }
    if (const auto* a = v->if_array()) {
        for (const auto& e : *a) {
            if (!e.is_string()) return false;
            out.emplace_back(e.as_string());
        }
        return true;
    }
    return false;
}

bool any_in(const std::vector<std::string>& have, const std::vector<std::string>& grant) {
    for (const auto& g : grant) {
        if (std::find(have.begin(), have.end(), g) != have.end()) return true;
    }
    return false;
}

std::string sha256(std::string_view s) {
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(md), len);
}

struct cache_entry {
    principal p;
    time_point until;
};

}  // namespace

struct verifier::impl {
    struct issuer_rt {
        issuer_config cfg;
        std::unique_ptr<key_store> store;
        std::string tmpl_prefix, tmpl_suffix;  // around "{tenantid}" for templates
    };

    const clock& clk;
    std::vector<issuer_rt> issuers;
    std::chrono::seconds retry{30};

    mutable std::shared_mutex cache_m;
    std::unordered_map<std::string, cache_entry> cache;

    std::mutex bg_m;
    std::condition_variable_any bg_cv;
    std::jthread bg;

    impl(const config& cfg, http_fetcher& f, const clock& c) : clk(c) {
        std::optional<int> min_retry;
        for (const auto& ic : cfg.issuers) {
            issuer_rt rt;
            rt.cfg = ic;
            key_store_options o;
            o.issuer = ic.issuer;
            o.discovery_url = ic.discovery_url;
            o.jwks_uri = ic.jwks_uri;
            o.allowed_algs = ic.allowed_algs;
            o.refresh = std::chrono::seconds(ic.jwks_refresh_s);
            o.retry = std::chrono::seconds(ic.jwks_retry_s);
            o.kid_miss_cooldown = std::chrono::seconds(ic.kid_miss_cooldown_s);
            o.timeout = std::chrono::milliseconds(ic.http_timeout_ms);
            o.max_bytes = ic.max_jwks_bytes;
            o.allow_http = ic.allow_http;
            rt.store = std::make_unique<key_store>(std::move(o), f, c);
            const auto pos = ic.issuer.find("{tenantid}");
            if (pos != std::string::npos) {
                rt.tmpl_prefix = ic.issuer.substr(0, pos);
                rt.tmpl_suffix = ic.issuer.substr(pos + 10);
            }
            min_retry = std::min(min_retry.value_or(ic.jwks_retry_s), ic.jwks_retry_s);
            issuers.push_back(std::move(rt));
        }
        retry = std::chrono::seconds(std::max(1, min_retry.value_or(30)));
    }

    // Issuer selection: exact iss, or a {tenantid} template whose substitution is tid.
    result<const issuer_rt*> select(std::string_view iss, std::string_view tid) const {
        bool iss_matched = false;
        for (const auto& rt : issuers) {
            const auto& c = rt.cfg;
            if (c.is_template()) {
                if (iss.size() < rt.tmpl_prefix.size() + rt.tmpl_suffix.size() ||
                    !iss.starts_with(rt.tmpl_prefix) || !iss.ends_with(rt.tmpl_suffix))
                    continue;
                const auto middle =
                    iss.substr(rt.tmpl_prefix.size(),
                               iss.size() - rt.tmpl_prefix.size() - rt.tmpl_suffix.size());
                if (!is_guid(middle)) continue;
                iss_matched = true;
                if (tid != middle) continue;
            } else {
                if (iss != c.issuer) continue;
                iss_matched = true;
                if (!c.tenant.empty() && tid != c.tenant) continue;
            }
            if (!c.tenants.empty() &&
                std::find(c.tenants.begin(), c.tenants.end(), tid) == c.tenants.end())
                continue;
            return &rt;
        }
        return iss_matched ? errc::tenant_mismatch : errc::unknown_issuer;
    }

    result<principal> verify_uncached(std::string_view token);
};

result<principal> verifier::impl::verify_uncached(std::string_view token) {
    // Shape: exactly two dots, three non-empty segments (five-segment JWE falls out here too).
    const auto d1 = token.find('.');
    if (d1 == std::string_view::npos) return errc::malformed;
    const auto d2 = token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
        return errc::malformed;
    const auto h64 = token.substr(0, d1);
    const auto p64 = token.substr(d1 + 1, d2 - d1 - 1);
    const auto s64 = token.substr(d2 + 1);
    if (h64.empty() || p64.empty() || s64.empty()) return errc::malformed;
    auto hbytes = base64url_decode(h64);
    auto pbytes = base64url_decode(p64);
    auto sig = base64url_decode(s64);
    if (!hbytes || !pbytes || !sig) return errc::bad_base64;

    auto hobj = detail::parse_strict_object(*hbytes);
    if (!hobj) return hobj.error();
    auto hdr = parse_header(*hobj);
    if (!hdr) return hdr.error();
    auto claims = detail::parse_strict_object(*pbytes);
    if (!claims) return claims.error();
    const object& c = *claims;

    bool bad = false;
    const auto iss = get_str(c, "iss", bad);
    const auto tid = get_str(c, "tid", bad);
    if (bad) return errc::bad_claim;
    if (!iss) return errc::missing_claim;
    auto sel = select(*iss, tid.value_or(std::string_view{}));
    if (!sel) return sel.error();
    const issuer_rt& rt = **sel;
    const issuer_config& ic = rt.cfg;

    if (!ic.allowed_algs.contains(hdr->a)) return errc::alg_not_allowed;
    if (hdr->typ ? !typ_allowed(*hdr->typ, ic.typ) : !ic.allow_missing_typ)
        return errc::typ_not_allowed;

    auto key = rt.store->find(hdr->kid);
    if (!key) return key.error();
    if (!(*key)->issuer.empty()) {
        // Entra: a key carrying a tenant-specific issuer signs for that issuer only.
        if (substitute_tenant((*key)->issuer, tid.value_or(std::string_view{})) != *iss)
            return errc::key_alg_mismatch;
    }
    if (!(*key)->algs.contains(hdr->a)) return errc::key_alg_mismatch;
    if (!verify_signature(**key, hdr->a, token.substr(0, d2), *sig)) return errc::bad_signature;

    // Claims: trusted from here on, but still checked for type and range.
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(clk.now().time_since_epoch()).count();
    const std::int64_t leeway = ic.leeway_s;
    const auto* exp_v = c.if_contains("exp");
    if (!exp_v) return errc::missing_claim;
    const auto exp = numeric_date(*exp_v);
    if (!exp) return errc::bad_claim;
    if (now >= *exp + leeway) return errc::expired;
    if (const auto* nbf_v = c.if_contains("nbf")) {
        const auto nbf = numeric_date(*nbf_v);
        if (!nbf) return errc::bad_claim;
        if (*nbf > now + leeway) return errc::not_yet_valid;
    }
    if (const auto* iat_v = c.if_contains("iat")) {
        const auto iat = numeric_date(*iat_v);
        if (!iat) return errc::bad_claim;
        if (*iat > now + leeway) return errc::issued_in_future;
    }

    const auto* aud_v = c.if_contains("aud");
    if (!aud_v) return errc::wrong_audience;
    bool aud_ok = false;
    auto aud_match = [&](std::string_view a) {
        return std::find(ic.audiences.begin(), ic.audiences.end(), a) != ic.audiences.end();
    };
    if (const auto* s = aud_v->if_string()) {
        aud_ok = aud_match(*s);
    } else if (const auto* arr = aud_v->if_array()) {
        for (const auto& a : *arr) {
            if (!a.is_string()) return errc::bad_claim;
            aud_ok = aud_ok || aud_match(a.as_string());
        }
    } else {
        return errc::bad_claim;
    }
    if (!aud_ok) return errc::wrong_audience;

    // ID tokens (and hybrid-flow artefacts) are not access tokens (RFC 8725 §2.8).
    for (std::string_view k : {"nonce", "at_hash", "c_hash", "s_hash"}) {
        if (c.contains(k)) return errc::not_access_token;
    }
    if (ic.preset != entra_preset::none) {
        const auto ver = get_str(c, "ver", bad);
        const std::string_view want = ic.preset == entra_preset::v1 ? "1.0" : "2.0";
        if (bad || !ver || *ver != want) return errc::wrong_token_version;
    }

    principal p;
    bool roles_present = false, scope_present = false, groups_present = false;
    if (!get_list(c, ic.claims.roles_claim, p.roles, roles_present) ||
        !get_list(c, ic.claims.scope_claim, p.scopes, scope_present) ||
        !get_list(c, ic.claims.groups_claim, p.groups, groups_present))
        return errc::bad_claim;
    if (ic.require_authz_claim && !roles_present && !scope_present) return errc::not_access_token;

    const auto sub = get_str(c, "sub", bad);
    const auto oid = get_str(c, "oid", bad);
    const auto jti = get_str(c, "jti", bad);
    const auto email = get_str(c, "email", bad);
    const auto name = get_str(c, "name", bad);
    std::optional<std::string_view> client;
    for (std::string_view k : {"client_id", "azp", "appid"}) {
        if (!client) client = get_str(c, k, bad);
    }
    if (bad) return errc::bad_claim;
    if (!ic.allowed_clients.empty()) {
        if (!client || std::find(ic.allowed_clients.begin(), ic.allowed_clients.end(), *client) ==
                           ic.allowed_clients.end())
            return errc::client_not_allowed;
        if (ic.preset != entra_preset::none) {
            // Entra: any principal can get a delegated token for the same client; only idtyp
            // tells an app-only token apart.
            const auto idtyp = get_str(c, "idtyp", bad);
            if (bad || !idtyp || *idtyp != "app") return errc::client_not_allowed;
        }
    }

    if (ic.claims.identity == identity_key::tid_oid) {
        if (!tid || !oid || tid->empty() || oid->empty()) return errc::missing_claim;
        p.key = std::string(*tid) + "|" + std::string(*oid);
    } else {
        if (!sub || sub->empty()) return errc::missing_claim;
        p.key = std::string(*iss) + "|" + std::string(*sub);
    }
    p.org = ic.org;
    p.issuer = std::string(*iss);
    p.subject = std::string(sub.value_or(""));
    p.tenant = std::string(tid.value_or(""));
    p.object_id = std::string(oid.value_or(""));
    p.client_id = std::string(client.value_or(""));
    p.token_id = std::string(jti.value_or(""));
    p.email = std::string(email.value_or(""));
    p.name = std::string(name.value_or(""));
    // Only an issuer's own statement makes an email usable for matching invitations: OIDC's
    // email_verified (some providers send it as a string), or for Entra ID, which lets users
    // type any email, the xms_edov claim (the email's domain is verified by the tenant). An
    // issuer configured with trust_email (one that cannot emit email_verified, such as
    // Glewlwyd) vouches by configuration, unless the token says otherwise.
    if (ic.trust_email && !p.email.empty() && !c.contains("email_verified")) {
        p.email_verified = true;
    } else {
        p.email_verified =
            !p.email.empty() &&
            claim_true(c, ic.preset != entra_preset::none ? "xms_edov" : "email_verified");
    }
    p.expires_at = time_point(std::chrono::seconds(*exp));
    auto grants = [&](const std::vector<std::string>& g) {
        return any_in(p.roles, g) || any_in(p.scopes, g);
    };
    if (grants(ic.claims.read)) p.permissions |= perm_read;
    if (grants(ic.claims.write)) p.permissions |= perm_write;
    if (grants(ic.claims.admin)) p.permissions |= perm_admin;
    return p;
}

verifier::verifier(const config& cfg, http_fetcher& fetcher, const clock& clk)
    : impl_(std::make_unique<impl>(cfg, fetcher, clk)) {}

verifier::~verifier() { stop_background_refresh(); }

result<principal> verifier::verify(std::string_view token) {
    if (token.empty()) return errc::empty_token;
    if (token.size() > max_token_bytes) return errc::token_too_large;
    // Strict base64url makes the token text canonical, so its hash is a safe cache key.
    const std::string h = sha256(token);
    const auto now = impl_->clk.now();
    {
        std::shared_lock lk(impl_->cache_m);
        auto it = impl_->cache.find(h);
        if (it != impl_->cache.end() && now < it->second.until) return it->second.p;
    }
    auto r = impl_->verify_uncached(token);
    if (!r) return r;
    const auto until = std::min(r->expires_at, now + cache_ttl);
    {
        std::unique_lock lk(impl_->cache_m);
        if (impl_->cache.size() >= cache_max) {
            std::erase_if(impl_->cache, [&](const auto& e) { return e.second.until <= now; });
            if (impl_->cache.size() >= cache_max) impl_->cache.clear();
        }
        impl_->cache.insert_or_assign(h, cache_entry{*r, until});
    }
    return r;
}

void verifier::refresh_due_keys() {
    for (auto& rt : impl_->issuers) rt.store->refresh_if_due();
}

void verifier::start_background_refresh(std::chrono::milliseconds poll) {
    if (impl_->bg.joinable()) return;
    impl_->bg = std::jthread([this, poll](std::stop_token st) {
        while (!st.stop_requested()) {
            refresh_due_keys();
            std::unique_lock lk(impl_->bg_m);
            impl_->bg_cv.wait_for(lk, st, poll, [] { return false; });
        }
    });
}

void verifier::stop_background_refresh() {
    if (!impl_->bg.joinable()) return;
    impl_->bg.request_stop();
    impl_->bg.join();
    impl_->bg = std::jthread();
}

bool verifier::ready() const {
    return std::all_of(impl_->issuers.begin(), impl_->issuers.end(),
                       [](const auto& rt) { return rt.store->loaded(); });
}

std::chrono::seconds verifier::retry_after() const noexcept { return impl_->retry; }

key_store& verifier::store_for(std::size_t i) { return *impl_->issuers.at(i).store; }

void verifier::clear_cache() {
    std::unique_lock lk(impl_->cache_m);
    impl_->cache.clear();
}

}  // namespace orgscim::oidc
