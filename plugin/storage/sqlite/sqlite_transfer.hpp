#pragma once
// SQLite's side of `orgscim migrate`, `export` and `import-db`: a migrator that reports what it
// applied, a reader over one snapshot and a writer in one BEGIN IMMEDIATE transaction. Each opens
// its own connection to the file, apart from the stores.

#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/transfer.hpp>

#include "sql/transfer.hpp"

namespace orgscim::plugin::sqlite {

/// Creates the file if needed. Throws transfer_error or startup_error (database newer than this
/// program).
migrate_report migrate_database(const sqlite_config& cfg, std::int64_t now_ms);

/// Throws transfer_error when the file does not exist or cannot be read.
std::unique_ptr<sql::transfer::reader> open_reader(const sqlite_config& cfg);

/// Throws transfer_error when the file does not exist or the write lock is not had in time.
std::unique_ptr<sql::transfer::writer> open_writer(const sqlite_config& cfg);

}  // namespace orgscim::plugin::sqlite
