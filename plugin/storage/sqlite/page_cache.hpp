#pragma once
// SQLite's own page cache, minus a walk of the whole cache at every commit.
//
// A B-tree balance swaps page numbers through the lock-byte page (262,145 with 4 KiB pages) for
// a moment. The default cache then believes it may hold a page that far out, so the truncation
// to the file's size at the end of every write transaction visits every bucket and every cached
// page: about 4,000 with the writer's 16 MiB cache, 5 % of the server's CPU per POST
// (docs/performance.md, twenty-second session). This wrapper remembers the largest page number
// really cached and skips a truncation that has nothing to drop. Every other call goes to SQLite's
// cache unchanged.
//
// The setting is process-wide and must come before SQLite starts, so only a program that owns
// its process installs it (configure_storage_for_this_process), never the plugin in a host.

#include <cstdint>

namespace orgscim::plugin::sqlite {

/// Installs the wrapper around SQLite's default page cache. False, with nothing changed, when
/// SQLite has already started or the wrapper is already installed.
bool install_page_cache();

/// What the wrapper has done for the connections this thread used (tests, measurements).
struct page_cache_counts {
    std::uint64_t truncations_passed = 0;   ///< pages past the limit may be cached: SQLite walks
    std::uint64_t truncations_skipped = 0;  ///< nothing cached past the limit
    std::uint64_t parked_on_lock_page = 0;  ///< balances' moves through the lock-byte page
};
page_cache_counts page_cache_counts_now();

}  // namespace orgscim::plugin::sqlite
