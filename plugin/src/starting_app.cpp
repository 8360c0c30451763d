// app::create_when_reachable: a server whose database comes up after it (PostgreSQL in a
// container, a failover at boot) listens at once and tells load balancers it is not ready, rather
// than exiting and being restarted in a loop.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <orgscim/plugin/app.hpp>
#include <orgscim/scim/error.hpp>
#include <string>
#include <thread>

#include "log.hpp"
#include "responses.hpp"

namespace orgscim::plugin {

namespace {

class starting_app final : public app {
  public:
    explicit starting_app(const config& cfg) : cfg_(cfg) {
        worker_ = std::jthread([this](std::stop_token st) { connect(st); });
    }
    ~starting_app() override {
        worker_.request_stop();
        cv_.notify_all();
    }

    scim::response handle(const http_request& req) override {
        if (auto a = inner()) return a->handle(req);
        std::string_view path = req.target;
        path = path.substr(0, path.find('?'));
        const std::string base = cfg_.base_path;
        // Alive: restarting the process would not bring the database back.
        if (path == base + "/healthz") return text_response(200, "ok");
        auto r = path == base + "/readyz"
                     ? text_response(503, "not ready: waiting for the database")
                     : error_response(
                           scim::error::unavailable("starting: the database is not reachable yet"));
        r.headers.emplace_back("Retry-After", std::string(database_retry_after_s));
        return r;
    }

    bool ready() const override {
        auto a = inner();
        return a && a->ready();
    }

    const config& configuration() const override { return cfg_; }

  private:
    std::shared_ptr<app> inner() const { return std::atomic_load(&inner_); }

    // Attempt 1 was create_when_reachable()'s own: wait before each further one.
    void connect(std::stop_token st) {
        auto wait = std::chrono::milliseconds(500);
        for (int attempt = 2; !st.stop_requested(); ++attempt) {
            {
                std::unique_lock lk(mu_);
                cv_.wait_for(lk, st, wait, [] { return false; });
            }
            if (st.stop_requested()) return;
            try {
                std::atomic_store(&inner_, app::create(cfg_));
                log_info("database reachable", {{"attempts", std::to_string(attempt)}});
                return;
            } catch (const std::exception& e) {
                wait = std::min(wait * 2, std::chrono::milliseconds(15000));
                const auto n = std::to_string(attempt), ms = std::to_string(wait.count());
                log_warn("database not reachable, retrying",
                         {{"reason", e.what()}, {"attempt", n}, {"retry_ms", ms}});
            }
        }
    }

    config cfg_;
    std::shared_ptr<app> inner_;
    std::mutex mu_;
    std::condition_variable_any cv_;
    std::jthread worker_;  // last: stopped and joined before the members it uses go
};

}  // namespace

std::shared_ptr<app> app::create_when_reachable(const config& cfg) {
    if (cfg.storage.backend != "postgresql") return create(cfg);
    // What retrying cannot fix is refused now, as create() would.
    const char* uri = std::getenv(cfg.storage.postgresql.uri_env.c_str());
    if (uri == nullptr || *uri == '\0') {
        throw startup_error("storage.postgresql.uri_env: environment variable " +
                            cfg.storage.postgresql.uri_env + " is not set");
    }
    // The usual case, the database is there: ready before the first request, as create().
    try {
        return create(cfg);
    } catch (const std::exception& e) {
        log_warn("database not reachable at start, serving 503 until it is",
                 {{"reason", e.what()}, {"attempt", "1"}, {"retry_ms", "500"}});
    }
    return std::make_shared<starting_app>(cfg);
}

}  // namespace orgscim::plugin
