#pragma once
// One fresh, migrated database per test for the store suites that run on every backend
// (invitation_store_test, oauth_store_test). Stores are opened through the public openers
// (open_invitation_backend, open_oauth_store), so the backend choice of plugin_storage is under
// test too, and several instances can be opened on one database to race them.
//
// A backend is a type with `name`, `skip_reason()` and `storage()` (a storage_config that
// open_backend() has migrated). PostgreSQL runs on the shared throwaway cluster (pg_cluster); when
// it cannot start the tests skip, except under CI=true where they fail.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/testing/process.hpp>
#include <stdexcept>
#include <string>

#include "pg_cluster.hpp"

namespace orgscim::store_tests {

class sqlite_database {
  public:
    static constexpr const char* name = "sqlite";
    static std::optional<std::string> skip_reason() { return std::nullopt; }

    sqlite_database() {
        cfg_.backend = "sqlite";
        cfg_.sqlite.path = dir_.path() + "/orgscim.db";
        admin_ = plugin::open_backend(cfg_);  // migrates
    }
    const plugin::storage_config& storage() const { return cfg_; }
    plugin::backend& admin() { return *admin_; }

  private:
    orgscim::testing::temp_dir dir_;
    plugin::storage_config cfg_;
    std::unique_ptr<plugin::backend> admin_;
};

class postgres_database {
  public:
    static constexpr const char* name = "postgresql";
    static std::optional<std::string> skip_reason() {
        std::string why;
        if (orgscim::testing::pg_cluster::shared(&why) != nullptr) return std::nullopt;
        if (orgscim::testing::ci_requires_services()) return std::nullopt;  // fails below
        return "PostgreSQL could not be started (set CI=true to make this a failure): " + why;
    }

    /// A new database; migrated unless `migrate` is false.
    explicit postgres_database(bool migrate = true) {
        std::string why;
        auto* cluster = orgscim::testing::pg_cluster::shared(&why);
        if (cluster == nullptr) {
            throw std::runtime_error("CI=true and PostgreSQL could not be started: " + why);
        }
        static std::atomic<int> n{0};
        // The URI comes from the environment, as in production; one variable per database.
        const std::string var = "ORGSCIM_TEST_STORE_PG_URI_" + std::to_string(++n);
        ::setenv(var.c_str(), cluster->create_database().c_str(), 1);
        cfg_.backend = "postgresql";
        cfg_.postgresql.uri_env = var;
        cfg_.postgresql.pool_size = 4;
        cfg_.postgresql.connect_timeout_ms = 5000;
        cfg_.postgresql.statement_timeout_ms = 10000;
        if (migrate) admin_ = plugin::open_backend(cfg_);
    }
    const plugin::storage_config& storage() const { return cfg_; }
    plugin::backend& admin() { return *admin_; }

  private:
    plugin::storage_config cfg_;
    std::unique_ptr<plugin::backend> admin_;
};

/// Names typed-test instantiations after the backend ("sqlite", "postgresql").
struct backend_name {
    template <class T>
    static std::string GetName(int) {
        return T::name;
    }
};

}  // namespace orgscim::store_tests
