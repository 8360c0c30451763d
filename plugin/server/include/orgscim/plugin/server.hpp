#pragma once
// The Boost.Beast host behind `orgscim serve`: HTTP/1.1 with keep-alive, header and body limits,
// per-read deadlines and graceful shutdown, translating each request onto app::handle.

#include <memory>
#include <orgscim/plugin/app.hpp>
#include <orgscim/plugin/config.hpp>
#include <string>

namespace orgscim::plugin {

class http_server {
  public:
    /// Binds and listens on cfg.listen (port 0 picks a free port). Throws startup_error when the
    /// address cannot be resolved or bound.
    explicit http_server(const server_config& cfg);
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /// The bound address, "127.0.0.1:41234" or "[::1]:41234".
    std::string local_address() const;

    /// Serves `a` on server.threads threads (the caller's among them) until stop() or, with
    /// `handle_signals`, SIGINT/SIGTERM. Logs {"msg":"listening","address":...} first. Returns
    /// after in-flight requests finished or shutdown_grace_ms passed.
    void run(std::shared_ptr<app> a, bool handle_signals);

    /// Graceful stop: closes the listener and idle connections, lets requests in flight finish
    /// (with Connection: close) for up to shutdown_grace_ms. Thread-safe, idempotent.
    void stop();

  private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace orgscim::plugin
