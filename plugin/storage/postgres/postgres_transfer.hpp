#pragma once
// PostgreSQL's side of `orgscim migrate`, `export` and `import-db`: the start-up migrator
// reporting what it applied, a reader over one REPEATABLE READ snapshot (paged by key, so a large
// table is never held in memory at once) and a writer in one transaction that locks every table
// against other writers and moves the sequences past the imported values.

#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/transfer.hpp>
#include <string>

#include "sql/transfer.hpp"

namespace orgscim::plugin::postgres {

/// Throws transfer_error or startup_error (database newer than this program).
migrate_report migrate_database(const postgres_config& cfg,
                                const std::string& uri,
                                std::int64_t now_ms);

/// Throws transfer_error when the database cannot be reached.
std::unique_ptr<sql::transfer::reader> open_reader(const postgres_config& cfg,
                                                   const std::string& uri);
std::unique_ptr<sql::transfer::writer> open_writer(const postgres_config& cfg,
                                                   const std::string& uri);

}  // namespace orgscim::plugin::postgres
