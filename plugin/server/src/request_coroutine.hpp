#pragma once
// Requests in coroutines. On PostgreSQL a read is a round trip to another process; run on the
// I/O thread it blocks every connection of that thread until the answer comes. In a coroutine
// it waits through a plugin::waiter instead (pg::pipe), so the thread goes on parsing other
// requests and their statements join the same pipelined round trip. On SQLite a write runs in a
// coroutine of its session's thread, and only its unit of work as a coroutine of one writer
// thread: a finished unit yields instead of waiting for its COMMIT, the units queued behind it
// join its transaction, and one COMMIT serves them all without handing the file's gate from
// thread to thread (sqlite::unit).

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <optional>

namespace orgscim::plugin::server_detail {

/// Runs `work` in a stackful coroutine on `ex` (a session's context, so always on one thread),
/// with plugin::waiter::current() set while it runs. Stacks are 1 MiB with a guard page
/// below, kept per thread for reuse. With `writer` (the SQLite write thread's context), the
/// waiter's run_on_writer() runs a unit of work there as a coroutine of that thread.
void spawn_request(const boost::asio::any_io_executor& ex,
                   std::function<void()> work,
                   std::optional<boost::asio::any_io_executor> writer = std::nullopt);

}  // namespace orgscim::plugin::server_detail
