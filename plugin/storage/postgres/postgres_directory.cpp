// PostgreSQL: organization directory (issue 5).
#include "postgres/postgres_migrations.hpp"

namespace orgscim::plugin::postgres {

// Placeholder until the store lands: an empty migration keeps the version numbers in order.
const std::string_view directory_schema = "SELECT 1";

}  // namespace orgscim::plugin::postgres
