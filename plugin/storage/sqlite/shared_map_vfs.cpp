#include "shared_map_vfs.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace orgscim::plugin::sqlite {
namespace {

// One database file's mapping of shared_map_bytes. base and fd do not change while users > 0.
struct mapped_file {
    dev_t dev = 0;
    ino_t ino = 0;
    int fd = -1;
    unsigned char* base = nullptr;  // nullptr when mmap failed: every fetch falls back to pread
    int users = 0;                  // main database handles open through the VFS
};

constexpr auto map_length = static_cast<std::size_t>(shared_map_bytes);

std::mutex registry_mu;
std::vector<std::unique_ptr<mapped_file>> registry;  // a handful of files per process

std::int64_t size_of(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

// The mapping of the file at `path`, made on its first open. nullptr when the file cannot be
// opened or changed between the checks (then the handle reads with pread, as without this VFS).
mapped_file* attach(const char* path) {
    std::lock_guard lk(registry_mu);
    struct stat st {};
    if (::stat(path, &st) != 0) return nullptr;
    for (auto& m : registry) {
        if (m->dev == st.st_dev && m->ino == st.st_ino) {
            ++m->users;
            return m.get();
        }
    }
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat now {};
    if (::fstat(fd, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
        // The path names another file now. Closing this descriptor could drop locks that
        // SQLite holds on that file through another one, so it is left open.
        return nullptr;
    }
    auto m = std::make_unique<mapped_file>();
    m->dev = st.st_dev;
    m->ino = st.st_ino;
    m->fd = fd;
    // Longer than the file is allowed: the pages past its end are never handed out.
    void* p = ::mmap(nullptr, map_length, PROT_READ, MAP_SHARED, fd, 0);
    m->base = p == MAP_FAILED ? nullptr : static_cast<unsigned char*>(p);
    m->users = 1;
    registry.push_back(std::move(m));
    return registry.back().get();
}

// After the handle's own close: once no connection of this process has the file open, SQLite
// holds no lock on it that closing the descriptor could drop.
void detach(mapped_file* m) {
    std::lock_guard lk(registry_mu);
    if (--m->users > 0) return;
    if (m->base != nullptr) ::munmap(m->base, map_length);
    ::close(m->fd);
    std::erase_if(registry, [m](const auto& p) { return p.get() == m; });
}

sqlite3_vfs* parent = nullptr;  // SQLite's default VFS when this one was registered

// A WAL file's writes not yet handed to the kernel: the frames of one transaction, which SQLite
// writes as two pwrite calls each (a 24-byte header, then the page), go out as one.
struct wal_buffer {
    std::vector<unsigned char> bytes;
    sqlite3_int64 start = 0;    // file offset of bytes[0]
    bool commit_frame = false;  // the last header was a commit frame's: its page ends the commit
};

// Larger transactions (a Bulk) are written out in steps of this size.
constexpr std::size_t wal_buffer_max = std::size_t{1} << 20;
// SQLite's unix VFS writes at most 128 KiB - 1 bytes per call (more comes back as a short
// write, SQLITE_FULL), so the buffer goes out in pieces of 96 KiB.
constexpr std::size_t max_write = std::size_t{96} << 10;

struct shim_file {
    sqlite3_file base;  // first: SQLite sees a shim_file as its sqlite3_file
    sqlite3_file* real;
    mapped_file* map;      // main database files only
    std::int64_t limit;    // SQLITE_FCNTL_MMAP_SIZE (PRAGMA mmap_size); 0 fetches nothing
    std::int64_t in_file;  // the file's size when last read: no page at or past it is handed out
    wal_buffer* pending;   // WAL files only
    shim_file* wal;        // main database files: the connection's WAL while it is open
    shim_file* db;         // WAL files: the main database file of the same connection
};

constexpr int real_offset = (sizeof(shim_file) + 15) / 16 * 16;

shim_file* shim(sqlite3_file* f) { return reinterpret_cast<shim_file*>(f); }
sqlite3_file* real(sqlite3_file* f) { return shim(f)->real; }

// Hands the buffered WAL bytes of `f` (a WAL file, or the main database file of its
// connection) to the kernel. A failed write drops them: SQLite fails the commit they belong to.
int flush(sqlite3_file* f) {
    auto* s = shim(f);
    if (s->wal != nullptr) s = s->wal;  // a main database file: its connection's WAL
    wal_buffer* w = s->pending;
    if (w == nullptr || w->bytes.empty()) return SQLITE_OK;
    int rc = SQLITE_OK;
    for (std::size_t done = 0; done < w->bytes.size() && rc == SQLITE_OK;) {
        const std::size_t n = std::min(w->bytes.size() - done, max_write);
        rc = s->real->pMethods->xWrite(s->real, w->bytes.data() + done, static_cast<int>(n),
                                       w->start + static_cast<sqlite3_int64>(done));
        done += n;
    }
    w->bytes.clear();
    w->commit_frame = false;
    return rc;
}

// SQLite writes a transaction's frames in order at the end of the WAL, then publishes them in
// the WAL index; they are collected here and written once the commit frame's page arrives, so
// an acknowledged commit is in the kernel before `COMMIT` returns (a kill -9 keeps it) and
// before any reader can see it. Whatever else touches the WAL or the WAL index (a read, sync,
// size, truncation, a lock) writes the collected bytes out first.
int wal_write(shim_file* s, const void* in, int n, sqlite3_int64 at) {
    wal_buffer& w = *s->pending;
    const auto size = static_cast<std::size_t>(n);
    if (!w.bytes.empty() && (at != w.start + static_cast<sqlite3_int64>(w.bytes.size()) ||
                             w.bytes.size() + size > wal_buffer_max)) {
        if (const int rc = flush(&s->base); rc != SQLITE_OK) return rc;
    }
    if (w.bytes.empty()) w.start = at;
    const auto* p = static_cast<const unsigned char*>(in);
    try {
        w.bytes.insert(w.bytes.end(), p, p + size);
    } catch (const std::bad_alloc&) {
        if (const int rc = flush(&s->base); rc != SQLITE_OK) return rc;
        return s->real->pMethods->xWrite(s->real, in, n, at);
    }
    // A frame header (24 bytes) names the database's size in pages in bytes 4-7 on the last
    // frame of a commit and zero on every other frame (the WAL file format).
    const bool ends_commit = w.commit_frame;
    w.commit_frame = n == 24 && (p[4] | p[5] | p[6] | p[7]) != 0;
    return ends_commit ? flush(&s->base) : SQLITE_OK;
}

int x_close(sqlite3_file* f) {
    auto* s = shim(f);
    flush(f);  // frames of a transaction that never committed: harmless past the WAL's end
    const int rc = s->real->pMethods->xClose(s->real);
    if (s->map != nullptr) detach(s->map);
    s->map = nullptr;
    if (s->db != nullptr && s->db->wal == s) s->db->wal = nullptr;
    if (s->wal != nullptr) s->wal->db = nullptr;
    delete s->pending;
    s->pending = nullptr;
    return rc;
}
int x_read(sqlite3_file* f, void* out, int n, sqlite3_int64 at) {
    if (shim(f)->pending != nullptr) {
        if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    }
    return real(f)->pMethods->xRead(real(f), out, n, at);
}
int x_write(sqlite3_file* f, const void* in, int n, sqlite3_int64 at) {
    auto* s = shim(f);
    if (s->pending != nullptr) return wal_write(s, in, n, at);
    return s->real->pMethods->xWrite(s->real, in, n, at);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    auto* s = shim(f);
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    const int rc = s->real->pMethods->xTruncate(s->real, size);
    s->in_file = std::min<std::int64_t>(s->in_file, size);
    return rc;
}
thread_local std::uint64_t database_syncs = 0;  // database_syncs_on_this_thread()

int x_sync(sqlite3_file* f, int flags) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    if (shim(f)->map != nullptr) ++database_syncs;
    return real(f)->pMethods->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    return real(f)->pMethods->xFileSize(real(f), size);
}
int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) {
    flush(f);
    return real(f)->pMethods->xUnlock(real(f), level);
}
int x_check_reserved(sqlite3_file* f, int* out) {
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
    auto* s = shim(f);
    if (const int rc = flush(f); rc != SQLITE_OK) return rc;
    if (op == SQLITE_FCNTL_MMAP_SIZE && s->map != nullptr) {
        // As SQLite's own VFS: report the old limit, set a new one unless it is negative.
        auto* v = static_cast<sqlite3_int64*>(arg);
        const std::int64_t wanted = *v;
        *v = s->limit;
        if (wanted >= 0) s->limit = std::min<std::int64_t>(wanted, shared_map_bytes);
        return SQLITE_OK;
    }
    return s->real->pMethods->xFileControl(s->real, op, arg);
}
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    // Before the write lock goes: frames left from a transaction that rolled back must not
    // land later over the frames of the next writer, which may be another connection.
    flush(f);
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
    flush(f);  // empty after a commit frame; frames never outlive a change to the WAL index
    real(f)->pMethods->xShmBarrier(real(f));
}
int x_shm_unmap(sqlite3_file* f, int del) {
    flush(f);
    return real(f)->pMethods->xShmUnmap(real(f), del);
}

int x_fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
    auto* s = shim(f);
    if (s->map == nullptr) return s->real->pMethods->xFetch(s->real, at, n, out);
    *out = nullptr;  // SQLite then reads the page with xRead
    const std::int64_t end = at + n;
    if (s->map->base == nullptr || end > s->limit) return SQLITE_OK;
    // SQLite fetches only pages of its snapshot that the database file holds (the others are
    // in the WAL), so a larger size read now covers a page no checkpoint can truncate.
    if (end > s->in_file) s->in_file = size_of(s->map->fd);
    if (end <= s->in_file) *out = s->map->base + at;
    return SQLITE_OK;
}

int x_unfetch(sqlite3_file* f, sqlite3_int64 at, void* page) {
    auto* s = shim(f);
    if (s->map == nullptr) return s->real->pMethods->xUnfetch(s->real, at, page);
    // (0, nullptr) is SQLite's "unmap everything" at the start of a read after a change: the
    // file may have shrunk since, so its size is read again instead.
    if (page == nullptr) s->in_file = size_of(s->map->fd);
    return SQLITE_OK;
}

const sqlite3_io_methods methods = {
    3,           x_close,   x_read,     x_write,          x_truncate,     x_sync,
    x_file_size, x_lock,    x_unlock,   x_check_reserved, x_file_control, x_sector_size,
    x_device,    x_shm_map, x_shm_lock, x_shm_barrier,    x_shm_unmap,    x_fetch,
    x_unfetch,
};

int v_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
    auto* s = shim(f);
    s->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + real_offset);
    s->real->pMethods = nullptr;
    s->map = nullptr;
    s->limit = 0;
    s->in_file = 0;
    s->pending = nullptr;
    s->wal = nullptr;
    s->db = nullptr;
    f->pMethods = nullptr;
    const int rc = parent->xOpen(parent, name, s->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (s->real->pMethods != nullptr) s->real->pMethods->xClose(s->real);
        return rc;
    }
    if (s->real->pMethods->iVersion < 3) {
        // Without xFetch and xShm* the forwarders would call null methods.
        s->real->pMethods->xClose(s->real);
        return SQLITE_CANTOPEN;
    }
    if ((flags & SQLITE_OPEN_MAIN_DB) != 0 && name != nullptr) s->map = attach(name);
    if ((flags & SQLITE_OPEN_WAL) != 0 && name != nullptr) {
        // The main database file is opened first, through this VFS: it is a shim_file.
        if (auto* db = reinterpret_cast<shim_file*>(sqlite3_database_file_object(name));
            db != nullptr && db->wal == nullptr) {
            s->pending = new (std::nothrow) wal_buffer;
            if (s->pending != nullptr) {
                s->db = db;
                db->wal = s;
            }
        }
    }
    f->pMethods = &methods;
    return SQLITE_OK;
}
int v_delete(sqlite3_vfs*, const char* name, int sync) {
    return parent->xDelete(parent, name, sync);
}
int v_access(sqlite3_vfs*, const char* name, int flags, int* out) {
    return parent->xAccess(parent, name, flags, out);
}
int v_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return parent->xFullPathname(parent, name, n, out);
}
void* v_dl_open(sqlite3_vfs*, const char* name) { return parent->xDlOpen(parent, name); }
void v_dl_error(sqlite3_vfs*, int n, char* out) { parent->xDlError(parent, n, out); }
void (*v_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
    return parent->xDlSym(parent, h, sym);
}
void v_dl_close(sqlite3_vfs*, void* h) { parent->xDlClose(parent, h); }
int v_randomness(sqlite3_vfs*, int n, char* out) { return parent->xRandomness(parent, n, out); }
int v_sleep(sqlite3_vfs*, int us) { return parent->xSleep(parent, us); }
int v_current_time(sqlite3_vfs*, double* out) { return parent->xCurrentTime(parent, out); }
int v_last_error(sqlite3_vfs*, int n, char* out) { return parent->xGetLastError(parent, n, out); }
int v_current_time64(sqlite3_vfs*, sqlite3_int64* out) {
    return parent->xCurrentTimeInt64(parent, out);
}

sqlite3_vfs vfs{};

const char* register_vfs() noexcept {
    if (sqlite3_initialize() != SQLITE_OK) return nullptr;
    parent = sqlite3_vfs_find(nullptr);
    if (parent == nullptr || parent->iVersion < 2 || parent->xCurrentTimeInt64 == nullptr) {
        return nullptr;
    }
    // In sqlite3_vfs's order; version 2 ends at xCurrentTimeInt64.
    vfs = sqlite3_vfs{
        2,
        real_offset + parent->szOsFile,
        parent->mxPathname,
        nullptr,
        "orgscim-shared-map",
        nullptr,
        v_open,
        v_delete,
        v_access,
        v_full_pathname,
        v_dl_open,
        v_dl_error,
        v_dl_sym,
        v_dl_close,
        v_randomness,
        v_sleep,
        v_current_time,
        v_last_error,
        v_current_time64,
        nullptr,
        nullptr,
        nullptr,
    };
    if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
    return vfs.zName;
}

}  // namespace

const char* shared_map_vfs() noexcept {
    static const char* const name = register_vfs();
    return name;
}

std::size_t shared_map_files() noexcept {
    std::lock_guard lk(registry_mu);
    return registry.size();
}

std::uint64_t database_syncs_on_this_thread() noexcept { return database_syncs; }

}  // namespace orgscim::plugin::sqlite
