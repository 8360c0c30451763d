#pragma once
// Schema migrations on demand and moving a whole database between backends (issue 7):
// `orgscim migrate`, `orgscim export` and `orgscim import-db`. The export stream is JSON lines
// (docs/cli.md): a header naming the source backend and schema version, one line per row, and a
// trailer with the row count of every table, so a truncated file is never loaded.

#include <cstdint>
#include <iosfwd>
#include <orgscim/plugin/config.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace orgscim::plugin {

/// A migration, export or import that cannot go ahead; what() is one line for the operator.
struct transfer_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct migrate_report {
    std::string backend;       ///< "sqlite" | "postgresql"
    std::vector<int> applied;  ///< the versions this call applied, in order (none: up to date)
    int version = 0;           ///< the database's schema version afterwards
};

/// Applies the configured database's pending migrations under the lock the servers take at
/// start-up (SQLite: the write lock; PostgreSQL: an advisory lock), so running servers and other
/// migrators may run meanwhile and each migration is applied once. Creates an SQLite file that
/// does not exist. Throws transfer_error (cannot open or migrate) or startup_error (unknown
/// backend, URI variable unset, database newer than this program).
migrate_report migrate_storage(const storage_config& cfg, std::int64_t now_ms);

struct transfer_summary {
    std::string backend;  ///< the database read (export) or written (import)
    int schema_version = 0;
    std::vector<std::pair<std::string, std::int64_t>> rows;  ///< per table, in stream order
    std::int64_t total() const {
        std::int64_t n = 0;
        for (const auto& [table, count] : rows) n += count;
        return n;
    }
};

/// Writes every row of the configured database to `out`, read from one snapshot, so servers may
/// keep running (writes made after the snapshot are not in the stream). The source is never
/// migrated: it must be at this program's schema version. Throws transfer_error (cannot open,
/// other schema version, unknown tables or columns, read or write failure) or startup_error.
transfer_summary export_storage(const storage_config& cfg, std::ostream& out, std::int64_t now_ms);

/// Loads a stream written by export_storage (from either backend) into the configured database,
/// all in one transaction: nothing is loaded unless everything is. The target must be migrated
/// to this program's schema version and hold no rows; the stream must come from this program's
/// schema version of its backend. Serial columns (PostgreSQL sequences) continue after the
/// largest imported value. Throws transfer_error (with the stream's line number where one is at
/// fault) or startup_error.
transfer_summary import_storage(const storage_config& cfg, std::istream& in);

}  // namespace orgscim::plugin
