#pragma once
// One writer at a time per database file inside this process. Every SQLite store of orgscim
// (resources, organization directory, invitations) takes this gate around BEGIN IMMEDIATE ...
// COMMIT, so concurrent writers queue on a mutex instead of sleeping in SQLite's busy handler,
// which backs off in steps of up to 100 ms. Other processes still meet busy_timeout.
//
// The gate also carries the file's group commit: a unit of work that finishes while other units
// wait at the gate leaves its transaction open for them and waits for the COMMIT that the last
// of them makes (sqlite::unit, docs/storage.md). Nobody else finds it open: lock() commits it.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <orgscim/scim/store.hpp>
#include <string>

namespace orgscim::plugin::sqlite {

class connection;

class file_gate {
  public:
    /// Takes the gate for a writer outside a unit of work (recursive: a thread that already
    /// holds it cannot deadlock on itself). Commits the units that a finished unit left open.
    void lock();
    void unlock();

    /// Units of work that committed together with others since the gate was made.
    std::uint64_t units_in_shared_commits() const noexcept { return shared_.load(); }
    /// Units of work waiting to take the gate now.
    int units_waiting() const noexcept { return units_waiting_.load(); }

  private:
    friend class unit;

    // What the units that left their work in one transaction learn of its COMMIT.
    struct batch {
        bool done = false;
        std::optional<scim::store_errc> failed;
        bool rerun = false;  // rolled back for a rerunnable unit's failure: run the units again
    };

    void acquire_for_unit();  // lock() for a unit, which joins open work instead of ending it
    /// Under the gate: commits (or, with no finished unit in it, rolls back) the open
    /// transaction and tells its units. Never throws: a failure goes to the units.
    void end_batch(bool commit, bool rerun = false) noexcept;
    /// Under the gate, when a unit is done with it: hands the open transaction to a unit that
    /// waits at the gate, else ends it.
    void pass_on() noexcept;
    /// Under the gate, for a unit in a coroutine that yields next: leaves its work in the open
    /// transaction (unless it is the 64th unit there) and releases the gate.
    void leave_open() noexcept;
    /// Gate released: commits `b` unless someone did; throws db_failure if that failed.
    void finish(const std::shared_ptr<batch>& b);
    /// Waits (gate released) until `b` is committed; throws db_failure if it failed.
    void wait_for(const std::shared_ptr<batch>& b);

    std::recursive_mutex mu_;
    int depth_ = 0;                 // holds of mu_ by its owner
    connection* open_ = nullptr;    // the connection whose transaction the units share
    int finished_ = 0;              // units whose work is in it, waiting for its COMMIT
    bool rerunnable_only_ = false;  // every unit in it is rerunnable and has no savepoint
    std::shared_ptr<batch> current_ = std::make_shared<batch>();
    std::atomic<int> units_waiting_{0};
    std::atomic<std::uint64_t> shared_{0};
    std::mutex done_mu_;
    std::condition_variable done_cv_;
};

/// The gate of the database file at `path` (canonicalized; the same object for every caller).
std::shared_ptr<file_gate> write_gate(const std::string& path);

}  // namespace orgscim::plugin::sqlite
