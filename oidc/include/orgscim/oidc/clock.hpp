#pragma once
// Injectable time source: the verifier and the key store never call the system clock directly, so
// tests can move time (expiry, refresh, cooldown) without sleeping.

#include <atomic>
#include <chrono>

namespace orgscim::oidc {

using time_point = std::chrono::system_clock::time_point;

class clock {
  public:
    virtual ~clock() = default;
    virtual time_point now() const noexcept = 0;
};

/// The real clock.
class system_clock final : public clock {
  public:
    time_point now() const noexcept override { return std::chrono::system_clock::now(); }
    /// A shared instance (stateless).
    static system_clock& instance() noexcept;
};

/// A clock that only moves when told to; thread-safe.
class settable_clock final : public clock {
  public:
    explicit settable_clock(time_point t = std::chrono::system_clock::now()) : t_(t) {}
    time_point now() const noexcept override { return t_.load(); }
    void set(time_point t) noexcept { t_.store(t); }
    void advance(std::chrono::system_clock::duration d) noexcept { t_.store(t_.load() + d); }

  private:
    std::atomic<time_point> t_;
};

}  // namespace orgscim::oidc
