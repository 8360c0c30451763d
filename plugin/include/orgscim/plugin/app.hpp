#pragma once
// The product behind every host: builds storage, authentication and the SCIM service from one
// validated configuration, and answers HTTP-shaped requests. The Beast server, the C ABI and the
// Glewlwyd module are thin translations onto app::handle.

#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/scim/message.hpp>
#include <string>

namespace orgscim::plugin {

/// A request as a host received it: the target is the raw, still percent-encoded request target
/// ("/o/abc/scim/v2/Users?filter=userName%20eq%20%22x%22").
struct http_request {
    std::string method;
    std::string target;
    scim::header_list headers;  ///< names in lower case
    std::string body;
    std::string remote_addr;
};

class app {
  public:
    /// Opens storage (applying migrations) and builds every service. Throws startup_error with a
    /// one-line message when the database cannot be opened or migrated.
    static std::shared_ptr<app> create(const config& cfg);
    /// create() for a database that may come up after the server (PostgreSQL): when the first
    /// attempt fails it returns at once anyway, and until the database is reached (retried with
    /// backoff, each failure logged) /healthz answers 200, /readyz and every other route 503 with
    /// Retry-After. SQLite opens at once as create() does. Throws startup_error only for what
    /// retrying cannot fix (the URI variable unset).
    static std::shared_ptr<app> create_when_reachable(const config& cfg);
    virtual ~app() = default;

    /// Thread-safe; never throws (unexpected failures become 500 and a log line).
    virtual scim::response handle(const http_request& req) = 0;

    /// True once storage is reachable and the first JWKS fetches are done (for /readyz).
    virtual bool ready() const = 0;

    virtual const config& configuration() const = 0;
};

}  // namespace orgscim::plugin
