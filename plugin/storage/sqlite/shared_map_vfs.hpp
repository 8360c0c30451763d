// One read-only mapping of each SQLite database file per process, shared by its connections.
//
// SQLite's own memory mapping is per connection, and a connection that starts a read after
// another connection's commit unmaps its whole mapping (the file might have shrunk), then
// faults its pages in again: in a mix of reads and writes the unmapping, its TLB shootdowns and
// the faults after it were a fifth of a list's CPU, and each connection's mapped pages count in
// the resident set again (docs/performance.md). This VFS forwards everything to SQLite's
// default VFS except xFetch/xUnfetch of main database files, which it serves from one mapping
// per file that lives as long as a connection has the file open. Instead of unmapping, it reads
// the file's size again (a page past the end is never handed out; SQLite's locks keep a page
// inside a reader's snapshot from being truncated, as for its own mapping).
//
// It also collects the WAL frames a transaction writes (SQLite makes two pwrite calls per page)
// and writes them when the commit frame arrives, one call per 96 KiB, so that a commit that
// holds the file's write lock makes a few system calls instead of two per page; the commit is in
// the kernel before COMMIT returns and before the WAL index shows it to any reader.
#pragma once

#include <cstddef>
#include <cstdint>

namespace orgscim::plugin::sqlite {

/// Bytes of each database file that the shared mapping covers; pages past it are read with
/// pread. Mapped pages count once in the resident set, however many connections read them.
inline constexpr std::int64_t shared_map_bytes = std::int64_t{64} << 20;

/// The VFS's name for sqlite3_open_v2, registered (not as the default) on the first call;
/// nullptr if SQLite refused it, and then connections use SQLite's default VFS. Every
/// connection to an orgscim database file in this process must open through it: the mapping
/// holds its own descriptor of the file, and closing a descriptor drops every POSIX lock the
/// process holds on the file, so the VFS closes it only after the last connection it knows.
const char* shared_map_vfs() noexcept;

/// Database files mapped now (for tests: zero once every connection is closed).
std::size_t shared_map_files() noexcept;

/// Syncs of main database files that this thread has made (for tests).
std::uint64_t database_syncs_on_this_thread() noexcept;

}  // namespace orgscim::plugin::sqlite
