#include <algorithm>
#include <orgscim/oidc/discovery.hpp>
#include <orgscim/oidc/key_store.hpp>

namespace orgscim::oidc {

key_store::key_store(key_store_options opts, http_fetcher& fetcher, const clock& clk)
    : opts_(std::move(opts)), fetcher_(fetcher), clock_(clk), resolved_jwks_uri_(opts_.jwks_uri) {}

key_store::snapshot key_store::current() const {
    std::lock_guard lk(m_);
    return set_;
}

bool key_store::loaded() const { return current() != nullptr; }

std::size_t key_store::fetch_count() const {
    std::lock_guard lk(m_);
    return fetches_;
}

boost::system::error_code key_store::last_error() const {
    std::lock_guard lk(m_);
    return last_error_;
}

std::shared_ptr<const jwk> key_store::lookup(const snapshot& s, std::string_view kid) const {
    if (!s) return nullptr;
    if (kid.empty()) {
        // No kid: acceptable only when there is nothing to choose between.
        if (s->keys.size() != 1) return nullptr;
        return std::shared_ptr<const jwk>(s, &s->keys.front());
    }
    const jwk* k = s->find(kid);
    return k ? std::shared_ptr<const jwk>(s, k) : nullptr;
}

result<key_store::snapshot> key_store::fetch_set(std::string& jwks_uri) {
    fetch_request req;
    req.timeout = opts_.timeout;
    req.max_bytes = opts_.max_bytes;
    req.allow_http = opts_.allow_http;
    if (jwks_uri.empty()) {
        req.url = opts_.discovery_url;
        {
            std::lock_guard lk(m_);
            ++fetches_;
        }
        auto r = fetcher_.fetch(req);
        if (!r) return r.error();
        if (r->status != 200) return errc::fetch_http_status;
        auto uri = parse_discovery(r->body, opts_.issuer, opts_.allow_http);
        if (!uri) return uri.error();
        jwks_uri = std::move(*uri);
    }
    if (!url_scheme_allowed(jwks_uri, opts_.allow_http)) return errc::insecure_url;
    req.url = jwks_uri;
    {
        std::lock_guard lk(m_);
        ++fetches_;
    }
    auto r = fetcher_.fetch(req);
    if (!r) return r.error();
    if (r->status != 200) return errc::fetch_http_status;
    auto set = parse_jwk_set(r->body, opts_.allowed_algs);
    if (!set) return set.error();
    return std::make_shared<const jwk_set>(std::move(*set));
}

boost::system::error_code key_store::refresh_locked(std::unique_lock<std::mutex>& lk) {
    if (in_flight_) {
        // Single flight: wait (bounded) for the fetch already running instead of starting another.
        cv_.wait_for(lk, opts_.timeout * 2 + std::chrono::seconds(1), [&] { return !in_flight_; });
        return last_error_;
    }
    in_flight_ = true;
    attempted_ = true;
    last_attempt_ = clock_.now();
    std::string uri = resolved_jwks_uri_;
    lk.unlock();
    auto r = fetch_set(uri);
    lk.lock();
    in_flight_ = false;
    const auto now = clock_.now();
    if (r) {
        set_ = std::move(*r);
        resolved_jwks_uri_ = std::move(uri);
        // Refresh ahead of expiry (at 90%) so that requests never find the set stale.
        next_refresh_ = now + opts_.refresh - opts_.refresh / 10;
        last_error_ = {};
    } else {
        // Stale-if-error: set_ stays as it was.
        next_refresh_ = now + opts_.retry;
        last_error_ = r.error();
    }
    cv_.notify_all();
    return last_error_;
}

boost::system::error_code key_store::refresh() {
    std::unique_lock lk(m_);
    return refresh_locked(lk);
}

void key_store::refresh_if_due() {
    std::unique_lock lk(m_);
    if (in_flight_) return;
    const auto now = clock_.now();
    if (!attempted_ || now >= next_refresh_) refresh_locked(lk);
}

result<std::shared_ptr<const jwk>> key_store::find(std::string_view kid) {
    std::unique_lock lk(m_);
    const auto now = clock_.now();
    if (!set_) {
        if (in_flight_ || !attempted_ || now >= next_refresh_) refresh_locked(lk);
        if (!set_) return errc::keys_unavailable;
    } else if (now >= next_refresh_ && !in_flight_) {
        // Lazy refresh when no background thread got there first; one request pays for it.
        refresh_locked(lk);
    }
    if (auto k = lookup(set_, kid)) return k;

    auto neg = negative_.find(kid);
    if (neg != negative_.end()) {
        if (now < neg->second) return errc::unknown_kid;
        negative_.erase(neg);
    }
    // A miss refetches at most once per cooldown, counted from the last attempt of any kind.
    if (in_flight_) {
        refresh_locked(lk);
    } else if (now - last_attempt_ >= opts_.kid_miss_cooldown) {
        refresh_locked(lk);
    } else {
        return errc::unknown_kid;
    }
    if (auto k = lookup(set_, kid)) return k;
    if (negative_.size() >= opts_.negative_max) {
        std::erase_if(negative_, [&](const auto& e) { return e.second <= now; });
        if (negative_.size() >= opts_.negative_max) {
            negative_.erase(
                std::min_element(negative_.begin(), negative_.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; }));
        }
    }
    negative_.emplace(std::string(kid), now + opts_.negative_ttl);
    return errc::unknown_kid;
}

}  // namespace orgscim::oidc
