#include <boost/json.hpp>
#include <functional>
#include <map>
#include <orgscim/oidc/config.hpp>
#include <set>

namespace orgscim::oidc {

namespace {

using boost::json::object;
using boost::json::value;

// Reads one object's members by name; whatever is left over at the end is an unknown key.
class reader {
  public:
    reader(const object& o, std::string path, std::vector<std::string>& errors)
        : o_(o), path_(std::move(path)), errors_(errors) {}

    ~reader() {
        for (const auto& kv : o_) {
            if (!seen_.contains(std::string(kv.key())))
                errors_.push_back(at(kv.key()) + ": unknown key");
        }
    }

    std::string at(std::string_view k) const { return path_ + "." + std::string(k); }
    void error(std::string_view k, std::string_view msg) {
        errors_.push_back(at(k) + ": " + std::string(msg));
    }
    bool has(std::string_view k) const { return o_.contains(k); }

    const value* get(std::string_view k) {
        seen_.insert(std::string(k));
        return o_.if_contains(k);
    }

    void str(std::string_view k, std::string& out) {
        if (const auto* v = get(k)) {
            if (v->is_string())
                out = std::string(v->as_string());
            else
                error(k, "expected string");
        }
    }

    void boolean(std::string_view k, bool& out) {
        if (const auto* v = get(k)) {
            if (v->is_bool())
                out = v->as_bool();
            else
                error(k, "expected boolean");
        }
    }

    template <class Int>
    void integer(std::string_view k, Int& out, std::int64_t lo, std::int64_t hi) {
        if (const auto* v = get(k)) {
            if (!v->is_int64() && !v->is_uint64()) {
                error(k, "expected integer");
                return;
            }
            const std::int64_t n =
                v->is_int64()
                    ? v->as_int64()
                    : static_cast<std::int64_t>(std::min<std::uint64_t>(v->as_uint64(), INT64_MAX));
            if (n < lo || n > hi) {
                error(k, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
                return;
            }
            out = static_cast<Int>(n);
        }
    }

    void strings(std::string_view k, std::vector<std::string>& out) {
        if (const auto* v = get(k)) {
            const auto* arr = v->if_array();
            if (!arr) {
                error(k, "expected array of strings");
                return;
            }
            std::vector<std::string> tmp;
            for (std::size_t i = 0; i < arr->size(); ++i) {
                if (!(*arr)[i].is_string()) {
                    errors_.push_back(at(k) + "[" + std::to_string(i) + "]: expected string");
                    return;
                }
                tmp.emplace_back((*arr)[i].as_string());
            }
            out = std::move(tmp);
        }
    }

    const std::string& path() const { return path_; }

  private:
    const object& o_;
    std::string path_;
    std::vector<std::string>& errors_;
    std::set<std::string> seen_;
};

bool is_loopback_url(std::string_view url) {
    for (std::string_view p : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
        if (url.starts_with(p)) {
            const auto rest = url.substr(p.size());
            if (rest.empty() || rest[0] == ':' || rest[0] == '/') return true;
        }
    }
    return false;
}

bool is_guid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

void load_claims(const value& v,
                 const std::string& path,
                 claim_mapping& m,
                 std::vector<std::string>& errors) {
    if (!v.is_object()) {
        errors.push_back(path + ": expected object");
        return;
    }
    reader r(v.as_object(), path, errors);
    r.str("roles", m.roles_claim);
    r.str("scope", m.scope_claim);
    r.str("groups", m.groups_claim);
    std::string identity;
    r.str("identity", identity);
    if (identity == "iss_sub") {
        m.identity = identity_key::iss_sub;
    } else if (identity == "tid_oid") {
        m.identity = identity_key::tid_oid;
    } else if (r.has("identity")) {
        r.error("identity", "must be \"iss_sub\" or \"tid_oid\"");
    }
    for (std::string_view n : {"roles", "scope", "groups"}) {
        const std::string& s = n == "roles"   ? m.roles_claim
                               : n == "scope" ? m.scope_claim
                                              : m.groups_claim;
        if (s.empty()) r.error(n, "must not be empty");
    }
    if (const auto* p = r.get("permissions")) {
        if (!p->is_object()) {
            r.error("permissions", "expected object");
        } else {
            reader pr(p->as_object(), path + ".permissions", errors);
            pr.strings("read", m.read);
            pr.strings("write", m.write);
            pr.strings("admin", m.admin);
        }
    }
}

void load_issuer(const value& v,
                 const std::string& path,
                 issuer_config& ic,
                 std::vector<std::string>& errors) {
    if (!v.is_object()) {
        errors.push_back(path + ": expected object");
        return;
    }
    reader r(v.as_object(), path, errors);
    r.str("org", ic.org);
    r.str("issuer", ic.issuer);
    std::string preset;
    r.str("preset", preset);
    r.str("tenant", ic.tenant);
    r.strings("tenants", ic.tenants);
    r.str("discovery_url", ic.discovery_url);
    r.str("jwks_uri", ic.jwks_uri);
    r.strings("audiences", ic.audiences);
    std::vector<std::string> algs;
    r.strings("allowed_algs", algs);
    r.strings("typ", ic.typ);
    r.boolean("allow_missing_typ", ic.allow_missing_typ);
    const bool explicit_authz = r.has("require_authz_claim");
    r.boolean("require_authz_claim", ic.require_authz_claim);
    r.strings("allowed_clients", ic.allowed_clients);
    r.integer("leeway_s", ic.leeway_s, 0, 300);
    r.integer("jwks_refresh_s", ic.jwks_refresh_s, 60, 86400);
    r.integer("jwks_retry_s", ic.jwks_retry_s, 1, 3600);
    r.integer("kid_miss_cooldown_s", ic.kid_miss_cooldown_s, 1, 3600);
    r.integer("http_timeout_ms", ic.http_timeout_ms, 100, 60000);
    r.integer("max_jwks_bytes", ic.max_jwks_bytes, 1024, 4 * 1024 * 1024);
    r.boolean("allow_http", ic.allow_http);
    r.boolean("trust_email", ic.trust_email);

    // Presets fill what Entra fixes; explicit keys still win (sovereign clouds use other hosts).
    const bool multi = ic.tenant == "multi-tenant";
    if (preset == "entra_v1" || preset == "entra_v2") {
        ic.preset = preset == "entra_v1" ? entra_preset::v1 : entra_preset::v2;
        if (ic.tenant.empty()) {
            r.error("tenant", "required with preset: a tenant GUID or \"multi-tenant\"");
        } else if (!multi && !is_guid(ic.tenant)) {
            r.error("tenant", "must be a lower-case tenant GUID or \"multi-tenant\"");
        }
        const std::string tid = multi ? "{tenantid}" : ic.tenant;
        const std::string meta_tid = multi ? "organizations" : ic.tenant;
        if (ic.issuer.empty()) {
            ic.issuer = ic.preset == entra_preset::v1
                            ? "https://sts.windows.net/" + tid + "/"
                            : "https://login.microsoftonline.com/" + tid + "/v2.0";
        }
        if (ic.discovery_url.empty() && ic.jwks_uri.empty()) {
            ic.discovery_url = "https://login.microsoftonline.com/" + meta_tid +
                               (ic.preset == entra_preset::v1 ? "" : "/v2.0") +
                               "/.well-known/openid-configuration";
        }
        ic.claims.scope_claim = "scp";
        ic.claims.identity = identity_key::tid_oid;
        if (!explicit_authz) ic.require_authz_claim = true;
        if (multi) ic.tenant.clear();
        // Entra lets users type any email; only xms_edov says the tenant verified the domain.
        if (ic.trust_email) r.error("trust_email", "not allowed with a preset (use xms_edov)");
    } else if (!preset.empty()) {
        r.error("preset", "must be \"entra_v1\" or \"entra_v2\"");
    } else {
        if (!explicit_authz) ic.require_authz_claim = false;
        if (r.has("tenant")) r.error("tenant", "only meaningful with a preset");
    }
    if (const auto* c = r.get("claims")) {
        if (ic.preset != entra_preset::none) {
            // Keep the preset's defaults unless the mapping overrides them.
            claim_mapping m = ic.claims;
            load_claims(*c, path + ".claims", m, errors);
            ic.claims = std::move(m);
        } else {
            load_claims(*c, path + ".claims", ic.claims, errors);
        }
    }

    if (ic.issuer.empty()) r.error("issuer", "required (or a preset)");
    if (ic.is_template()) {
        const auto first = ic.issuer.find("{tenantid}");
        if (ic.issuer.find("{tenantid}", first + 1) != std::string::npos)
            r.error("issuer", "at most one {tenantid}");
        if (!ic.org.empty() && ic.tenants.empty())
            r.error("tenants",
                    "required: a multi-tenant issuer bound to an org must list its "
                    "tenant ids");
    }
    for (std::size_t i = 0; i < ic.tenants.size(); ++i) {
        if (!is_guid(ic.tenants[i]))
            errors.push_back(path + ".tenants[" + std::to_string(i) + "]: expected tenant GUID");
    }
    if (!ic.discovery_url.empty() && !ic.jwks_uri.empty())
        r.error("jwks_uri", "give discovery_url or jwks_uri, not both");
    if (ic.discovery_url.empty() && ic.jwks_uri.empty() && !ic.issuer.empty()) {
        if (ic.is_template()) {
            r.error("discovery_url", "required for an issuer template");
        } else {
            std::string base = ic.issuer;
            if (!base.empty() && base.back() == '/') base.pop_back();
            ic.discovery_url = base + "/.well-known/openid-configuration";
        }
    }
    for (const auto& [key, url] :
         {std::pair<std::string_view, const std::string&>{"discovery_url", ic.discovery_url},
          {"jwks_uri", ic.jwks_uri}}) {
        if (url.empty()) continue;
        if (url.starts_with("https://")) continue;
        if (url.starts_with("http://") && ic.allow_http) {
            if (!is_loopback_url(url)) r.error(key, "allow_http is for loopback URLs only");
            continue;
        }
        r.error(key, "must be an https URL");
    }
    if (ic.audiences.empty()) r.error("audiences", "at least one audience is required");
    if (algs.empty()) r.error("allowed_algs", "at least one algorithm is required");
    ic.allowed_algs = {};
    for (std::size_t i = 0; i < algs.size(); ++i) {
        const std::string ip = path + ".allowed_algs[" + std::to_string(i) + "]";
        if (auto a = alg_from_string(algs[i])) {
            ic.allowed_algs.insert(*a);
        } else if (algs[i].starts_with("HS")) {
            errors.push_back(ip + ": HMAC algorithms are never accepted from an issuer");
        } else {
            errors.push_back(ip + ": unsupported algorithm \"" + algs[i] + "\"");
        }
    }
    if (ic.typ.empty() && !ic.allow_missing_typ)
        r.error("typ", "empty allowlist: no token could pass (set allow_missing_typ)");
}

}  // namespace

void load_config(const boost::json::value& v,
                 const std::string& path,
                 config& out,
                 std::vector<std::string>& errors) {
    if (!v.is_object()) {
        errors.push_back(path + ": expected object");
        return;
    }
    reader r(v.as_object(), path, errors);
    const auto* issuers = r.get("issuers");
    if (!issuers) return;
    if (!issuers->is_array()) {
        r.error("issuers", "expected array");
        return;
    }
    const auto& arr = issuers->as_array();
    out.issuers.clear();
    out.issuers.resize(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i)
        load_issuer(arr[i], path + ".issuers[" + std::to_string(i) + "]", out.issuers[i], errors);

    // One concrete issuer serves one org: otherwise which org a token belongs to is ambiguous.
    std::map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < out.issuers.size(); ++i) {
        const auto& ic = out.issuers[i];
        if (ic.issuer.empty()) continue;
        if (ic.is_template() && !ic.tenants.empty()) {
            for (const auto& t : ic.tenants) {
                auto [it, fresh] = seen.emplace(ic.issuer + "#" + t, i);
                if (!fresh)
                    errors.push_back(path + ".issuers[" + std::to_string(i) + "].tenants: tenant " +
                                     t + " already bound by issuers[" + std::to_string(it->second) +
                                     "]");
            }
            continue;
        }
        auto [it, fresh] = seen.emplace(ic.issuer + "#" + ic.tenant, i);
        if (!fresh)
            errors.push_back(path + ".issuers[" + std::to_string(i) +
                             "].issuer: duplicates issuers[" + std::to_string(it->second) + "]");
    }
}

}  // namespace orgscim::oidc
