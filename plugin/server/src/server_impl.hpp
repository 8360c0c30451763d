#pragma once
// State shared by the listener, the sessions and http_server: one io_context per thread. A
// connection stays on the context it was accepted onto, so its handlers need no strand and the
// threads share no scheduler queue or reactor lock (the shared-context design spent a large part
// of a GET by id handing work between threads).

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <mutex>
#include <orgscim/plugin/app.hpp>
#include <orgscim/plugin/config.hpp>
#include <unordered_map>
#include <vector>

namespace orgscim::plugin::server_detail {

class http_session;
class listener;

struct server_impl {
    explicit server_impl(const server_config& c);

    server_config cfg;
    std::shared_ptr<app> application;
    std::atomic<bool> stopping{false};
    /// Reads run in coroutines that wait for the database through plugin::waiter (PostgreSQL
    /// with storage.postgresql.pipeline_reads); set once before the threads start.
    bool read_coroutines = false;

    // Live sessions, so that a shutdown can close the idle ones. Touched once per connection,
    // not per request.
    std::mutex sessions_mutex;
    std::unordered_map<http_session*, std::weak_ptr<http_session>> sessions;

    void add_session(http_session* s, std::weak_ptr<http_session> w);
    void remove_session(http_session* s);
    std::size_t session_count();

    /// The context of the listener, the signals and the shutdown timer (also serves connections).
    boost::asio::io_context& ioc() { return *contexts.front(); }
    /// The context for the next accepted connection, round robin.
    boost::asio::io_context& next_context();
    void stop_contexts();

    // Declared last: destroyed first, so pending handlers (and the sessions they own) go away
    // while the registry above still exists.
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
    // Keep a context with no connection yet running until shutdown.
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> keep;
    std::atomic<std::size_t> next{0};
    std::shared_ptr<listener> acceptor;
    std::unique_ptr<boost::asio::signal_set> signals;
    std::unique_ptr<boost::asio::steady_timer> drain_timer;
    /// server.write_threads; null when writes run on the I/O threads or in coroutines.
    std::unique_ptr<boost::asio::thread_pool> writers;
    /// SQLite with storage.sqlite.write_coroutines: the one thread whose coroutines run every
    /// write (set up in run(), before the I/O threads start); null otherwise.
    std::unique_ptr<boost::asio::io_context> writer;
};

}  // namespace orgscim::plugin::server_detail
