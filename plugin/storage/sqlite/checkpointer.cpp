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

checkpoint_round checkpointer::round() {
    checkpoint_round r;
    // Through the pragma, not sqlite3_wal_checkpoint_v2(): a connection that has not read the
    // schema yet has not opened the WAL, and the C call is then silently a no-op. A busy or
    // failed checkpoint is simply retried at the next round.
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA wal_checkpoint(PASSIVE)", -1, &q, nullptr) != SQLITE_OK)
        return r;
    if (sqlite3_step(q) == SQLITE_ROW) {
        r.wal_frames = sqlite3_column_int(q, 1);
        r.copied_frames = sqlite3_column_int(q, 2);
    }
    sqlite3_finalize(q);
    // Other counts than last round's mean frames copied since: more of the same WAL, or the
    // start of a new one after the writer's backstop restarted it (which may already be longer
    // than the old one was, so a shorter WAL is no test of that).
    const bool copied_since = r.copied_frames != copied_frames_ || r.wal_frames < wal_frames_;
    copied_frames_ = r.copied_frames;
    wal_frames_ = r.wal_frames;
    // Even a round that copied every frame it saw: SQLite syncs the file only if no commit came
    // in the meantime, which the counts do not tell.
    if (!copied_since || r.copied_frames <= 0) return r;
    sqlite3_file* f = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &f) == SQLITE_OK &&
        f != nullptr && f->pMethods != nullptr)
        r.synced_database = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) == SQLITE_OK;
    return r;
}

void checkpointer::run() {
    std::unique_lock lk(mu_);
    while (!cv_.wait_for(lk, every_, [this] { return stop_; })) {
        lk.unlock();
        round();
        lk.lock();
    }
}

}  // namespace orgscim::plugin::sqlite
