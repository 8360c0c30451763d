#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <csignal>
#include <optional>
#include <orgscim/plugin/server.hpp>
#include <thread>
#include <vector>

#include "http_session.hpp"
#include "listener.hpp"
#include "log.hpp"

namespace orgscim::plugin {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using server_detail::server_impl;

server_detail::server_impl::server_impl(const server_config& c) : cfg(c) {
    const unsigned n =
        cfg.threads != 0 ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
    contexts.reserve(n);
    keep.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
        contexts.push_back(std::make_unique<asio::io_context>(1));
        keep.push_back(asio::make_work_guard(*contexts.back()));
    }
}

asio::io_context& server_detail::server_impl::next_context() {
    return *contexts[next.fetch_add(1, std::memory_order_relaxed) % contexts.size()];
}

void server_detail::server_impl::stop_contexts() {
    for (auto& c : contexts) c->stop();
}

void server_detail::server_impl::add_session(http_session* s, std::weak_ptr<http_session> w) {
    std::lock_guard lock(sessions_mutex);
    sessions.emplace(s, std::move(w));
}

void server_detail::server_impl::remove_session(http_session* s) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(s);
}

std::size_t server_detail::server_impl::session_count() {
    std::lock_guard lock(sessions_mutex);
    return sessions.size();
}

struct http_server::impl : server_impl {
    using server_impl::server_impl;
    std::chrono::steady_clock::time_point deadline;

    void watch_drain() {
        drain_timer->expires_after(std::chrono::milliseconds(10));
        drain_timer->async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            if (session_count() == 0 || std::chrono::steady_clock::now() >= deadline) {
                if (session_count() > 0) {
                    log_warn("shutdown grace period over, closing connections",
                             {{"connections", std::to_string(session_count())}});
                }
                stop_contexts();
                return;
            }
            watch_drain();
        });
    }
};

namespace {

tcp::endpoint resolve_listen(asio::io_context& ioc, const std::string& listen) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw startup_error("server.listen: expected HOST:PORT");
    std::string host = listen.substr(0, colon);
    const std::string port = listen.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(host, ec);
    unsigned long p = 0;
    try {
        p = std::stoul(port);
    } catch (const std::exception&) {
        throw startup_error("server.listen: bad port \"" + port + "\"");
    }
    if (p > 65535) throw startup_error("server.listen: bad port \"" + port + "\"");
    if (!ec) return {addr, static_cast<unsigned short>(p)};
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(host, port, ec);
    if (ec || results.empty()) {
        throw startup_error("cannot resolve listen host \"" + host + "\": " + ec.message());
    }
    return results.begin()->endpoint();
}

std::string format_endpoint(const tcp::endpoint& ep) {
    const auto a = ep.address();
    std::string s = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
    return s + ":" + std::to_string(ep.port());
}

}  // namespace

http_server::http_server(const server_config& cfg) : impl_(std::make_shared<impl>(cfg)) {
    const auto ep = resolve_listen(impl_->ioc(), cfg.listen);
    impl_->acceptor = std::make_shared<server_detail::listener>(*impl_, ep);
    impl_->drain_timer = std::make_unique<asio::steady_timer>(impl_->ioc());
}

http_server::~http_server() {
    // Sessions own handlers on the io_context; tear them down before the registry goes.
    impl_->acceptor.reset();
}

std::string http_server::local_address() const {
    return format_endpoint(impl_->acceptor->local_endpoint());
}

void http_server::run(std::shared_ptr<app> a, bool handle_signals) {
    impl_->application = std::move(a);
    const auto& storage = impl_->application->configuration().storage;
    impl_->read_coroutines = storage.backend == "postgresql" && storage.postgresql.pipeline_reads;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> writer_keep;
    std::thread writer_thread;
    if (storage.backend == "sqlite" && storage.sqlite.write_coroutines) {
        impl_->writer = std::make_unique<asio::io_context>(1);
        writer_keep.emplace(asio::make_work_guard(*impl_->writer));
        writer_thread = std::thread([w = impl_->writer.get()] { w->run(); });
    } else if (impl_->cfg.write_threads != 0) {
        impl_->writers = std::make_unique<asio::thread_pool>(impl_->cfg.write_threads);
    }
    if (handle_signals) {
        impl_->signals = std::make_unique<asio::signal_set>(impl_->ioc(), SIGINT, SIGTERM);
        impl_->signals->async_wait([this](boost::system::error_code ec, int sig) {
            if (ec) return;
            log_info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
            stop();
        });
    }
    impl_->acceptor->start();
    log_info("listening", {{"address", local_address()}});

    std::vector<std::thread> pool;
    pool.reserve(impl_->contexts.size() - 1);
    for (std::size_t i = 1; i < impl_->contexts.size(); ++i) {
        pool.emplace_back([c = impl_->contexts[i].get()] { c->run(); });
    }
    impl_->ioc().run();
    for (auto& t : pool) t.join();
    // A write still running past the grace period answers into a stopped context: its
    // session goes with the context, after the write has committed or rolled back.
    if (impl_->writers) impl_->writers->join();
    if (writer_thread.joinable()) {
        writer_keep.reset();  // run() returns once the writes in flight have answered
        writer_thread.join();
    }
    log_info("stopped");
}

void http_server::stop() {
    if (impl_->stopping.exchange(true)) return;
    asio::post(impl_->ioc(), [impl = impl_] {
        impl->acceptor->close();
        if (impl->signals) {
            boost::system::error_code ignored;
            impl->signals->cancel(ignored);
        }
        std::vector<std::shared_ptr<server_detail::http_session>> live;
        {
            std::lock_guard lock(impl->sessions_mutex);
            for (auto& [p, w] : impl->sessions) {
                if (auto s = w.lock()) live.push_back(std::move(s));
            }
        }
        for (auto& s : live) s->shutdown();
        impl->deadline = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(impl->cfg.shutdown_grace_ms);
        impl->watch_drain();
    });
}

}  // namespace orgscim::plugin
