#pragma once
// The invitation records and the mail outbox of one database, opened by backend name like
// open_backend(). The schema comes from the backend's migrations, so open_backend() (which
// migrates) must have run on the same database first.

#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/invitation_store.hpp>
#include <orgscim/plugin/storage/outbox.hpp>

namespace orgscim::plugin {

class invitation_backend : public invitation_store, public outbox_store {};

/// "sqlite" or "postgresql" (URI from the variable named by cfg.postgresql.uri_env). Throws
/// startup_error when the database cannot be opened or has not been migrated, or for an unknown
/// backend. Defined in plugin_storage.
std::unique_ptr<invitation_backend> open_invitation_backend(const storage_config& cfg);

}  // namespace orgscim::plugin
