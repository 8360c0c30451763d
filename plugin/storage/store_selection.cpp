// The one place where a storage backend is chosen by name.
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/plugin/storage/invitation_backend.hpp>
#include <orgscim/plugin/storage/oauth_store.hpp>

#include "postgres/pg_connection.hpp"
#include "postgres/postgres_directory.hpp"
#include "postgres/postgres_invitation_store.hpp"
#include "postgres/postgres_oauth_store.hpp"
#include "postgres/postgres_store.hpp"
#include "sqlite/page_cache.hpp"
#include "sqlite/sqlite_db.hpp"
#include "sqlite/sqlite_directory.hpp"
#include "sqlite/sqlite_invitation_store.hpp"
#include "sqlite/sqlite_oauth_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace orgscim::plugin {

void configure_storage_for_this_process() {
    sqlite::disable_memory_statistics();
    sqlite::install_page_cache();
}

std::unique_ptr<backend> open_backend(const storage_config& cfg) {
    if (cfg.backend == "sqlite") return std::make_unique<sqlite_store>(cfg.sqlite);
    if (cfg.backend == "postgresql") {
        return std::make_unique<postgres_store>(cfg.postgresql, pg::uri_from_env(cfg.postgresql));
    }
    throw startup_error("storage.backend: unknown backend \"" + cfg.backend + "\"");
}

std::unique_ptr<invitation_backend> open_invitation_backend(const storage_config& cfg) {
    if (cfg.backend == "sqlite") return std::make_unique<sqlite_invitation_store>(cfg.sqlite);
    if (cfg.backend == "postgresql") {
        return open_postgres_invitation_store(cfg.postgresql, pg::uri_from_env(cfg.postgresql));
    }
    throw startup_error("storage.backend: unknown backend \"" + cfg.backend + "\"");
}

std::unique_ptr<oauth_store> open_oauth_store(const storage_config& cfg,
                                              std::function<std::int64_t()> now_ms) {
    if (cfg.backend == "sqlite") return open_sqlite_oauth_store(cfg.sqlite, std::move(now_ms));
    if (cfg.backend == "postgresql") {
        return open_postgres_oauth_store(cfg.postgresql, pg::uri_from_env(cfg.postgresql),
                                         std::move(now_ms));
    }
    throw startup_error("storage.backend: unknown backend \"" + cfg.backend + "\"");
}

std::unique_ptr<directory_store> open_directory(const storage_config& cfg,
                                                std::function<std::int64_t()> now_ms) {
    if (cfg.backend == "sqlite") return open_sqlite_directory(cfg.sqlite, std::move(now_ms));
    if (cfg.backend == "postgresql") {
        return open_postgres_directory(cfg.postgresql, pg::uri_from_env(cfg.postgresql),
                                       std::move(now_ms));
    }
    throw startup_error("storage.backend: unknown backend \"" + cfg.backend + "\"");
}

}  // namespace orgscim::plugin
