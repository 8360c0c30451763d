#pragma once
// Shared pieces of the oidc unit tests: a scripted fetcher (a real server cannot fail, stall or
// change its key set on demand at an exact moment), and errc names for table-driven fixtures.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <orgscim/oidc/error.hpp>
#include <orgscim/oidc/http_fetcher.hpp>
#include <string>
#include <thread>

namespace orgscim::oidc::testing {

class fake_fetcher final : public http_fetcher {
  public:
    struct route {
        std::optional<errc> error;
        int status = 200;
        std::string body;
    };

    void set(const std::string& url, std::string body, int status = 200) {
        std::lock_guard lk(m_);
        routes_[url] = route{std::nullopt, status, std::move(body)};
    }
    void fail(const std::string& url, errc e) {
        std::lock_guard lk(m_);
        routes_[url] = route{e, 0, {}};
    }
    void delay(std::chrono::milliseconds d) { delay_ = d; }

    result<fetch_response> fetch(const fetch_request& req) override {
        ++count_;
        {
            std::lock_guard lk(m_);
            ++per_url_[req.url];
        }
        if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
        std::lock_guard lk(m_);
        auto it = routes_.find(req.url);
        if (it == routes_.end()) return errc::fetch_failed;
        if (it->second.error) return *it->second.error;
        if (it->second.body.size() > req.max_bytes) return errc::fetch_too_large;
        return fetch_response{it->second.status, it->second.body};
    }

    std::size_t count() const { return count_; }
    std::size_t count(const std::string& url) const {
        std::lock_guard lk(m_);
        auto it = per_url_.find(url);
        return it == per_url_.end() ? 0 : it->second;
    }

  private:
    mutable std::mutex m_;
    std::map<std::string, route> routes_;
    std::map<std::string, std::size_t> per_url_;
    std::atomic<std::size_t> count_{0};
    std::chrono::milliseconds delay_{0};
};

// clang-format 14 is not idempotent on this X-macro: keep it out of formatting.
// clang-format off
#define ORGSCIM_OIDC_ERRCS(X) \
    X(empty_token) \
    X(token_too_large) \
    X(malformed) \
    X(bad_base64) \
    X(bad_json) \
    X(duplicate_member) \
    X(bad_header) \
    X(forbidden_header) \
    X(alg_not_allowed) \
    X(typ_not_allowed) \
    X(unknown_issuer) \
    X(tenant_mismatch) \
    X(unknown_kid) \
    X(key_alg_mismatch) \
    X(bad_signature) \
    X(missing_claim) \
    X(bad_claim) \
    X(expired) \
    X(not_yet_valid) \
    X(issued_in_future) \
    X(wrong_audience) \
    X(not_access_token) \
    X(wrong_token_version) \
    X(client_not_allowed) \
    X(insufficient_scope) \
    X(keys_unavailable) \
    X(fetch_failed) \
    X(fetch_too_large) \
    X(fetch_http_status) \
    X(insecure_url) \
    X(bad_discovery) \
    X(discovery_issuer_mismatch) \
    X(bad_jwks) \
    X(no_usable_keys)
// clang-format on

inline const std::map<std::string, errc>& errc_by_name() {
#define ORGSCIM_OIDC_NAME(e) {#e, errc::e},
    static const std::map<std::string, errc> m{ORGSCIM_OIDC_ERRCS(ORGSCIM_OIDC_NAME)};
#undef ORGSCIM_OIDC_NAME
    return m;
}

}  // namespace orgscim::oidc::testing
