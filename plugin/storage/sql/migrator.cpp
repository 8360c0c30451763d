#include "sql/migrator.hpp"

#include <orgscim/plugin/config.hpp>
#include <string>

namespace orgscim::plugin::sql {

std::vector<const migration*> pending_migrations(std::span<const migration> all, int current) {
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].version != static_cast<int>(i) + 1)
            throw startup_error("storage migrations are not numbered 1..n");
    }
    if (current > static_cast<int>(all.size())) {
        throw startup_error("database schema version " + std::to_string(current) +
                            " is newer than this orgscim (knows up to " +
                            std::to_string(all.size()) + ")");
    }
    std::vector<const migration*> out;
    for (const auto& m : all) {
        if (m.version > current) out.push_back(&m);
    }
    return out;
}

}  // namespace orgscim::plugin::sql
