#pragma once
// How a request can wait for its database without holding its thread. The HTTP host runs a
// read in a coroutine and installs a waiter for the coroutine's thread while it runs; storage
// that talks to a server (PostgreSQL) waits through waiter::current() when there is one, so
// the thread serves other connections meanwhile, and blocks as before when there is none (the
// C ABI, Glewlwyd, the CLI, writes). No transport type appears here: the Beast host implements
// it with Boost.Asio, a test with anything that can suspend.

#include <functional>

namespace orgscim::plugin {

class waiter {
  public:
    /// The waiter of the coroutine running on this thread, or null (block instead).
    static waiter* current() noexcept { return current_; }

    /// Suspends the calling coroutine until `fd` is readable or in error, then returns; the
    /// caller reads and finds out which. Other coroutines of the thread run meanwhile.
    virtual void wait_readable(int fd) = 0;
    /// Suspends the calling coroutine until the work already ready on its thread has run (the
    /// other requests that arrived together with this one).
    virtual void yield() = 0;
    /// Suspends the calling coroutine until another one on the same thread calls wake().
    /// Returns at once when wake() came first.
    virtual void park() = 0;
    /// Lets this waiter's park() return; called from another coroutine of the same thread.
    virtual void wake() noexcept = 0;
    /// Runs `work` on the host's write thread, as one of that thread's coroutines, and suspends
    /// the caller until it has returned (an exception it throws comes out here). False, with
    /// nothing run, when the host has no write thread: the caller runs `work` itself. Only a
    /// write's unit of work needs that thread (SQLite's group commit, sqlite::unit); parsing,
    /// authentication and rendering stay on the caller's.
    virtual bool run_on_writer(const std::function<void()>& work) = 0;

    /// True while a coroutine destroyed in a wait (its server stopped past the grace period)
    /// unwinds its stack with the coroutine library's own exception: a `catch (...)` on the way
    /// rethrows it, and nothing wakes other coroutines, which are being destroyed too.
    static bool unwinding() noexcept { return unwinding_; }

  protected:
    waiter() = default;
    ~waiter() = default;
    waiter(const waiter&) = delete;
    waiter& operator=(const waiter&) = delete;
    /// Implementations clear it before they suspend and set it back when they resume, so that
    /// code running on the thread in between (another request) does not see a foreign waiter.
    static void set_current(waiter* w) noexcept { current_ = w; }
    static void set_unwinding(bool u) noexcept { unwinding_ = u; }

  private:
    static inline thread_local waiter* current_ = nullptr;
    static inline thread_local bool unwinding_ = false;
};

}  // namespace orgscim::plugin
