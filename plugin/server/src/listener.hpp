#pragma once
// Accepts connections and hands each to an http_session on the next thread's io_context.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "server_impl.hpp"

namespace orgscim::plugin::server_detail {

class listener : public std::enable_shared_from_this<listener> {
  public:
    /// Opens, binds and listens. Throws startup_error.
    listener(server_impl& srv, const boost::asio::ip::tcp::endpoint& ep);
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    void start();
    /// Stops accepting; call on the io_context.
    void close();

  private:
    void accept();
    server_impl& srv_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
};

}  // namespace orgscim::plugin::server_detail
