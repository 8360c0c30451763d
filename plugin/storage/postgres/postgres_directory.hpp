#pragma once
// The PostgreSQL directory_store (schema: migration 2, postgres_directory.cpp); open_directory()
// (store_selection.cpp) picks it by backend name.

#include <cstdint>
#include <functional>
#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <string>

namespace orgscim::plugin {

/// A pool of its own to `uri` (a libpq URI, from pg::uri_from_env()). Throws startup_error when
/// the database cannot be reached or lacks migration 2 (postgres_store applies it).
std::unique_ptr<directory_store> open_postgres_directory(const postgres_config& cfg,
                                                         std::string uri,
                                                         std::function<std::int64_t()> now_ms);

}  // namespace orgscim::plugin
