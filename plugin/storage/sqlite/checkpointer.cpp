#include "checkpointer.hpp"

#include <sqlite3.h>

#include <stdexcept>

#include "sqlite/shared_map_vfs.hpp"

namespace orgscim::plugin::sqlite {

checkpointer::checkpointer(const std::string& path, std::chrono::milliseconds every)
    : every_(every) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        shared_map_vfs()) != SQLITE_OK) {
        sqlite3_close_v2(db_);
        throw std::runtime_error("cannot open " + path + " for checkpoints");
    }
    sqlite3_busy_timeout(db_, 1000);
    thread_ = std::thread([this] { run(); });
}

checkpointer::~checkpointer() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    sqlite3_exec(db_, "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db_);
}

void checkpointer::run() {
    std::unique_lock lk(mu_);
    while (!cv_.wait_for(lk, every_, [this] { return stop_; })) {
        lk.unlock();
        // Through the pragma, not sqlite3_wal_checkpoint_v2(): a connection that has not read
        // the schema yet has not opened the WAL, and the C call is then silently a no-op. A
        // busy or failed checkpoint is simply retried at the next tick.
        sqlite3_exec(db_, "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr, nullptr);
        lk.lock();
    }
}

}  // namespace orgscim::plugin::sqlite
