#pragma once
// Requests in coroutines. On PostgreSQL a read is a round trip to another process; run on the
// I/O thread it blocks every connection of that thread until the answer comes. In a coroutine
// it waits through a plugin::waiter instead (pg::pipe), so the thread goes on parsing other
// requests and their statements join the same pipelined round trip. On SQLite the writes run
// as coroutines of one writer thread: a finished write yields instead of waiting for its
// COMMIT, the writes queued behind it join its transaction, and one COMMIT serves them all
// without handing the file's gate from thread to thread (sqlite::unit).

#include <boost/asio/any_io_executor.hpp>
#include <functional>

namespace orgscim::plugin::server_detail {

/// Runs `work` in a stackful coroutine on `ex` (a session's context, so always on one thread),
/// with plugin::waiter::current() set while it runs. Stacks are 1 MiB with a guard page
/// below, kept per thread for reuse.
void spawn_request(const boost::asio::any_io_executor& ex, std::function<void()> work);

}  // namespace orgscim::plugin::server_detail
