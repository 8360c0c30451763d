// SQLite's page cache behind sqlite/page_cache.hpp: a commit after B-tree balances no longer
// walks the whole cache, and a truncation that has pages to drop still reaches SQLite's cache,
// so what a rollback undid is never read back.
#include <gtest/gtest.h>

#include <orgscim/testing/process.hpp>
#include <string>

#include "sqlite/page_cache.hpp"
#include "sqlite/sqlite_db.hpp"
#include "sqlite_scratch_table.hpp"

namespace {

using namespace orgscim::plugin;

// Before main, so before anything in this program starts SQLite.
const bool installed_first = sqlite::install_page_cache();

sqlite::connection_options writer_options() { return {.create = true, .wal = true}; }

std::string insert_rows(int n) { return orgscim::testing::insert_scratch_rows(n, 100); }

std::int64_t count_rows(sqlite::connection& c) { return orgscim::testing::count_scratch_rows(c); }

std::string integrity(sqlite::connection& c) {
    sqlite::stmt s(c, "PRAGMA integrity_check");
    return s.step() ? s.text(0) : "";
}

TEST(sqlite_page_cache, is_installed_once_before_sqlite_starts) {
    EXPECT_TRUE(installed_first);
    EXPECT_FALSE(sqlite::install_page_cache());  // a second wrapper would wrap the first
}

TEST(sqlite_page_cache, a_commit_after_balances_skips_the_walk) {
    orgscim::testing::temp_dir dir;
    sqlite::connection c(dir.path() + "/t.db", writer_options());
    orgscim::testing::create_scratch_table(c);
    const auto before = sqlite::page_cache_counts_now();
    c.exec("BEGIN IMMEDIATE; " + insert_rows(5000));
    const auto inserted = sqlite::page_cache_counts_now();
    EXPECT_GT(inserted.parked_on_lock_page, before.parked_on_lock_page);  // balances happened

    c.exec("COMMIT");

    const auto committed = sqlite::page_cache_counts_now();
    EXPECT_EQ(committed.truncations_skipped, inserted.truncations_skipped + 1);
    EXPECT_EQ(committed.truncations_passed, inserted.truncations_passed);
    EXPECT_EQ(count_rows(c), 5000);
    EXPECT_EQ(integrity(c), "ok");
}

TEST(sqlite_page_cache, a_rollback_that_shrinks_the_file_drops_its_pages) {
    orgscim::testing::temp_dir dir;
    const std::string path = dir.path() + "/t.db";
    sqlite::connection c(path, writer_options());
    orgscim::testing::create_scratch_table(c);
    c.exec("BEGIN IMMEDIATE; " + insert_rows(2000) + "; SAVEPOINT grown; " + insert_rows(5000));
    const auto before = sqlite::page_cache_counts_now();

    // The file's size goes back to the savepoint's: the pages allocated since are dropped.
    c.exec("ROLLBACK TO grown; RELEASE grown; " + insert_rows(300) + "; COMMIT");

    EXPECT_GT(sqlite::page_cache_counts_now().truncations_passed, before.truncations_passed);
    EXPECT_EQ(count_rows(c), 2300);
    EXPECT_EQ(integrity(c), "ok");
    sqlite::connection fresh(path, {});  // reads the file, not the writer's cache
    EXPECT_EQ(count_rows(fresh), 2300);
    EXPECT_EQ(integrity(fresh), "ok");
}

}  // namespace
