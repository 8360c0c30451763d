#pragma once
// Moves most of the WAL checkpoint work off the request path: this thread runs PASSIVE
// checkpoints, which never wait for readers or writers, every interval (50 ms). Writers keep a
// high wal_autocheckpoint (16,000 pages) as a backstop that finds the frames already copied and
// lets the WAL restart; without the thread, the commit crossing the threshold pays for copying
// and fsyncing while every other writer waits behind it. With 200 ms and 4,000 pages, POSTs
// filled 4,000 pages faster than this thread came round: 14 % of the process was checkpoints
// inside commits, under the write gate (docs/performance.md, fifth session).
//
// It also syncs the database file after a round that copied frames. SQLite syncs it only in
// the checkpoint that copies the WAL's last frame, which under continuous writes is the
// backstop's, so that writer's commit waited for every page copied since the WAL began while
// every other write waited behind it: about 10 ms four times a second at 10,000 users, up to
// 90 ms twice a second at 1,000,000 (docs/performance.md, twenty-third session).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace orgscim::plugin::sqlite {

/// What one round found and did; frame counts are -1 when the file is not in WAL mode.
struct checkpoint_round {
    int wal_frames = -1;           ///< frames in the WAL
    int copied_frames = -1;        ///< of those, frames now in the database file
    bool synced_database = false;  ///< this round synced the database file itself
};

class checkpointer {
  public:
    /// Opens its own connection to `path`. Throws std::runtime_error if it cannot.
    checkpointer(const std::string& path, std::chrono::milliseconds every);
    ~checkpointer();  ///< runs a last checkpoint and joins
    checkpointer(const checkpointer&) = delete;
    checkpointer& operator=(const checkpointer&) = delete;

    /// One round on the calling thread, as the thread runs every interval (tests give a long
    /// interval and call this). Never concurrently with the thread's own rounds.
    checkpoint_round round();

  private:
    void run();
    int wal_frames_ = -1;  // the counts of the last round
    int copied_frames_ = -1;
    sqlite3* db_ = nullptr;
    std::chrono::milliseconds every_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace orgscim::plugin::sqlite
