#include "http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <exception>

#include "log.hpp"
#include "request_coroutine.hpp"

namespace orgscim::plugin::server_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using std::chrono::milliseconds;

namespace {

// After an error answer, read and discard at most this much so the client sees the answer
// rather than a reset caused by unread data.
constexpr std::size_t drain_limit = 4u << 20;
constexpr unsigned drain_ms = 2000;

void lower_into(std::string& out, beast::string_view s) {
    out.assign(s.data(), s.size());
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
}

}  // namespace

http_session::http_session(asio::ip::tcp::socket&& socket, server_impl& srv)
    : stream_(std::move(socket)), srv_(srv) {
    boost::system::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
        remote_ =
            ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
        remote_ += ':';
        remote_ += std::to_string(ep.port());
    }
}

http_session::~http_session() { srv_.remove_session(this); }

void http_session::start() {
    srv_.add_session(this, weak_from_this());
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->wait_for_request(); });
}

void http_session::shutdown() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        if (self->idle_) self->stream_.cancel();
    });
}

void http_session::wait_for_request() {
    if (srv_.stopping.load(std::memory_order_relaxed)) return close();
    if (buffer_.size() > 0) return read_request();  // pipelined request already buffered
    idle_ = true;
    stream_.expires_after(milliseconds(srv_.cfg.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(8192),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                self->on_first_bytes(ec, n);
                            });
}

void http_session::on_first_bytes(beast::error_code ec, std::size_t n) {
    idle_ = false;
    if (ec) return close();
    buffer_.commit(n);
    read_request();
}

void http_session::read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_.cfg.max_header_bytes));
    parser_->body_limit(srv_.cfg.max_body_bytes);
    // One deadline for the whole request, from its first byte: a client trickling bytes
    // (slowloris) cannot extend it.
    stream_.expires_after(milliseconds(srv_.cfg.read_timeout_ms));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void http_session::on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
        return fail_and_close(scim::error::payload_too_large(
            "request body exceeds " + std::to_string(srv_.cfg.max_body_bytes) + " bytes"));
    }
    if (ec == http::error::header_limit) {
        scim::error e{
            431, scim::scim_type::none,
            "request headers exceed " + std::to_string(srv_.cfg.max_header_bytes) + " bytes"};
        return fail_and_close(e);
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
        return fail_and_close(
            scim::error::bad_request(scim::scim_type::invalid_syntax, "malformed HTTP request"));
    }
    if (ec) return close();  // timeout, reset, end of stream
    handle_request();
}

void http_session::handle_request() {
    auto& msg = parser_->get();
    if (msg.count(http::field::transfer_encoding) > 0 &&
        msg.count(http::field::content_length) > 0) {
        // Request smuggling guard (ASVS V4.2.1).
        return fail_and_close(scim::error::bad_request(
            scim::scim_type::invalid_syntax, "Transfer-Encoding together with Content-Length"));
    }
    const auto method = msg.method_string();
    req_.method.assign(method.data(), method.size());
    const auto target = msg.target();
    req_.target.assign(target.data(), target.size());
    std::size_t count = 0;
    for (const auto& f : msg) {
        if (count == req_.headers.size()) req_.headers.emplace_back();
        auto& [name, value] = req_.headers[count++];
        lower_into(name, f.name_string());
        value.assign(f.value().data(), f.value().size());
    }
    req_.headers.resize(count);
    req_.body = std::move(msg.body());
    req_.remote_addr = remote_;
    const bool keep_alive = msg.keep_alive();
    const unsigned version = msg.version();
    const auto verb = msg.method();
    head_ = verb == http::verb::head;
    const bool writes = verb == http::verb::post || verb == http::verb::put ||
                        verb == http::verb::patch || verb == http::verb::delete_;
    // This connection reads nothing more until the answer, so the session's members are the
    // request's until it answers.
    if (writes && srv_.writer) {
        // A coroutine of this thread, whose unit of work runs as a coroutine of the writer
        // thread (SQLite's group commit without thread hand-overs); parsing, authentication
        // and rendering stay here (waiter::run_on_writer).
        spawn_request(
            stream_.get_executor(),
            [self = shared_from_this(), version, keep_alive] {
                self->respond(self->call_application(), version, keep_alive);
            },
            srv_.writer->get_executor());
        return;
    }
    if (writes && srv_.writers) {
        asio::post(*srv_.writers, [self = shared_from_this(), version, keep_alive] {
            self->answer_from_writer(self->call_application(), version, keep_alive);
        });
        return;
    }
    if (!writes && srv_.read_coroutines) {
        // Until it answers, the coroutine owns the session's members as a writer does.
        spawn_request(stream_.get_executor(), [self = shared_from_this(), version, keep_alive] {
            self->respond(self->call_application(), version, keep_alive);
        });
        return;
    }
    respond(call_application(), version, keep_alive);
}

scim::response http_session::call_application() {
    try {
        return srv_.application->handle(req_);
    } catch (const std::exception& e) {
        log_error("unhandled exception in handler", {{"what", e.what()}});
        return {500,
                {{"Content-Type", "application/scim+json"}},
                scim::to_body(scim::error::internal())};
    }
}

void http_session::answer_from_writer(scim::response out, unsigned version, bool keep_alive) {
    asio::post(stream_.get_executor(),
               [self = shared_from_this(), out = std::move(out), version, keep_alive]() mutable {
                   self->respond(std::move(out), version, keep_alive);
               });
}

void http_session::respond(scim::response out, unsigned version, bool keep_alive) {
    res_ = {};
    res_.version(version);
    res_.result(static_cast<unsigned>(out.status));
    for (auto& [k, v] : out.headers) res_.insert(k, v);
    res_.body() = std::move(out.body);
    write_response(keep_alive);
}

void http_session::write_response(bool keep_alive) {
    keep_alive = keep_alive && !srv_.stopping.load(std::memory_order_relaxed);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    if (head_) res_.body().clear();  // HEAD: the GET headers (Content-Length included), no body
    stream_.expires_after(milliseconds(srv_.cfg.read_timeout_ms));
    http::async_write(stream_, res_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                          self->on_write(ec, keep_alive);
                      });
}

void http_session::on_write(beast::error_code ec, bool keep_alive) {
    if (ec) return close();
    if (!keep_alive) return close();
    wait_for_request();
}

void http_session::fail_and_close(const scim::error& e) {
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(e.status));
    res_.set(http::field::content_type, "application/scim+json");
    res_.body() = scim::to_body(e);
    res_.keep_alive(false);
    res_.prepare_payload();
    if (srv_.cfg.access_log) {
        const auto t = parser_ ? parser_->get().target() : beast::string_view{};
        const std::string_view target(t.data(), t.size());
        log_access({"", "{unparsed}", target.substr(0, target.find('?')), e.status, 0,
                    res_.body().size(), "", "", remote_});
    }
    stream_.expires_after(milliseconds(srv_.cfg.read_timeout_ms));
    http::async_write(
        stream_, res_, [self = shared_from_this()](beast::error_code wec, std::size_t) {
            if (wec) return self->close();
            beast::error_code ignored;
            self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
            self->stream_.expires_after(milliseconds(drain_ms));
            self->drain();
        });
}

void http_session::drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(16384),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                self->drained_ += n;
                                if (ec || self->drained_ > drain_limit) return self->close();
                                self->drain();
                            });
}

void http_session::close() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
}

}  // namespace orgscim::plugin::server_detail
