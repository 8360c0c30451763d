#include "request_coroutine.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <exception>
#include <optional>
#include <orgscim/plugin/waiter.hpp>
#include <utility>
#include <vector>

namespace orgscim::plugin::server_detail {

namespace asio = boost::asio;
namespace ctx = boost::context;

namespace {

constexpr std::size_t stack_bytes = 1024 * 1024;  // a write's deepest path: Bulk, PATCH
constexpr std::size_t stacks_kept = 256;          // per thread; more than the connections in flight

// A fresh mapping per request would fault its pages in again every time.
struct stack_cache {
    std::vector<ctx::stack_context> free;
    stack_cache() = default;
    stack_cache(const stack_cache&) = delete;
    stack_cache& operator=(const stack_cache&) = delete;
    ~stack_cache() {
        ctx::protected_fixedsize_stack a(stack_bytes);
        for (auto& s : free) a.deallocate(s);
    }
};
thread_local stack_cache stacks;

class pooled_stack {
  public:
    ctx::stack_context allocate() {
        auto& f = stacks.free;
        if (f.empty()) return ctx::protected_fixedsize_stack(stack_bytes).allocate();
        auto s = f.back();
        f.pop_back();
        return s;
    }
    void deallocate(ctx::stack_context& s) noexcept {
        auto& f = stacks.free;
        if (f.size() < stacks_kept) {
            f.push_back(s);
            return;
        }
        ctx::protected_fixedsize_stack(stack_bytes).deallocate(s);
    }
};

class asio_waiter final : public waiter {
  public:
    asio_waiter(const asio::yield_context& y, std::optional<asio::any_io_executor> writer)
        : y_(y), timer_(y.get_executor()), writer_(std::move(writer)) {
        set_current(this);
    }
    ~asio_waiter() {
        set_current(nullptr);
        set_unwinding(false);
    }
    asio_waiter(const asio_waiter&) = delete;
    asio_waiter& operator=(const asio_waiter&) = delete;

    void wait_readable(int fd) override {
        // Registered with the thread's reactor for this wait only, and released (not closed:
        // the descriptor is libpq's) on every way out.
        asio::posix::stream_descriptor d(y_.get_executor(), fd);
        struct keep_open {
            asio::posix::stream_descriptor& d;
            ~keep_open() { d.release(); }
        } keep{d};
        boost::system::error_code ec;
        suspend([&] { d.async_wait(asio::posix::stream_descriptor::wait_read, y_[ec]); });
    }

    void yield() override {
        suspend([&] { asio::post(y_); });
    }

    void park() override {
        if (std::exchange(woken_, false)) return;
        timer_.expires_at(asio::steady_timer::time_point::max());
        parked_ = true;
        boost::system::error_code ec;
        suspend([&] { timer_.async_wait(y_[ec]); });
        parked_ = false;
        woken_ = false;
    }

    void wake() noexcept override {
        if (!parked_) {
            woken_ = true;
            return;
        }
        try {
            timer_.cancel();
        } catch (const boost::system::system_error&) {
            woken_ = true;
        }
    }

    bool run_on_writer(const std::function<void()>& work) override {
        if (!writer_) return false;
        std::exception_ptr failed;
        suspend([&] {
            asio::async_initiate<asio::yield_context, void()>(
                [&](auto handler) {
                    // std::function copies; the handler only moves.
                    auto resume = std::make_shared<decltype(handler)>(std::move(handler));
                    spawn_request(*writer_, [&work, &failed, resume] {
                        try {
                            work();
                        } catch (...) {
                            if (waiter::unwinding()) throw;
                            failed = std::current_exception();
                        }
                        // Back on the caller's thread: its coroutine resumes there.
                        asio::post(std::move(*resume));
                    });
                },
                y_);
        });
        if (failed) std::rethrow_exception(failed);
        return true;
    }

  private:
    template <class F>
    void suspend(F&& start) {
        set_current(nullptr);
        try {
            start();
        } catch (const ctx::detail::forced_unwind&) {
            set_unwinding(true);
            throw;
        }
        set_current(this);
    }

    asio::yield_context y_;
    asio::steady_timer timer_;
    std::optional<asio::any_io_executor> writer_;
    bool parked_ = false;
    bool woken_ = false;
};

}  // namespace

void spawn_request(const asio::any_io_executor& ex,
                   std::function<void()> work,
                   std::optional<asio::any_io_executor> writer) {
    // Spawned on `ex`'s own thread, so the stack comes from that thread's cache and goes back
    // to it: spawned from an I/O thread onto the writer, every stack was a new mapping and its
    // page faults (W3 ran at half speed).
    asio::dispatch(ex, [ex, work = std::move(work), writer = std::move(writer)]() mutable {
        asio::spawn(
            ex, std::allocator_arg, pooled_stack{},
            [work = std::move(work), writer = std::move(writer)](asio::yield_context y) {
                asio_waiter w(y, writer);
                work();
            },
            asio::detached);
    });
}

}  // namespace orgscim::plugin::server_detail
