#pragma once
// A storage backend: everything orgscim keeps, behind the ports, chosen by name from config
// ("sqlite" | "postgresql"). Nothing driver-specific crosses this header.

#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/admin_store.hpp>
#include <orgscim/scim/store.hpp>

namespace orgscim::plugin {

/// One request's writes across every store of the database (resources, organization directory):
/// while it is open, what this thread writes, and reads, through them runs in one transaction, so
/// that a SCIM write and its follow-up in the organization model (the leaver's fan-out) commit or
/// roll back together. The transaction begins at the first write; each store call inside it is a
/// savepoint, so a failed one (a Bulk operation answered 409) leaves the others. Rolled back when
/// destroyed uncommitted. Must end on the thread that opened it.
class unit_of_work {
  public:
    virtual ~unit_of_work() = default;
    /// Commits what was written (nothing to do when nothing was). Errors: unavailable (then
    /// retry() says whether running the whole unit again can succeed), internal.
    virtual store_result<void> commit() = 0;
    /// True once the unit's work is lost in a way that running the whole unit again can cure
    /// (PostgreSQL: serialization failure or deadlock; a rerunnable unit: see unit_mode); the
    /// unit is then only fit to roll back.
    virtual bool retry() const = 0;
};

/// How a unit of work may be run.
enum class unit_mode {
    /// Each store call inside is a savepoint of its own.
    once,
    /// The caller runs the whole unit again, as `once`, while retry() says so. The backend may
    /// then leave out the per-call savepoints (SQLite: 12 % of a POST's time on the writer
    /// thread). A store call that fails after writing then asks for the run again, since its
    /// writes cannot be undone alone; so may another unit's such failure in a shared commit
    /// (SQLite).
    rerunnable,
};

class backend : public scim::resource_store, public org_store, public token_store {
  public:
    /// True when the database answers (for /readyz).
    virtual bool healthy() = 0;
    /// Opens a unit of work on this thread. Inside another one, the new one joins it and its
    /// commit() does nothing. Never fails: the database is first touched at the first write.
    virtual std::unique_ptr<unit_of_work> begin_unit(unit_mode mode) = 0;
};

/// Process-wide database settings that must come before the first database use, for a program
/// that owns its process (the `orgscim` program; not the plugin, whose host may use SQLite
/// itself). Call once, first thing in main. Never fails: a setting that cannot be made is left.
void configure_storage_for_this_process();

/// Opens the configured backend and applies pending migrations. Throws startup_error with a
/// one-line reason when the database cannot be opened or migrated.
std::unique_ptr<backend> open_backend(const storage_config& cfg);

}  // namespace orgscim::plugin
