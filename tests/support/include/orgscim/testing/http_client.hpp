#pragma once
// Test support: a blocking HTTP/1.1 keep-alive client for loopback servers (Boost.Beast).

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace orgscim::testing {

struct http_reply {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// First header with this name (case-insensitive), or "".
    std::string header(std::string_view name) const;
};

class http_client {
  public:
    http_client(std::string host, unsigned short port);
    ~http_client();
    /// Sends one request on the kept-alive connection (reconnecting if the server closed it).
    /// Throws std::runtime_error on transport failure.
    http_reply request(const std::string& method,
                       const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       const std::string& body = {});

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Percent-encodes what a query string cannot carry raw (space, quotes, ...), keeping & and =.
std::string encode_query(std::string_view target);

}  // namespace orgscim::testing
