#pragma once
// SQLite implementation of oauth_store (tables of migrations 5 and 6); open_oauth_store() picks
// it for backend "sqlite".

#include <cstdint>
#include <functional>
#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/oauth_store.hpp>

namespace orgscim::plugin {

/// Opens the OAuth store on the database file of `cfg`, which open_backend() has migrated.
/// `now_ms` stamps rows written with created_ms 0 (the system clock when empty). Throws
/// startup_error when the file cannot be opened or has no OAuth tables.
std::unique_ptr<oauth_store> open_sqlite_oauth_store(const sqlite_config& cfg,
                                                     std::function<std::int64_t()> now_ms = {});

}  // namespace orgscim::plugin
