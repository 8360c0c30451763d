#pragma once
// The bearer-token verifier: strict compact JWS, JOSE header allowlist, issuer selection (Entra
// {tenantid} templates), key by kid from the issuer's key store, EVP_DigestVerify, then claims.
// Verified tokens are cached by SHA-256 of the token until min(exp, now + 5 min).

#include <chrono>
#include <memory>
#include <orgscim/oidc/clock.hpp>
#include <orgscim/oidc/config.hpp>
#include <orgscim/oidc/error.hpp>
#include <orgscim/oidc/http_fetcher.hpp>
#include <orgscim/oidc/principal.hpp>
#include <string_view>

namespace orgscim::oidc {

class key_store;

class verifier {
  public:
    /// `cfg` must have passed load_config. `fetcher` and `clk` must outlive the verifier.
    verifier(const config& cfg, http_fetcher& fetcher, const clock& clk = system_clock::instance());
    ~verifier();
    verifier(const verifier&) = delete;
    verifier& operator=(const verifier&) = delete;

    /// Verifies a compact JWS access token. Errors: see errc; http_status(e) gives 401 for every
    /// token problem, 400 for empty_token, 503 (keys_unavailable) when the issuer's keys were
    /// never loaded. Thread-safe.
    result<principal> verify(std::string_view token);

    /// Starts a thread that loads every issuer's keys now and refreshes them before expiry.
    /// Optional: without it keys load lazily on first use. Stopped by the destructor.
    void start_background_refresh(std::chrono::milliseconds poll = std::chrono::seconds(1));
    void stop_background_refresh();

    /// One pass of what the background thread does (tests drive it with a settable clock).
    void refresh_due_keys();

    /// True when every issuer's keys have been loaded at least once (for /readyz).
    bool ready() const;

    /// Seconds for Retry-After when verify() returned keys_unavailable.
    std::chrono::seconds retry_after() const noexcept;

    /// The key store serving `issuer_index` (config order), for tests and metrics.
    key_store& store_for(std::size_t issuer_index);

    /// Drops every cached verification result.
    void clear_cache();

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace orgscim::oidc
