// The shared mapping VFS (sqlite/shared_map_vfs.hpp): one mapping of a database file for all
// of its connections in the process, kept across transactions, that follows the file as
// checkpoints grow it and as a VACUUM shrinks it, and that goes with the last connection; and
// the WAL frames of a commit written in a few calls, in the file when COMMIT returns.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <orgscim/testing/process.hpp>
#include <string>
#include <vector>

#include "sqlite/shared_map_vfs.hpp"
#include "sqlite/sqlite_db.hpp"

namespace {

using namespace orgscim::plugin;

sqlite::connection_options writer_options() {
    return {.create = true, .wal = true, .map_pages = true};
}
sqlite::connection_options reader_options() { return {.map_pages = true, .read_only = true}; }

// Lines of /proc/self/maps that map `path`.
int mappings_of(const std::string& path) {
    std::ifstream maps("/proc/self/maps");
    int n = 0;
    for (std::string line; std::getline(maps, line);) {
        if (line.size() >= path.size() && line.ends_with(path)) ++n;
    }
    return n;
}

// Resident KiB of the mapping of `path` (/proc/self/smaps): pages read through it.
long mapped_kib(const std::string& path) {
    std::ifstream smaps("/proc/self/smaps");
    bool in = false;
    for (std::string line; std::getline(smaps, line);) {
        if (line.ends_with(path)) {
            in = true;
        } else if (in && line.starts_with("Rss:")) {
            return std::stol(line.substr(4));
        }
    }
    return -1;
}

std::size_t open_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

// Write calls this process has made (/proc/self/io counts pwrite too).
std::int64_t write_calls() {
    std::ifstream io("/proc/self/io");
    for (std::string line; std::getline(io, line);) {
        if (line.starts_with("syscw:")) return std::stoll(line.substr(6));
    }
    return -1;
}

std::int64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : -1;
}

// Rows x = from..to-1, each with a 1,000-byte blob, so that the file spans many pages.
void insert_rows(sqlite::connection& c, int from, int to) {
    c.exec("BEGIN");
    for (int x = from; x < to; ++x) {
        sqlite::stmt s(c, "INSERT INTO t (x, b) VALUES (?1, zeroblob(1000))");
        s.bind(1, std::int64_t{x});
        s.run();
    }
    c.exec("COMMIT");
}

struct totals {
    std::int64_t rows = 0, sum = 0, bytes = 0;
};

// Reads every page of t.
totals read_all(sqlite::connection& c) {
    sqlite::stmt q(c, "SELECT count(*), coalesce(sum(x), 0), coalesce(sum(length(b)), 0) FROM t");
    EXPECT_TRUE(q.step());
    return {q.int64(0), q.int64(1), q.int64(2)};
}

std::int64_t sum_below(int to) { return std::int64_t{to} * (to - 1) / 2; }

TEST(shared_map_vfs, connections_of_a_file_share_one_mapping_that_goes_with_the_last) {
    ASSERT_NE(sqlite::shared_map_vfs(), nullptr);
    orgscim::testing::temp_dir dir;
    const std::string path = dir.path() + "/m.db";
    const std::size_t files_before = sqlite::shared_map_files();
    {
        auto writer = std::make_unique<sqlite::connection>(path, writer_options());
        writer->exec("CREATE TABLE t (x INTEGER PRIMARY KEY, b BLOB)");
        insert_rows(*writer, 0, 2000);
        writer->exec("PRAGMA wal_checkpoint(TRUNCATE)");
        std::vector<std::unique_ptr<sqlite::connection>> readers;
        for (int i = 0; i < 3; ++i) {
            readers.push_back(std::make_unique<sqlite::connection>(path, reader_options()));
            const auto t = read_all(*readers.back());
            EXPECT_EQ(t.rows, 2000);
            EXPECT_EQ(t.bytes, 2'000'000);
        }
        // SQLite's own mapping would be one per connection: four here.
        EXPECT_EQ(mappings_of(path), 1);
        EXPECT_EQ(sqlite::shared_map_files(), files_before + 1);
        readers.clear();
        EXPECT_EQ(mappings_of(path), 1);  // the writer still has the file open
    }
    EXPECT_EQ(mappings_of(path), 0);
    EXPECT_EQ(sqlite::shared_map_files(), files_before);
}

TEST(shared_map_vfs, a_reader_follows_the_file_through_growth_and_a_vacuum_that_shrinks_it) {
    orgscim::testing::temp_dir dir;
    const std::string path = dir.path() + "/g.db";
    sqlite::connection writer(path, writer_options());
    writer.exec("CREATE TABLE t (x INTEGER PRIMARY KEY, b BLOB)");
    insert_rows(writer, 0, 1000);
    writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite::connection reader(path, reader_options());
    auto t = read_all(reader);
    EXPECT_EQ(t.rows, 1000);
    EXPECT_EQ(t.sum, sum_below(1000));

    // Rows the reader has not seen, copied into the file past the size it last read.
    insert_rows(writer, 1000, 6000);
    writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const auto grown = file_size(path);
    t = read_all(reader);
    EXPECT_EQ(t.rows, 6000);
    EXPECT_EQ(t.sum, sum_below(6000));
    EXPECT_EQ(t.bytes, 6'000'000);
    // Read through the mapping, not with pread past the size first seen (about 1 MB).
    EXPECT_GT(mapped_kib(path), 5'000);

    // The file shrinks under pages the reader has read through the mapping; reading again
    // must neither fault on them (SIGBUS) nor see what was deleted.
    writer.exec("DELETE FROM t WHERE x >= 100");
    writer.exec("VACUUM");
    writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    EXPECT_LT(file_size(path), grown / 4);
    t = read_all(reader);
    EXPECT_EQ(t.rows, 100);
    EXPECT_EQ(t.sum, sum_below(100));

    // And grows again past where it was.
    insert_rows(writer, 100, 7000);
    writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    t = read_all(reader);
    EXPECT_EQ(t.rows, 7000);
    EXPECT_EQ(t.sum, sum_below(7000));
}

TEST(shared_map_vfs, closing_every_connection_releases_the_descriptors) {
    orgscim::testing::temp_dir dir;
    const std::size_t before = open_descriptors();
    for (int i = 0; i < 20; ++i) {
        const std::string path = dir.path() + "/d" + std::to_string(i) + ".db";
        sqlite::connection writer(path, writer_options());
        writer.exec("CREATE TABLE t (x INTEGER PRIMARY KEY, b BLOB)");
        insert_rows(writer, 0, 10);
        sqlite::connection reader(path, reader_options());
        EXPECT_EQ(read_all(reader).rows, 10);
    }
    EXPECT_EQ(open_descriptors(), before);
}

TEST(shared_map_vfs, a_commit_writes_its_wal_frames_in_a_few_calls_instead_of_two_per_page) {
    orgscim::testing::temp_dir dir;
    const std::string path = dir.path() + "/w.db";
    sqlite::connection writer(path, writer_options());
    writer.exec("CREATE TABLE t (x INTEGER PRIMARY KEY, b BLOB)");
    const auto wal_before = file_size(path + "-wal");
    const auto calls_before = write_calls();
    insert_rows(writer, 0, 400);
    const auto calls = write_calls() - calls_before;
    const auto frames = (file_size(path + "-wal") - wal_before) / (24 + 4096);
    EXPECT_GE(frames, 90);
    // SQLite writes each frame as a header and a page; the VFS hands the commit's frames to the
    // kernel in pieces of 96 KiB.
    EXPECT_LE(calls, frames / 8) << frames << " frames";
    EXPECT_EQ(read_all(writer).rows, 400);
}

TEST(shared_map_vfs, a_commit_is_in_the_file_when_commit_returns_though_the_process_dies_then) {
    orgscim::testing::temp_dir dir;
    const std::string path = dir.path() + "/k.db";
    {
        sqlite::connection c(path, writer_options());
        c.exec("CREATE TABLE t (x INTEGER PRIMARY KEY, b BLOB)");
    }
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        sqlite::connection c(path, writer_options());
        insert_rows(c, 0, 50);
        ::raise(SIGKILL);  // no close, no destructor: only what the kernel already has
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    sqlite::connection reader(path, writer_options());
    const auto t = read_all(reader);
    EXPECT_EQ(t.rows, 50);
    EXPECT_EQ(t.sum, sum_below(50));
}

TEST(shared_map_vfs, frames_a_rolled_back_transaction_spilled_never_land_over_the_next_commit) {
    orgscim::testing::temp_dir dir;
    const std::string path = dir.path() + "/r.db";
    auto a = std::make_unique<sqlite::connection>(path, writer_options());
    a->exec("CREATE TABLE t (x INTEGER PRIMARY KEY, b BLOB)");
    sqlite::connection b(path, writer_options());
    // A cache of ten pages: the transaction below writes most of its pages to the WAL before
    // its end, at the offsets where the next writer's frames will go.
    a->exec("PRAGMA cache_size=10");
    a->exec("BEGIN");
    for (int x = 0; x < 100; ++x) {  // a page each, written once
        sqlite::stmt s(*a, "INSERT INTO t (x, b) VALUES (?1, randomblob(3000))");
        s.bind(1, std::int64_t{x});
        s.run();
    }
    a->exec("ROLLBACK");
    insert_rows(b, 1000, 1300);

    const auto seen_by_a = read_all(*a);
    EXPECT_EQ(seen_by_a.rows, 300);
    EXPECT_EQ(seen_by_a.sum, sum_below(1300) - sum_below(1000));
    // Whatever a still held would go out when it closes, over b's frames.
    a.reset();
    sqlite::connection fresh(path, writer_options());
    const auto t = read_all(fresh);
    EXPECT_EQ(t.rows, 300);
    EXPECT_EQ(t.sum, sum_below(1300) - sum_below(1000));
    EXPECT_EQ(t.bytes, 300'000);
    sqlite::stmt check(fresh, "PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.text(0), "ok");
}

}  // namespace
