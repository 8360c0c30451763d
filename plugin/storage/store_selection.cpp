// The one place where a storage backend is chosen by name.
#include <cstdlib>
#include <orgscim/plugin/storage/backend.hpp>

#include "postgres/postgres_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace orgscim::plugin {

std::unique_ptr<backend> open_backend(const storage_config& cfg) {
    if (cfg.backend == "sqlite") return std::make_unique<sqlite_store>(cfg.sqlite);
    if (cfg.backend == "postgresql") {
        // The URI carries credentials, so it comes from the environment, never the config file.
        const char* uri = std::getenv(cfg.postgresql.uri_env.c_str());
        if (uri == nullptr || *uri == '\0') {
            throw startup_error("storage.postgresql.uri_env: environment variable " +
                                cfg.postgresql.uri_env + " is not set");
        }
        return std::make_unique<postgres_store>(cfg.postgresql, uri);
    }
    throw startup_error("storage.backend: unknown backend \"" + cfg.backend + "\"");
}

}  // namespace orgscim::plugin
