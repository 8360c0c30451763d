#pragma once
// PostgreSQL implementation of oauth_store (tables of migration 4), shared by every orgscim
// instance on the database. Locks: see postgres_oauth_store.cpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/oauth_store.hpp>
#include <string>

namespace orgscim::plugin {

/// Connects to `uri` on a database that postgres_store has migrated. `now_ms` stamps rows
/// written with created_ms 0 (the system clock when empty). Throws startup_error when it cannot
/// connect or the OAuth tables are missing.
std::unique_ptr<oauth_store> open_postgres_oauth_store(const postgres_config& cfg,
                                                       std::string uri,
                                                       std::function<std::int64_t()> now_ms = {});

}  // namespace orgscim::plugin
