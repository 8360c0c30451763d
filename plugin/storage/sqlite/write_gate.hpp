#pragma once
// One writer at a time per database file inside this process. Every SQLite store of orgscim
// (resources, organization directory, invitations) takes this lock around BEGIN IMMEDIATE ...
// COMMIT, so concurrent writers queue on a mutex instead of sleeping in SQLite's busy handler,
// which backs off in steps of up to 100 ms. Other processes still meet busy_timeout.

#include <memory>
#include <mutex>
#include <string>

namespace orgscim::plugin::sqlite {

/// The gate of the database file at `path` (canonicalized; the same object for every caller).
/// Recursive so that a thread that already writes cannot deadlock on itself.
std::shared_ptr<std::recursive_mutex> write_gate(const std::string& path);

}  // namespace orgscim::plugin::sqlite
