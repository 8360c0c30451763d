// migrate / export / import-db: the backend chosen by name, as in store_selection.cpp.
#include <orgscim/plugin/storage/transfer.hpp>

#include "postgres/pg_connection.hpp"
#include "postgres/postgres_migrations.hpp"
#include "postgres/postgres_transfer.hpp"
#include "sql/transfer.hpp"
#include "sqlite/sqlite_migrations.hpp"
#include "sqlite/sqlite_transfer.hpp"

namespace orgscim::plugin {

namespace {

[[noreturn]] void unknown_backend(const storage_config& cfg) {
    throw startup_error("storage.backend: unknown backend \"" + cfg.backend + "\"");
}

std::optional<int> latest_version(std::string_view backend) {
    if (backend == "sqlite") return static_cast<int>(sqlite::migrations().size());
    if (backend == "postgresql") return static_cast<int>(postgres::migrations().size());
    return std::nullopt;
}

}  // namespace

migrate_report migrate_storage(const storage_config& cfg, std::int64_t now_ms) {
    if (cfg.backend == "sqlite") return sqlite::migrate_database(cfg.sqlite, now_ms);
    if (cfg.backend == "postgresql") {
        return postgres::migrate_database(cfg.postgresql, pg::uri_from_env(cfg.postgresql), now_ms);
    }
    unknown_backend(cfg);
}

transfer_summary export_storage(const storage_config& cfg, std::ostream& out, std::int64_t now_ms) {
    std::unique_ptr<sql::transfer::reader> r;
    if (cfg.backend == "sqlite") {
        r = sqlite::open_reader(cfg.sqlite);
    } else if (cfg.backend == "postgresql") {
        r = postgres::open_reader(cfg.postgresql, pg::uri_from_env(cfg.postgresql));
    } else {
        unknown_backend(cfg);
    }
    return sql::transfer::write_stream(*r, out, *latest_version(cfg.backend), now_ms);
}

transfer_summary import_storage(const storage_config& cfg, std::istream& in) {
    std::unique_ptr<sql::transfer::writer> w;
    if (cfg.backend == "sqlite") {
        w = sqlite::open_writer(cfg.sqlite);
    } else if (cfg.backend == "postgresql") {
        w = postgres::open_writer(cfg.postgresql, pg::uri_from_env(cfg.postgresql));
    } else {
        unknown_backend(cfg);
    }
    return sql::transfer::read_stream(in, *w, latest_version);
}

}  // namespace orgscim::plugin
