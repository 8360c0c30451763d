#pragma once
// One fresh database per test for the directory suites, on every backend: the databases of
// store_databases.hpp (SQLite on a file in a temp dir, PostgreSQL on the shared throwaway cluster)
// behind one interface. Opened as the server opens them: open_backend() migrates, open_directory()
// picks the store by backend name (the URI of PostgreSQL comes from an environment variable, as in
// production). Where PostgreSQL cannot start its tests skip, except under CI=true where they fail.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "pg_cluster.hpp"
#include "store_databases.hpp"

namespace orgscim::directory_tests {

/// A migrated database: storage() opens more stores on it, admin() is its SCIM and admin port.
struct database {
    virtual ~database() = default;
    virtual const plugin::storage_config& storage() const = 0;
    virtual plugin::backend& admin() = 0;
};

/// One of the databases of store_databases.hpp, behind `database`.
template <class Db>
struct database_of final : database {
    template <class... Args>
    explicit database_of(Args&&... args) : db(std::forward<Args>(args)...) {}
    const plugin::storage_config& storage() const override { return db.storage(); }
    plugin::backend& admin() override { return db.admin(); }
    Db db;
};

/// Why PostgreSQL tests are skipped here, or nothing (running, or CI=true: they must fail).
inline std::optional<std::string> postgres_skip_reason() {
    return store_tests::postgres_database::skip_reason();
}

/// The shared cluster; a test failure (not a skip) when it cannot start.
inline orgscim::testing::pg_cluster* postgres_cluster() {
    std::string why;
    auto* c = orgscim::testing::pg_cluster::shared(&why);
    if (c == nullptr) ADD_FAILURE() << "PostgreSQL could not be started: " << why;
    return c;
}

/// A new PostgreSQL database, migrated unless `migrate` is false (then only storage() is of use);
/// null, after a test failure, when the cluster cannot start.
inline std::unique_ptr<database> open_postgres(bool migrate = true) {
    if (postgres_cluster() == nullptr) return nullptr;
    return std::make_unique<database_of<store_tests::postgres_database>>(migrate);
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
         [] {
             return std::unique_ptr<database>(
                 std::make_unique<database_of<store_tests::sqlite_database>>());
         }},
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
