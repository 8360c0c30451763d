// The one place where a storage backend is chosen by name.
#include <orgscim/plugin/storage/backend.hpp>

#include "postgres/pg_connection.hpp"
#include "postgres/postgres_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace orgscim::plugin {

std::unique_ptr<backend> open_backend(const storage_config& cfg) {
    if (cfg.backend == "sqlite") return std::make_unique<sqlite_store>(cfg.sqlite);
    if (cfg.backend == "postgresql") {
        return std::make_unique<postgres_store>(cfg.postgresql, pg::uri_from_env(cfg.postgresql));
    }
    throw startup_error("storage.backend: unknown backend \"" + cfg.backend + "\"");
}

}  // namespace orgscim::plugin
