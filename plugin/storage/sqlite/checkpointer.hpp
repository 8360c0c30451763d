#pragma once
// Moves most of the WAL checkpoint work off the request path: this thread runs PASSIVE
// checkpoints, which never wait for readers or writers, every interval (50 ms). Writers keep a
// high wal_autocheckpoint (16,000 pages) as a backstop that finds the frames already copied and
// lets the WAL restart; without the thread, the commit crossing the threshold pays for copying
// and fsyncing while every other writer waits behind it. With 200 ms and 4,000 pages, POSTs
// filled 4,000 pages faster than this thread came round: 14 % of the process was checkpoints
// inside commits, under the write gate (docs/performance.md, fifth session).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace orgscim::plugin::sqlite {

class checkpointer {
  public:
    /// Opens its own connection to `path`. Throws std::runtime_error if it cannot.
    checkpointer(const std::string& path, std::chrono::milliseconds every);
    ~checkpointer();  ///< runs a last checkpoint and joins
    checkpointer(const checkpointer&) = delete;
    checkpointer& operator=(const checkpointer&) = delete;

  private:
    void run();
    sqlite3* db_ = nullptr;
    std::chrono::milliseconds every_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace orgscim::plugin::sqlite
