// The Beast host on a real socket (port 0) over a real SQLite file: keep-alive, limits, deadlines,
// graceful shutdown, /metrics.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <orgscim/plugin/app.hpp>
#include <orgscim/plugin/server.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/testing/process.hpp>
#include <thread>

#include "log.hpp"
#include "secrets.hpp"
#include "sqlite/write_gate.hpp"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace orgscim::plugin;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

void quiet(std::string_view) {}

struct running_server {
    orgscim::testing::temp_dir dir;
    config cfg;
    std::string org, secret;
    std::unique_ptr<http_server> server;
    std::thread thread;
    unsigned short port = 0;

    explicit running_server(const std::function<void(config&)>& tune = {}) {
        set_log_sink(&quiet);
        cfg.storage.sqlite.path = dir.path() + "/orgscim.db";
        cfg.server.listen = "127.0.0.1:0";
        cfg.server.threads = 2;
        cfg.server.max_body_bytes = 4096;
        cfg.scim.bulk.max_payload_bytes = 4096;
        cfg.server.max_header_bytes = 2048;
        cfg.server.read_timeout_ms = 400;
        cfg.server.idle_timeout_ms = 600;
        cfg.server.shutdown_grace_ms = 5000;
        if (tune) tune(cfg);
        {
            auto b = open_backend(cfg.storage);
            org = b->create_org("acme", std::nullopt).value().id;
            secret = issue_secret(*b, org, "t", std::nullopt, true).value().secret;
        }
        server = std::make_unique<http_server>(cfg.server);
        const auto addr = server->local_address();
        port = static_cast<unsigned short>(std::stoi(addr.substr(addr.rfind(':') + 1)));
        cfg.public_base_url = "http://" + addr;
        auto a = app::create(cfg);
        thread = std::thread([this, a] { server->run(a, false); });
    }
    ~running_server() {
        server->stop();
        if (thread.joinable()) thread.join();
        set_log_sink(nullptr);
    }
};

struct conn {
    asio::io_context ioc;
    tcp::socket sock{ioc};
    boost::beast::flat_buffer buf;

    explicit conn(unsigned short port) {
        sock.connect({asio::ip::make_address("127.0.0.1"), port});
    }
    void send(std::string_view s) { asio::write(sock, asio::buffer(s.data(), s.size())); }
    http::response<http::string_body> read() {
        http::response<http::string_body> res;
        http::read(sock, buf, res);
        return res;
    }
    // True when the server closed the connection (EOF or reset) within `within`.
    bool closed_within(std::chrono::milliseconds within) {
        const auto deadline = std::chrono::steady_clock::now() + within;
        sock.non_blocking(true);
        char c[256];
        while (std::chrono::steady_clock::now() < deadline) {
            boost::system::error_code ec;
            const auto n = sock.read_some(asio::buffer(c), ec);
            if (ec == asio::error::would_block) {
                std::this_thread::sleep_for(10ms);
                continue;
            }
            if (ec) return true;  // eof or reset
            (void)n;
        }
        return false;
    }
};

std::string get(std::string_view target, std::string_view token = {}) {
    std::string s = "GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n";
    if (!token.empty()) s += "Authorization: Bearer " + std::string(token) + "\r\n";
    return s + "\r\n";
}

std::string post_user(std::string_view token, std::string_view name) {
    const std::string body =
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":")" +
        std::string(name) + "\"}";
    return "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
           std::string(token) + "\r\nContent-Type: application/scim+json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(server, keep_alive_serves_many_requests_on_one_connection) {
    running_server s;
    conn c(s.port);
    for (int i = 0; i < 3; ++i) {
        c.send(get("/healthz"));
        auto r = c.read();
        EXPECT_EQ(r.result_int(), 200u);
        EXPECT_TRUE(r.keep_alive());
        EXPECT_EQ(r.body(), "ok");
    }
    c.send(post_user(s.secret, "kim"));
    auto created = c.read();
    EXPECT_EQ(created.result_int(), 201u) << created.body();
    EXPECT_THAT(std::string(created[http::field::location]),
                HasSubstr("http://127.0.0.1:" + std::to_string(s.port) + "/scim/v2/Users/"));
    c.send(get("/scim/v2/Users", s.secret));
    auto list = c.read();
    EXPECT_EQ(list.result_int(), 200u);
    EXPECT_EQ(std::string(list[http::field::content_type]), "application/scim+json");
    EXPECT_THAT(list.body(), HasSubstr("\"totalResults\":1"));
}

TEST(server, pipelined_requests_are_answered_in_order) {
    running_server s;
    conn c(s.port);
    c.send(get("/healthz") + get("/readyz") + get("/nope"));
    EXPECT_EQ(c.read().body(), "ok");
    EXPECT_EQ(c.read().body(), "ready");
    EXPECT_EQ(c.read().result_int(), 404u);
}

// Writes run on server.write_threads (8 by default) and their answers go back through the
// connection's own thread; with 0 they run on the I/O threads. Either way: every write is
// answered once, in order with the reads pipelined after it, and nothing is lost.
void concurrent_writes_are_all_kept(unsigned write_threads) {
    running_server s([&](config& c) { c.server.write_threads = write_threads; });
    constexpr int clients = 12, per_client = 15;
    std::vector<std::thread> ts;
    std::atomic<int> created{0};
    for (int t = 0; t < clients; ++t) {
        ts.emplace_back([&, t] {
            conn c(s.port);
            for (int i = 0; i < per_client; ++i) {
                const std::string name = "u" + std::to_string(t) + "-" + std::to_string(i);
                c.send(post_user(s.secret, name) + get("/healthz"));
                auto r = c.read();
                if (r.result_int() == 201u && r.body().find(name) != std::string::npos) ++created;
                EXPECT_EQ(c.read().body(), "ok");  // the read pipelined behind the write
            }
        });
    }
    for (auto& t : ts) t.join();
    EXPECT_EQ(created.load(), clients * per_client);
    conn c(s.port);
    c.send(get("/scim/v2/Users?count=1", s.secret));
    EXPECT_THAT(c.read().body(),
                HasSubstr("\"totalResults\":" + std::to_string(clients * per_client)));
}

TEST(server, concurrent_writes_on_the_write_threads_are_all_kept) {
    concurrent_writes_are_all_kept(4);
}

TEST(server, concurrent_writes_on_the_io_threads_are_all_kept) {
    concurrent_writes_are_all_kept(0);
}

// What the write threads are for: a write that waits for the database file holds no thread that
// reads. One I/O thread; the test holds the file's gate, so the POST waits at it. With the
// write on the I/O thread, the GET on another connection would wait behind it.
TEST(server, a_write_waiting_for_the_database_holds_no_thread_that_reads) {
    running_server s([](config& c) {
        c.server.threads = 1;
        c.server.write_threads = 2;
    });
    auto gate = sqlite::write_gate(s.cfg.storage.sqlite.path);
    std::unique_lock held(*gate);
    conn writer(s.port);
    writer.send(post_user(s.secret, "waits"));
    for (int i = 0; i < 2000 && gate->units_waiting() == 0; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(gate->units_waiting(), 1);
    conn reader(s.port);
    reader.send(get("/healthz"));
    auto answer = std::async(std::launch::async, [&] { return reader.read().body(); });
    const bool answered_while_held = answer.wait_for(5s) == std::future_status::ready;
    held.unlock();  // either way, so that nothing hangs
    EXPECT_TRUE(answered_while_held);
    EXPECT_EQ(answer.get(), "ok");
    EXPECT_EQ(writer.read().result_int(), 201u);
}

TEST(server, head_gets_headers_without_body) {
    running_server s;
    conn c(s.port);
    c.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + get("/healthz"));
    http::response_parser<http::string_body> p;
    p.skip(true);
    http::read(c.sock, c.buf, p);
    EXPECT_EQ(p.get().result_int(), 200u);
    EXPECT_EQ(std::string(p.get()[http::field::content_length]), "2");
    EXPECT_TRUE(p.get().body().empty());
    EXPECT_EQ(c.read().body(), "ok");  // the connection is still in step
}

TEST(server, connection_close_is_honoured) {
    running_server s;
    conn c(s.port);
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    auto r = c.read();
    EXPECT_EQ(r.result_int(), 200u);
    EXPECT_FALSE(r.keep_alive());
    EXPECT_TRUE(c.closed_within(1s));
}

TEST(server, too_large_body_is_413_scim_error_and_close) {
    running_server s;
    conn c(s.port);
    c.send("POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.secret +
           "\r\nContent-Type: application/scim+json\r\nContent-Length: 100000\r\n\r\n{\"a\":");
    auto r = c.read();
    EXPECT_EQ(r.result_int(), 413u);
    EXPECT_FALSE(r.keep_alive());
    EXPECT_EQ(std::string(r[http::field::content_type]), "application/scim+json");
    const auto body = boost::json::parse(r.body()).as_object();
    EXPECT_EQ(body.at("status"), "413");
    EXPECT_EQ(body.at("schemas").at(0), "urn:ietf:params:scim:api:messages:2.0:Error");
    EXPECT_TRUE(c.closed_within(3s));
}

TEST(server, chunked_body_over_limit_is_413) {
    running_server s;
    conn c(s.port);
    std::string chunk(3000, 'x');
    c.send("POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.send("bb8\r\n" + chunk + "\r\nbb8\r\n" + chunk + "\r\n");
    auto r = c.read();
    EXPECT_EQ(r.result_int(), 413u);
}

TEST(server, too_large_headers_are_431) {
    running_server s;
    conn c(s.port);
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
    auto r = c.read();
    EXPECT_EQ(r.result_int(), 431u);
    EXPECT_TRUE(c.closed_within(3s));
}

TEST(server, malformed_request_is_400) {
    running_server s;
    conn c(s.port);
    c.send("GET /healthz HTTP/1.1\r\nHost x\r\n\r\n");
    auto r = c.read();
    EXPECT_EQ(r.result_int(), 400u);
}

TEST(server, content_length_with_transfer_encoding_is_refused) {
    running_server s;
    conn c(s.port);
    c.send(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    auto r = c.read();
    EXPECT_EQ(r.result_int(), 400u);
}

TEST(server, idle_connection_is_closed_after_idle_timeout) {
    running_server s;
    conn c(s.port);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_within(3s));
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, 500ms);
    EXPECT_LT(took, 2s);
}

TEST(server, trickling_client_cannot_extend_the_read_deadline) {
    running_server s;
    conn c(s.port);
    const std::string req = get("/healthz");
    const auto t0 = std::chrono::steady_clock::now();
    bool closed = false;
    // One byte every 100 ms: the request would take seconds; the server cuts it at ~400 ms.
    for (std::size_t i = 0; i < req.size() - 1 && !closed; ++i) {
        boost::system::error_code ec;
        asio::write(c.sock, asio::buffer(&req[i], 1), ec);
        if (ec) {
            closed = true;
            break;
        }
        closed = c.closed_within(100ms);
        c.sock.non_blocking(false);
    }
    EXPECT_TRUE(closed);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(server, graceful_shutdown_finishes_in_flight_requests) {
    running_server s;
    conn idle(s.port);
    idle.send(get("/healthz"));
    ASSERT_EQ(idle.read().result_int(), 200u);

    conn busy(s.port);
    const std::string full = post_user(s.secret, "inflight");
    const auto split = full.size() - 10;
    busy.send(full.substr(0, split));  // headers and part of the body
    std::this_thread::sleep_for(50ms);

    const auto t0 = std::chrono::steady_clock::now();
    s.server->stop();
    EXPECT_TRUE(idle.closed_within(1s));  // idle keep-alive connection closed at once
    busy.send(full.substr(split));
    auto r = busy.read();
    EXPECT_EQ(r.result_int(), 201u) << r.body();
    EXPECT_FALSE(r.keep_alive());
    s.thread.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
    // The listener is closed.
    asio::io_context ioc;
    tcp::socket late(ioc);
    boost::system::error_code ec;
    late.connect({asio::ip::make_address("127.0.0.1"), s.port}, ec);
    EXPECT_TRUE(ec);
}

TEST(server, shutdown_grace_bounds_a_stuck_request) {
    running_server s([](config& c) {
        c.server.shutdown_grace_ms = 200;
        c.server.read_timeout_ms = 10000;
    });
    conn busy(s.port);
    busy.send("GET /healthz HTTP/1.1\r\nHo");  // never finishes
    std::this_thread::sleep_for(50ms);
    const auto t0 = std::chrono::steady_clock::now();
    s.server->stop();
    s.thread.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(server, metrics_are_prometheus_text) {
    running_server s;
    conn c(s.port);
    c.send(get("/healthz"));
    c.read();
    c.send(get("/scim/v2/Users/abc", s.secret));
    EXPECT_EQ(c.read().result_int(), 404u);
    c.send(get("/metrics"));
    auto r = c.read();
    ASSERT_EQ(r.result_int(), 200u);
    EXPECT_THAT(std::string(r[http::field::content_type]), HasSubstr("text/plain"));
    const std::string& body = r.body();
    EXPECT_THAT(
        body,
        HasSubstr(
            "orgscim_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1\n"));
    EXPECT_THAT(body, HasSubstr("orgscim_http_requests_total{route=\"/scim/v2/Users/"
                                "{id}\",method=\"GET\",status=\"404\"} 1\n"));
    EXPECT_THAT(body, ::testing::Not(HasSubstr("abc")));
    // Every sample line: name{labels} number.
    std::size_t pos = 0, samples = 0;
    while (pos < body.size()) {
        const auto end = body.find('\n', pos);
        ASSERT_NE(end, std::string::npos) << "last line not terminated";
        const std::string line = body.substr(pos, end - pos);
        pos = end + 1;
        if (line.starts_with("#")) continue;
        ++samples;
        const auto brace = line.find('{');
        const auto close = line.find("} ");
        ASSERT_NE(brace, std::string::npos) << line;
        ASSERT_NE(close, std::string::npos) << line;
        EXPECT_TRUE(line.starts_with("orgscim_")) << line;
        const std::string value = line.substr(close + 2);
        std::size_t used = 0;
        EXPECT_NO_THROW((void)std::stod(value, &used)) << line;
        EXPECT_EQ(used, value.size()) << line;
    }
    EXPECT_GE(samples, 4u);
}

}  // namespace
