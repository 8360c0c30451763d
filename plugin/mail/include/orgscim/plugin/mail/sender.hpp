#pragma once
// The outbox sender: leases due messages, sends them, records the outcome. Retries transient
// failures with exponential backoff; gives up after max_attempts or on a permanent failure, which
// shows on the invitation (delivery = "failed") and in its history ("emailFailed"). A sender that
// dies mid-send loses its lease and another picks the message up: at least once, and exactly once
// unless the process dies between the server's 250 and mark_sent.

#include <atomic>
#include <cstdint>
#include <functional>
#include <orgscim/plugin/mail/smtp.hpp>
#include <orgscim/plugin/storage/outbox.hpp>
#include <string>
#include <thread>

namespace orgscim::plugin::mail {

struct sender_config {
    std::string worker_id;  ///< unique per process (host:pid by default)
    std::int64_t lease_ms = 60000;
    std::size_t batch = 50;
    std::int64_t poll_ms = 500;
    std::int64_t max_attempts = 8;
    std::int64_t backoff_base_ms = 30000;  ///< 30 s, 1 min, 2 min, ... capped
    std::int64_t backoff_max_ms = 3600000;
};

/// Delay before attempt `attempts + 1` after `attempts` failures: base * 2^(attempts-1), capped.
std::int64_t backoff_ms(std::int64_t attempts, const sender_config& cfg) noexcept;

class outbox_sender {
  public:
    /// `store` and `transport` must outlive the sender. `clock` returns epoch ms (system clock
    /// when empty).
    outbox_sender(outbox_store& store,
                  transport& transport,
                  sender_config cfg,
                  std::function<std::int64_t()> clock = {});
    ~outbox_sender();

    /// Claims one batch and processes it. Returns how many messages were attempted.
    std::size_t run_once();
    /// Loops run_once() on a background thread until stop(); `tick` (optional) runs before
    /// each poll, for the invitation sweep.
    void start(std::function<void()> tick = {});
    void stop();

  private:
    outbox_store& store_;
    transport& transport_;
    sender_config cfg_;
    std::function<std::int64_t()> clock_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace orgscim::plugin::mail
