#pragma once
// The port through which the key store fetches discovery documents and JWK Sets. Nothing here is
// transport-specific; oidc_curl implements it with libcurl, tests with fakes.

#include <chrono>
#include <cstddef>
#include <orgscim/oidc/error.hpp>
#include <string>

namespace orgscim::oidc {

struct fetch_request {
    std::string url;
    std::chrono::milliseconds timeout{5000};  ///< total; connect gets a share of it
    std::size_t max_bytes = 256 * 1024;       ///< larger bodies fail with fetch_too_large
    bool allow_http = false;                  ///< plain http (loopback test providers only)
};

struct fetch_response {
    int status = 0;
    std::string body;
};

class http_fetcher {
  public:
    virtual ~http_fetcher() = default;
    /// GET `req.url`. Errors: fetch_failed, fetch_too_large, insecure_url. A non-200 status is a
    /// response, not an error; the caller decides.
    virtual result<fetch_response> fetch(const fetch_request& req) = 0;
};

}  // namespace orgscim::oidc
