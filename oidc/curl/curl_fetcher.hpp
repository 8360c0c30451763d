#pragma once
// http_fetcher over libcurl: the only oidc/ files that see curl. HTTPS with certificate checks,
// plain http only when the request allows it (loopback test providers), no redirects, a body cap
// enforced while streaming, connect and total timeouts.

#include <chrono>
#include <orgscim/oidc/http_fetcher.hpp>
#include <string>

namespace orgscim::oidc {

class curl_fetcher final : public http_fetcher {
  public:
    struct options {
        std::chrono::milliseconds connect_timeout{2500};  ///< capped by the request's total timeout
        std::string ca_file;  ///< extra trust anchors (tests); empty = system store
        std::string user_agent = "orgscim-oidc";
    };

    curl_fetcher();
    explicit curl_fetcher(options opts);

    /// GET with redirects refused (a 3xx comes back as a response). Errors: insecure_url,
    /// fetch_too_large, fetch_failed (DNS, connect, TLS, timeout). Thread-safe.
    result<fetch_response> fetch(const fetch_request& req) override;

  private:
    options opts_;
};

}  // namespace orgscim::oidc
