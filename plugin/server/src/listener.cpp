#include "listener.hpp"

#include <chrono>

#include "http_session.hpp"
#include "log.hpp"

namespace orgscim::plugin::server_detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

listener::listener(server_impl& srv, const tcp::endpoint& ep)
    : srv_(srv), acceptor_(srv.ioc()), backoff_(srv.ioc()) {
    boost::system::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw startup_error("cannot listen on " + ep.address().to_string() + ":" +
                            std::to_string(ep.port()) + ": " + ec.message());
    }
}

tcp::endpoint listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void listener::start() { accept(); }

void listener::close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
}

void listener::accept() {
    acceptor_.async_accept(
        srv_.next_context(),
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !self->acceptor_.is_open() ||
                self->srv_.stopping.load()) {
                return;
            }
            if (ec) {
                // Out of descriptors and the like: back off instead of spinning.
                log_warn("accept failed", {{"error", ec.message()}});
                self->backoff_.expires_after(std::chrono::milliseconds(50));
                self->backoff_.async_wait([self](boost::system::error_code wec) {
                    if (!wec) self->accept();
                });
                return;
            }
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            std::make_shared<http_session>(std::move(socket), self->srv_)->start();
            self->accept();
        });
}

}  // namespace orgscim::plugin::server_detail
