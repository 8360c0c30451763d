#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <orgscim/testing/http_client.hpp>
#include <stdexcept>

namespace orgscim::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

std::string http_reply::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (beast::iequals(k, name)) return v;
    }
    return {};
}

struct http_client::impl {
    std::string host;
    unsigned short port;
    net::io_context ioc;
    std::unique_ptr<beast::tcp_stream> stream;
    beast::flat_buffer buffer;

    void connect() {
        stream = std::make_unique<beast::tcp_stream>(ioc);
        stream->expires_after(std::chrono::seconds(10));
        stream->connect(net::ip::tcp::endpoint(net::ip::make_address(host), port));
        buffer.clear();
    }
};

http_client::http_client(std::string host, unsigned short port) : impl_(std::make_unique<impl>()) {
    impl_->host = std::move(host);
    impl_->port = port;
}

http_client::~http_client() = default;

http_reply http_client::request(const std::string& method,
                                const std::string& target,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                const std::string& body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            if (!impl_->stream) impl_->connect();
            http::request<http::string_body> req{http::string_to_verb(method), target, 11};
            req.set(http::field::host, impl_->host);
            for (const auto& [k, v] : headers) req.insert(k, v);
            if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
                req.body() = body;
                req.prepare_payload();
            }
            impl_->stream->expires_after(std::chrono::seconds(60));
            // A server may answer (413) and close before the whole body is written: read the
            // answer anyway.
            boost::system::error_code write_ec;
            http::write(*impl_->stream, req, write_ec);
            http::response_parser<http::string_body> parser;
            parser.body_limit(64 * 1024 * 1024);
            parser.skip(method == "HEAD");
            boost::system::error_code read_ec;
            http::read(*impl_->stream, impl_->buffer, parser, read_ec);
            if (read_ec) {
                if (write_ec) throw boost::system::system_error(write_ec);
                throw boost::system::system_error(read_ec);
            }
            auto res = parser.release();
            http_reply out;
            out.status = static_cast<int>(res.result_int());
            for (const auto& f : res) {
                out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
            }
            out.body = std::move(res.body());
            if (!res.keep_alive()) impl_->stream.reset();
            return out;
        } catch (const std::exception&) {
            impl_->stream.reset();
            // Retry once only for a kept-alive connection the server may have closed.
            if (attempt == 1 || body.size() > 1024 * 1024) throw;
        }
    }
    throw std::runtime_error("unreachable");
}

std::string encode_query(std::string_view target) {
    auto q = target.find('?');
    if (q == std::string_view::npos) return std::string(target);
    std::string out(target.substr(0, q + 1));
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : target.substr(q + 1)) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '&' ||
            c == '=' || c == ',') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace orgscim::testing
