#include "identity.hpp"

#include <boost/json.hpp>
#include <condition_variable>
#include <curl_fetcher.hpp>
#include <mutex>
#include <orgscim/oidc/verifier.hpp>
#include <thread>
#include <token_issuer.hpp>
#include <unordered_map>

#include "log.hpp"
#include "responses.hpp"

namespace orgscim::plugin {

namespace {

// How long a verified token's client lookup is reused. The verifier caches results for up to
// five minutes anyway; this only keeps a database read off every request.
constexpr auto client_cache_ttl = std::chrono::seconds(10);

// The token endpoint must see a revoked client or a new secret at once, so its lookups skip
// the cache (set for the duration of handle_token_request on this thread).
thread_local bool fresh_lookup = false;

oidc::time_point from_ms(std::int64_t ms) {
    return oidc::time_point(std::chrono::milliseconds(ms));
}

// oauth_store -> the issuer's client_directory, with a short cache for token verification.
class store_directory final : public oidc::client_directory {
  public:
    explicit store_directory(oauth_store& store) : store_(store) {}

    std::optional<oidc::oauth_client> find_client(std::string_view client_id) override {
        const auto now = std::chrono::steady_clock::now();
        if (!fresh_lookup) {
            std::lock_guard lk(mu_);
            const auto it = cache_.find(std::string(client_id));
            if (it != cache_.end() && it->second.until > now) return it->second.client;
        }
        auto r = store_.find_client(client_id);
        if (!r && r.error() != store_errc::not_found) {
            log_warn("oauth client lookup failed", {{"client_id", client_id}});
            return std::nullopt;  // not cached: the next request tries again
        }
        std::optional<oidc::oauth_client> out;
        if (r) {
            oidc::oauth_client c;
            c.client_id = r->client_id;
            c.org = r->org_id;
            c.permissions = r->permissions;
            c.disabled = r->revoked_ms.has_value();
            for (const auto& s : r->secrets) {
                c.secrets.push_back(
                    {s.id, s.hash,
                     s.expires_ms ? from_ms(*s.expires_ms) : oidc::time_point::max()});
            }
            for (const auto& f : r->federated) c.federated.push_back({f.issuer, f.subject});
            out = std::move(c);
        }
        std::lock_guard lk(mu_);
        if (cache_.size() > 10000) cache_.clear();
        cache_[std::string(client_id)] = {now + client_cache_ttl, out};
        return out;
    }

  private:
    struct entry {
        std::chrono::steady_clock::time_point until;
        std::optional<oidc::oauth_client> client;
    };
    oauth_store& store_;
    std::mutex mu_;
    std::unordered_map<std::string, entry> cache_;
};

std::string header(const scim::header_list& h, std::string_view name) {
    for (const auto& [k, v] : h) {
        if (k == name) return v;
    }
    return {};
}

auth_failure failure_for(oidc::errc e, std::chrono::seconds retry_after) {
    std::string reason = "jwt: ";
    reason += oidc::to_string(e);
    switch (oidc::http_status(e)) {
        case 400:
            return invalid_request(std::move(reason));
        case 403:
            return insufficient_scope(std::move(reason));
        case 503: {
            auto f = auth_unavailable(std::move(reason));
            f.retry_after_s = static_cast<int>(std::max<std::int64_t>(1, retry_after.count()));
            return f;
        }
        default:
            return invalid_token(std::move(reason));
    }
}

// The keys orgscim signs with: every unretired key in the database, oldest first; the newest
// signs, the older ones stay published and valid (rotation overlap). The first instance on an
// empty database creates one; instances starting together converge on what the table holds.
std::vector<oidc::signing_key> load_signing_keys(oauth_store& store) {
    auto keys = store.signing_keys();
    if (keys && keys->empty()) {
        auto k = oidc::signing_key::generate(oidc::alg::es256,
                                             "k" + oidc::generate_client_id().substr(3, 16));
        (void)store.add_signing_key({k.kid(), "ES256", k.private_pem(), 0});
        keys = store.signing_keys();
    }
    if (!keys || keys->empty()) throw startup_error("cannot load the token-signing keys");
    std::vector<oidc::signing_key> out;
    for (const auto& k : *keys) {
        const auto a = oidc::alg_from_string(k.alg);
        if (!a) throw startup_error("token-signing key " + k.kid + ": unknown alg " + k.alg);
        out.push_back(oidc::signing_key::from_pem(k.private_pem, *a, k.kid));
    }
    return out;
}

}  // namespace

struct identity::impl {
    oidc::curl_fetcher fetcher;
    // The external issuers: config.oidc plus those added with `orgscim issuers add`, replaced as
    // a whole when the stored ones change (requests in flight keep the one they took).
    struct trusted {
        std::unique_ptr<oidc::verifier> verifier;
        bool any = false;
        std::vector<std::string> stored_ids;
        ~trusted() {
            if (verifier) verifier->stop_background_refresh();
        }
    };
    oidc::config base;  // config.oidc
    std::shared_ptr<trusted> external;
    std::shared_ptr<trusted> current() const { return std::atomic_load(&external); }
    std::jthread reloader;
    std::mutex reload_mu;
    std::condition_variable_any reload_cv;

    // config.oidc + the stored issuers; a stored entry that no longer validates is skipped with
    // a log line (it was validated when added).
    std::shared_ptr<trusted> build(const std::vector<trusted_issuer_record>& stored) {
        auto t = std::make_shared<trusted>();
        oidc::config all = base;
        for (const auto& r : stored) {
            boost::system::error_code ec;
            auto v = boost::json::parse(r.entry, ec);
            std::vector<std::string> errors;
            oidc::config one;
            if (!ec) {
                oidc::load_config(boost::json::object{{"issuers", boost::json::array{v}}},
                                  "issuer " + r.id, one, errors);
            }
            if (ec || !errors.empty() || one.issuers.size() != 1) {
                log_warn("stored issuer skipped",
                         {{"id", r.id}, {"reason", errors.empty() ? "bad JSON" : errors.front()}});
                continue;
            }
            all.issuers.push_back(std::move(one.issuers.front()));
            t->stored_ids.push_back(r.id);
        }
        t->any = !all.issuers.empty();
        t->verifier = std::make_unique<oidc::verifier>(all, fetcher);
        if (t->any) t->verifier->start_background_refresh();
        return t;
    }

    void reload_stored() {
        auto stored = store->list_issuers();
        if (!stored) return;  // database away: keep what we have
        std::vector<std::string> ids;
        for (const auto& r : *stored) ids.push_back(r.id);
        if (ids == current()->stored_ids) return;
        std::atomic_store(&external, build(*stored));
        std::lock_guard lk(callers_mu);
        callers.clear();  // a removed issuer's tokens must stop working now
        log_info("trusted issuers reloaded", {{"stored", std::to_string(ids.size())}});
    }
    std::unique_ptr<oauth_store> store;
    std::unique_ptr<store_directory> directory;
    std::unique_ptr<oidc::token_issuer> issuer;

    // The mapped caller per exact token, for at most client_cache_ttl and never past exp: a
    // repeated token costs one map lookup instead of hash + principal + client lookups.
    struct cached_caller {
        scim::caller who;
        std::chrono::steady_clock::time_point until;
    };
    std::mutex callers_mu;
    std::unordered_map<std::string, cached_caller> callers;
};

std::string identity::issuer_url(const config& cfg) { return cfg.public_base_url + cfg.base_path; }

std::string identity::audience(const config& cfg) { return issuer_url(cfg) + "/scim/v2"; }

identity::identity(const config& cfg, std::unique_ptr<oauth_store> store)
    : impl_(std::make_unique<impl>()) {
    impl_->base = cfg.oidc;
    std::vector<trusted_issuer_record> stored;
    if (store) {
        if (auto r = store->list_issuers()) stored = std::move(*r);
    }
    impl_->external = impl_->build(stored);
    if (store) {
        impl_->store = std::move(store);
        impl_->directory = std::make_unique<store_directory>(*impl_->store);
        auto keys = load_signing_keys(*impl_->store);
        oidc::issuer_settings s;
        s.issuer = issuer_url(cfg);
        s.audience = audience(cfg);
        // Assertions (RFC 7523) come from the same trusted issuers as access tokens; their
        // audiences must list the assertion audience (Entra: api://AzureADTokenExchange).
        s.assertion_issuers = cfg.oidc;
        impl_->issuer = std::make_unique<oidc::token_issuer>(std::move(s), keys.front(),
                                                             *impl_->directory, impl_->fetcher);
        for (std::size_t i = 1; i < keys.size(); ++i) impl_->issuer->rotate(keys[i]);
        // Issuers added or removed with the CLI (on any instance) arrive here without a restart.
        impl_->reloader = std::jthread([this](std::stop_token st) {
            while (!st.stop_requested()) {
                {
                    std::unique_lock lk(impl_->reload_mu);
                    impl_->reload_cv.wait_for(lk, st, issuer_reload_interval, [] { return false; });
                }
                if (!st.stop_requested()) impl_->reload_stored();
            }
        });
    }
}

identity::~identity() {
    if (impl_ && impl_->reloader.joinable()) {
        impl_->reloader.request_stop();
        impl_->reload_cv.notify_all();
        impl_->reloader.join();
    }
}

auth_result identity::verify(std::string_view token) const {
    const auto steady_now = std::chrono::steady_clock::now();
    {
        std::lock_guard lk(impl_->callers_mu);
        const auto it = impl_->callers.find(std::string(token));
        if (it != impl_->callers.end()) {
            if (it->second.until > steady_now) return it->second.who;
            impl_->callers.erase(it);
        }
    }
    const auto ext = impl_->current();
    oidc::result<oidc::principal> p = oidc::errc::unknown_issuer;
    bool own = false;
    if (impl_->issuer) {
        p = impl_->issuer->verify(token);
        own = p.has_value() || p.error() != oidc::errc::unknown_issuer;
    }
    if (!own) {
        if (!ext->any) return invalid_token("jwt: no trusted issuer configured");
        p = ext->verifier->verify(token);
    }
    if (!p) return failure_for(p.error(), ext->verifier->retry_after());

    scim::caller who;
    who.credential_id = own ? "client:" + p->client_id : "jwt:" + p->key;
    auto refused = [&](std::string reason) {
        auto f = insufficient_scope(std::move(reason), who.credential_id);
        if (!own) f.subject = p->key;  // a person, whose roles may still decide (app.cpp)
        return f;
    };
    if (p->org.empty()) return refused("jwt: issuer " + p->issuer + " is bound to no organization");
    if (p->permissions == 0) return refused("jwt: token carries no SCIM permission");
    who.tenant = p->org;
    who.subject = own ? "client:" + p->client_id : p->key;
    who.can_read = p->has(oidc::perm_read) || p->has(oidc::perm_write);
    who.can_write = p->has(oidc::perm_write);
    who.can_admin = p->has(oidc::perm_admin);

    const auto left = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        p->expires_at - std::chrono::system_clock::now());
    if (left > std::chrono::steady_clock::duration::zero()) {
        std::lock_guard lk(impl_->callers_mu);
        if (impl_->callers.size() >= 50000) impl_->callers.clear();
        impl_->callers[std::string(token)] = {
            who,
            steady_now + std::min<std::chrono::steady_clock::duration>(left, client_cache_ttl)};
    }
    return who;
}

person_result identity::verify_person(std::string_view token) const {
    const auto ext = impl_->current();
    if (!ext->any) return invalid_token("jwt: no trusted issuer configured");
    auto p = ext->verifier->verify(token);
    if (!p) {
        if (impl_->issuer && p.error() == oidc::errc::unknown_issuer &&
            impl_->issuer->verify(token))
            return invalid_token("jwt: orgscim's client tokens do not sign a person in");
        return failure_for(p.error(), ext->verifier->retry_after());
    }
    signed_in_person who;
    // The key the verifier chose (iss|sub or tid|oid) splits at its first '|': issuers and
    // tenant ids never contain one.
    const auto bar = p->key.find('|');
    who.issuer = p->key.substr(0, bar);
    who.subject = p->key.substr(bar + 1);
    who.email = p->email;
    who.email_verified = p->email_verified;
    who.name = p->name;
    who.credential_id = "jwt:" + p->key;
    return who;
}

bool identity::ready() const {
    const auto ext = impl_->current();
    return !ext->any || ext->verifier->ready();
}

bool identity::issues_tokens() const noexcept { return impl_->issuer != nullptr; }

scim::response identity::token_endpoint(const http_request& req) {
    struct guard {
        guard() { fresh_lookup = true; }
        ~guard() { fresh_lookup = false; }
    } g;
    auto t = impl_->issuer->handle_token_request(header(req.headers, "authorization"),
                                                 header(req.headers, "content-type"), req.body);
    scim::response r;
    r.status = t.status;
    r.body = std::move(t.body);
    for (auto& h : t.headers) r.headers.push_back(std::move(h));
    return r;
}

scim::response identity::jwks() const {
    auto r = json_response(200, impl_->issuer->jwks_json());
    r.headers.emplace_back("Cache-Control", "max-age=300");
    return r;
}

scim::response identity::discovery() const {
    return json_response(200, impl_->issuer->discovery_json());
}

}  // namespace orgscim::plugin
