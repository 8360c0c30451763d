#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <orgscim/plugin/mail/sender.hpp>

namespace orgscim::plugin::mail {

std::int64_t backoff_ms(std::int64_t attempts, const sender_config& cfg) noexcept {
    std::int64_t d = cfg.backoff_base_ms;
    for (std::int64_t i = 1; i < attempts && d < cfg.backoff_max_ms; ++i) d *= 2;
    return std::min(d, cfg.backoff_max_ms);
}

outbox_sender::outbox_sender(outbox_store& store,
                             transport& transport,
                             sender_config cfg,
                             std::function<std::int64_t()> clock)
    : store_(store), transport_(transport), cfg_(std::move(cfg)), clock_(std::move(clock)) {
    if (!clock_) {
        clock_ = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
    if (cfg_.worker_id.empty()) {
        char host[128] = {0};
        ::gethostname(host, sizeof host - 1);
        cfg_.worker_id = std::string(host) + ":" + std::to_string(::getpid());
    }
}

outbox_sender::~outbox_sender() { stop(); }

std::size_t outbox_sender::run_once() {
    auto batch = store_.claim(cfg_.worker_id, clock_(), cfg_.lease_ms, cfg_.batch);
    if (!batch) return 0;
    for (const auto& m : *batch) {
        auto sent = transport_.send(m);
        auto now = clock_();
        if (sent) {
            store_.mark_sent(m.id, cfg_.worker_id, now);
            continue;
        }
        // `attempts` already counts this one (claims count attempts).
        bool give_up = sent.error().permanent || m.attempts >= cfg_.max_attempts;
        store_.mark_failed(m.id, cfg_.worker_id, now, sent.error().message,
                           give_up ? 0 : now + backoff_ms(m.attempts, cfg_));
    }
    return batch->size();
}

void outbox_sender::start(std::function<void()> tick) {
    stop_ = false;
    thread_ = std::thread([this, tick = std::move(tick)] {
        while (!stop_) {
            if (tick) tick();
            // A full batch means more may be waiting: go again without sleeping.
            if (run_once() >= cfg_.batch) continue;
            for (std::int64_t slept = 0; slept < cfg_.poll_ms && !stop_; slept += 50)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
}

void outbox_sender::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

}  // namespace orgscim::plugin::mail
