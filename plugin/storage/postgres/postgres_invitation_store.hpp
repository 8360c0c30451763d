#pragma once
// PostgreSQL implementation of invitation_store and outbox_store (tables of migration 3), for
// several orgscim instances sharing one database. The locks each operation takes are described
// at the top of postgres_invitation_store.cpp.

#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/invitation_backend.hpp>
#include <string>

namespace orgscim::plugin {

/// Connects to `uri` (libpq URI or key=value string) on a database that postgres_store has
/// migrated. Throws startup_error when it cannot connect or the invitation tables are missing.
std::unique_ptr<invitation_backend> open_postgres_invitation_store(const postgres_config& cfg,
                                                                   std::string uri);

}  // namespace orgscim::plugin
