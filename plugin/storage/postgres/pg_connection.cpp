#include "postgres/pg_connection.hpp"

#include <algorithm>
#include <chrono>

namespace orgscim::plugin::pg {

std::unique_ptr<connection> pool::acquire() {
    std::unique_lock lk(mu_);
    const unsigned size = std::max(1u, cfg_.pool_size);
    if (!cv_.wait_for(lk, std::chrono::milliseconds(cfg_.connect_timeout_ms),
                      [&] { return !idle_.empty() || open_ < size; })) {
        log_pg("pool", "no free connection within connect_timeout_ms");
        fail(store_errc::unavailable);
    }
    if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
    }
    ++open_;
    lk.unlock();
    try {
        return std::make_unique<connection>(uri_, cfg_);
    } catch (...) {
        lk.lock();
        --open_;
        cv_.notify_one();
        throw;
    }
}

void pool::release(std::unique_ptr<connection> c) {
    if (c) c->rollback_quietly();
    std::lock_guard lk(mu_);
    if (c && c->reusable()) {
        idle_.push_back(std::move(c));
    } else {
        --open_;  // broken: dropped, a new one is made on demand
    }
    cv_.notify_one();
}

std::vector<int> pool::migrate(std::span<const sql::migration> migrations, std::int64_t now_ms) {
    lease l(*this);
    connection& c = *l;
    transaction t(c, "BEGIN");
    // One instance migrates; the others wait here and then find nothing to do.
    c.exec("SELECT pg_advisory_xact_lock(7273746369)");
    c.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_ms BIGINT NOT NULL)");
    auto q = c.run("SELECT coalesce(max(version), 0) FROM schema_migrations");
    int current = static_cast<int>(q.int64(0, 0));
    std::vector<int> applied;
    for (const sql::migration* m : sql::pending_migrations(migrations, current)) {
        c.exec(std::string(m->sql));
        c.run("INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
              params().int64(m->version).int64(now_ms));
        applied.push_back(m->version);
    }
    t.commit();
    return applied;
}

std::string uri_from_env(const postgres_config& cfg) {
    // The URI carries credentials, so it comes from the environment, never the config file.
    const char* uri = std::getenv(cfg.uri_env.c_str());
    if (uri == nullptr || *uri == '\0') {
        throw startup_error("storage.postgresql.uri_env: environment variable " + cfg.uri_env +
                            " is not set");
    }
    return uri;
}

}  // namespace orgscim::plugin::pg
