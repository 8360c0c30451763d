#pragma once
// Read requests in coroutines. On PostgreSQL a read is a round trip to another process; run on
// the I/O thread it blocks every connection of that thread until the answer comes. In a
// coroutine it waits through a plugin::waiter instead (pg::pipe), so the thread goes on
// parsing other requests and their statements join the same pipelined round trip.

#include <boost/asio/any_io_executor.hpp>
#include <functional>

namespace orgscim::plugin::server_detail {

/// Runs `work` in a stackful coroutine on `ex` (a session's context, so always on one thread),
/// with plugin::waiter::current() set while it runs. Stacks are 512 KiB with a guard page
/// below, kept per thread for reuse.
void spawn_read(const boost::asio::any_io_executor& ex, std::function<void()> work);

}  // namespace orgscim::plugin::server_detail
