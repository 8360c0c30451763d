#pragma once
// Per-issuer JWKS cache: readers take an immutable snapshot; at most one fetch in flight; refresh
// at 90% of jwks_refresh_s (jwks_retry_s after a failure); an unknown kid triggers at most one
// refetch per kid_miss_cooldown_s and then lands in a bounded negative cache; a failed fetch or a
// set with no usable key keeps the last good set.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <orgscim/oidc/clock.hpp>
#include <orgscim/oidc/error.hpp>
#include <orgscim/oidc/http_fetcher.hpp>
#include <orgscim/oidc/jwk.hpp>
#include <string>
#include <string_view>

namespace orgscim::oidc {

struct key_store_options {
    std::string issuer;         ///< expected discovery issuer (templates compare as text)
    std::string discovery_url;  ///< used when jwks_uri is empty
    std::string jwks_uri;
    alg_set allowed_algs;
    std::chrono::seconds refresh{3600};
    std::chrono::seconds retry{30};
    std::chrono::seconds kid_miss_cooldown{30};
    std::chrono::seconds negative_ttl{300};
    std::size_t negative_max = 1024;
    std::chrono::milliseconds timeout{5000};
    std::size_t max_bytes = 256 * 1024;
    bool allow_http = false;
};

class key_store {
  public:
    /// `fetcher` and `clk` must outlive the store. Nothing is fetched until first use or refresh().
    key_store(key_store_options opts, http_fetcher& fetcher, const clock& clk);

    /// The key for `kid` ("" matches only a single-key set). May fetch: the first load, a due
    /// refresh, or one refetch on a miss outside the cooldown. Errors: keys_unavailable (never
    /// loaded), unknown_kid.
    result<std::shared_ptr<const jwk>> find(std::string_view kid);

    /// Fetches now unless a fetch is in flight (then waits for it). Returns the outcome of the
    /// fetch that ran (fetch_*, bad_*, no_usable_keys, …) or an empty optional-like success.
    boost::system::error_code refresh();

    /// Refreshes when due: at 90% of `refresh` after a success, `retry` after a failure.
    void refresh_if_due();

    bool loaded() const;
    /// Fetch attempts so far (discovery and JWKS each count), for tests and metrics.
    std::size_t fetch_count() const;
    /// The last fetch error (empty after a success).
    boost::system::error_code last_error() const;
    const key_store_options& options() const noexcept { return opts_; }

  private:
    using snapshot = std::shared_ptr<const jwk_set>;
    snapshot current() const;
    boost::system::error_code refresh_locked(std::unique_lock<std::mutex>& lk);
    result<snapshot> fetch_set(std::string& jwks_uri);
    std::shared_ptr<const jwk> lookup(const snapshot& s, std::string_view kid) const;

    key_store_options opts_;
    http_fetcher& fetcher_;
    const clock& clock_;

    mutable std::mutex m_;
    std::condition_variable cv_;
    snapshot set_;
    std::string resolved_jwks_uri_;
    bool in_flight_ = false;
    bool attempted_ = false;
    time_point last_attempt_{};
    time_point next_refresh_{};
    std::size_t fetches_ = 0;
    boost::system::error_code last_error_;
    std::map<std::string, time_point, std::less<>> negative_;
};

}  // namespace orgscim::oidc
