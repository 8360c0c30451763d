#pragma once
// Versioned schema migrations, kept as SQL text in the source of each backend. A database records
// the versions it has in `schema_migrations(version, applied_ms)`; at open, every newer one is
// applied in order, each in its own transaction.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace orgscim::plugin::sql {

struct migration {
    int version;                   ///< 1, 2, 3 ... without gaps
    std::string_view description;  ///< for the log
    std::string_view sql;          ///< one or more statements
};

/// The migrations newer than `current`, in version order. Throws plugin::startup_error when the
/// list has gaps or the database is newer than this program (`current` above the last version).
std::vector<const migration*> pending_migrations(std::span<const migration> all, int current);

}  // namespace orgscim::plugin::sql
