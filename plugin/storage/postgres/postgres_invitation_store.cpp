// PostgreSQL: invitations, access requests and the mail outbox (issue 6).
#include "postgres/postgres_migrations.hpp"

namespace orgscim::plugin::postgres {

// Placeholder until the store lands: an empty migration keeps the version numbers in order.
const std::string_view invitation_schema = "SELECT 1";

}  // namespace orgscim::plugin::postgres
