#pragma once
// One fresh database per test for the directory suites, on every backend: SQLite on a file in a
// temp dir, PostgreSQL on the shared throwaway cluster (pg_cluster). Opened as the server opens
// them: open_backend() migrates, open_directory() picks the store by backend name (the URI of
// PostgreSQL comes from an environment variable, as in production). Where PostgreSQL cannot start
// its tests skip, except under CI=true where they fail.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/testing/process.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "pg_cluster.hpp"

namespace orgscim::directory_tests {

/// A migrated database: `cfg` opens more stores on it, `admin` is its SCIM and admin port.
struct database {
    virtual ~database() = default;
    plugin::storage_config cfg;
    std::unique_ptr<plugin::backend> admin;
};

struct sqlite_database final : database {
    sqlite_database() {
        cfg.backend = "sqlite";
        cfg.sqlite.path = dir.path() + "/orgscim.db";
        admin = plugin::open_backend(cfg);
    }
    orgscim::testing::temp_dir dir;
};

struct postgres_database final : database {
    /// A new database on `cluster`, migrated unless `migrate` is false.
    postgres_database(orgscim::testing::pg_cluster& cluster, bool migrate) {
        static std::atomic<int> n{0};
        const std::string var = "ORGSCIM_TEST_DIRECTORY_PG_URI_" + std::to_string(++n);
        ::setenv(var.c_str(), cluster.create_database().c_str(), 1);
        cfg.backend = "postgresql";
        cfg.postgresql.uri_env = var;
        cfg.postgresql.pool_size = 4;
        cfg.postgresql.connect_timeout_ms = 5000;
        cfg.postgresql.statement_timeout_ms = 10000;
        if (migrate) admin = plugin::open_backend(cfg);
    }
};

/// Why PostgreSQL tests are skipped here, or nothing (running, or CI=true: they must fail).
inline std::optional<std::string> postgres_skip_reason() {
    std::string why;
    if (orgscim::testing::pg_cluster::shared(&why) != nullptr) return std::nullopt;
    if (orgscim::testing::ci_requires_services()) return std::nullopt;
    return "PostgreSQL could not be started (set CI=true to make this a failure): " + why;
}

/// The shared cluster; a test failure (not a skip) when it cannot start.
inline orgscim::testing::pg_cluster* postgres_cluster() {
    std::string why;
    auto* c = orgscim::testing::pg_cluster::shared(&why);
    if (c == nullptr) ADD_FAILURE() << "PostgreSQL could not be started: " << why;
    return c;
}

inline std::unique_ptr<database> open_postgres(bool migrate = true) {
    auto* c = postgres_cluster();
    if (c == nullptr) return nullptr;
    return std::make_unique<postgres_database>(*c, migrate);
}

/// A backend as a test parameter.
struct backend_kind {
    std::string name;
    std::function<std::optional<std::string>()> skip_reason;
    std::function<std::unique_ptr<database>()> open;
};

inline std::vector<backend_kind> all_backends() {
    return {
        {"sqlite", [] { return std::optional<std::string>(); },
         [] { return std::unique_ptr<database>(std::make_unique<sqlite_database>()); }},
        {"postgresql", &postgres_skip_reason, [] { return open_postgres(); }},
    };
}

inline void PrintTo(const backend_kind& b, std::ostream* os) { *os << b.name; }

/// Names value-parameterized instantiations after the backend ("sqlite", "postgresql").
struct backend_name {
    std::string operator()(const ::testing::TestParamInfo<backend_kind>& info) const {
        return info.param.name;
    }
};

}  // namespace orgscim::directory_tests
