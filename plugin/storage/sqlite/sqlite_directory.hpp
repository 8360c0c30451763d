#pragma once
// The SQLite directory_store; open_directory() (store_selection.cpp) picks it by backend name.

#include <cstdint>
#include <functional>
#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/directory_store.hpp>

namespace orgscim::plugin {

/// Its own connection to the file, writes behind the file's write gate. Throws startup_error when
/// the file cannot be opened or lacks migration 3.
std::unique_ptr<directory_store> open_sqlite_directory(const sqlite_config& cfg,
                                                       std::function<std::int64_t()> now_ms);

}  // namespace orgscim::plugin
