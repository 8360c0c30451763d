#pragma once
// One HTTP/1.1 connection: wait for a request (idle deadline), read it whole (read deadline,
// header and body limits), answer through app::handle, repeat while keep-alive.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>
#include <orgscim/plugin/app.hpp>
#include <orgscim/scim/error.hpp>

#include "server_impl.hpp"

namespace orgscim::plugin::server_detail {

class http_session : public std::enable_shared_from_this<http_session> {
  public:
    http_session(boost::asio::ip::tcp::socket&& socket, server_impl& srv);
    ~http_session();
    void start();
    /// Called on shutdown from any thread: an idle connection is closed now, a busy one after
    /// its response.
    void shutdown();

  private:
    void wait_for_request();
    void on_first_bytes(boost::beast::error_code ec, std::size_t n);
    void read_request();
    void on_read(boost::beast::error_code ec);
    void handle_request();
    scim::response call_application();
    /// From a writer thread: respond() on the connection's own thread.
    void answer_from_writer(scim::response out, unsigned version, bool keep_alive);
    void respond(scim::response out, unsigned version, bool keep_alive);
    void write_response(bool keep_alive);
    void on_write(boost::beast::error_code ec, bool keep_alive);
    void fail_and_close(const scim::error& e);
    void drain();
    void close();

    boost::beast::tcp_stream stream_;
    server_impl& srv_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    boost::beast::http::response<boost::beast::http::string_body> res_;
    http_request req_;  // reused across requests so its strings keep their capacity
    std::string remote_;
    bool idle_ = false;
    bool head_ = false;
    std::size_t drained_ = 0;
};

}  // namespace orgscim::plugin::server_detail
