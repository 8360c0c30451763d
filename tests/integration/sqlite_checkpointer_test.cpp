// The checkpoint thread behind sqlite/checkpointer.hpp syncs the database file after a round
// that copied frames, so that the writer whose commit copies the WAL's last frame no longer
// waits for every page copied since the WAL began. A reader's open snapshot is what keeps a
// round from copying the whole WAL, as continuous writes do in the server.
#include <gtest/gtest.h>

#include <chrono>
#include <orgscim/testing/process.hpp>
#include <string>

#include "sqlite/checkpointer.hpp"
#include "sqlite/shared_map_vfs.hpp"
#include "sqlite/sqlite_db.hpp"
#include "sqlite_scratch_table.hpp"

namespace {

using namespace orgscim::plugin;
using namespace std::chrono_literals;

// A writer that never checkpoints itself: only the rounds under test copy frames.
struct database {
    orgscim::testing::temp_dir dir;
    std::string path = dir.path() + "/t.db";
    sqlite::connection writer{path, {.create = true, .wal = true}};

    database() {
        writer.exec("PRAGMA wal_autocheckpoint=0");
        orgscim::testing::create_scratch_table(writer);
    }
    void insert(int n) { writer.exec(orgscim::testing::insert_scratch_rows(n, 200)); }
};

std::int64_t count_rows(sqlite::connection& c) { return orgscim::testing::count_scratch_rows(c); }

TEST(sqlite_checkpointer, a_round_that_copies_part_of_the_wal_syncs_the_database) {
    database db;
    db.insert(500);
    sqlite::connection reader(db.path, {.read_only = true});
    reader.exec("BEGIN");
    ASSERT_EQ(count_rows(reader), 500);  // its snapshot ends here
    db.insert(500);
    sqlite::checkpointer cp(db.path, 1h);

    const auto before = sqlite::database_syncs_on_this_thread();
    const auto r = cp.round();

    EXPECT_GT(r.copied_frames, 0);
    EXPECT_LT(r.copied_frames, r.wal_frames);  // the reader holds the rest back
    EXPECT_TRUE(r.synced_database);
    EXPECT_EQ(sqlite::database_syncs_on_this_thread(), before + 1);

    // Nothing new to copy: nothing to sync.
    const auto again = cp.round();
    EXPECT_EQ(again.copied_frames, r.copied_frames);
    EXPECT_FALSE(again.synced_database);
    EXPECT_EQ(sqlite::database_syncs_on_this_thread(), before + 1);

    // With the reader gone the round copies the last frame. SQLite syncs the file then, but
    // only if no commit came in the meantime, which the counts do not tell: the round syncs too.
    reader.exec("COMMIT");
    const auto last = cp.round();
    EXPECT_EQ(last.copied_frames, last.wal_frames);
    EXPECT_TRUE(last.synced_database);
    EXPECT_EQ(sqlite::database_syncs_on_this_thread(), before + 3);
    EXPECT_EQ(count_rows(db.writer), 1000);
}

// Under continuous writes a round often finds a new WAL that is already longer than the one
// it saw last, and fewer frames copied than last time.
TEST(sqlite_checkpointer, syncs_frames_copied_from_a_new_wal) {
    database db;
    db.insert(500);
    sqlite::checkpointer cp(db.path, 1h);
    const auto full = cp.round();  // copies everything, so the next write restarts the WAL
    ASSERT_EQ(full.copied_frames, full.wal_frames);

    db.insert(50);
    sqlite::connection reader(db.path, {.read_only = true});
    reader.exec("BEGIN");
    ASSERT_EQ(count_rows(reader), 550);
    db.insert(2000);
    const auto before = sqlite::database_syncs_on_this_thread();
    const auto r = cp.round();

    EXPECT_GT(r.wal_frames, full.wal_frames);
    EXPECT_LT(r.copied_frames, full.copied_frames);
    EXPECT_GT(r.copied_frames, 0);
    EXPECT_LT(r.copied_frames, r.wal_frames);
    EXPECT_TRUE(r.synced_database);
    EXPECT_EQ(sqlite::database_syncs_on_this_thread(), before + 1);
    reader.exec("COMMIT");
}

TEST(sqlite_checkpointer, a_file_not_in_wal_mode_is_left_alone) {
    orgscim::testing::temp_dir dir;
    const auto path = dir.path() + "/r.db";
    sqlite::connection c(path, {.create = true});
    orgscim::testing::create_scratch_table(c);
    sqlite::checkpointer cp(path, 1h);
    const auto before = sqlite::database_syncs_on_this_thread();
    const auto r = cp.round();
    EXPECT_EQ(r.wal_frames, -1);
    EXPECT_FALSE(r.synced_database);
    EXPECT_EQ(sqlite::database_syncs_on_this_thread(), before);
}

}  // namespace
