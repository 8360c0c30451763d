#pragma once
// A storage backend: everything orgscim keeps, behind the ports, chosen by name from config
// ("sqlite" | "postgresql"). Nothing driver-specific crosses this header.

#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/admin_store.hpp>
#include <orgscim/scim/store.hpp>

namespace orgscim::plugin {

class backend : public scim::resource_store, public org_store, public token_store {
  public:
    /// True when the database answers (for /readyz).
    virtual bool healthy() = 0;
};

/// Opens the configured backend and applies pending migrations. Throws startup_error with a
/// one-line reason when the database cannot be opened or migrated.
std::unique_ptr<backend> open_backend(const storage_config& cfg);

}  // namespace orgscim::plugin
