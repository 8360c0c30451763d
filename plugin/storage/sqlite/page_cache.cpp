#include "page_cache.hpp"

#include <sqlite3.h>

#include <atomic>
#include <new>

namespace orgscim::plugin::sqlite {

namespace {

// SQLite's default PENDING_BYTE: the page holding it is kept for file locks and never holds
// content, so a page moved there is always moved on within the same balance.
constexpr unsigned pending_byte = 0x40000000;

sqlite3_pcache_methods2 inner_methods{};  // SQLite's default cache, which does the work

struct cache {
    sqlite3_pcache* inner;
    unsigned lock_page;
    unsigned max_key = 0;  // no page is cached at a larger number (the lock page aside)
};

// Per thread, not atomics: every read transaction after another connection's commit truncates
// its cache, and shared counters would bounce between the HTTP threads for the tests' sake.
thread_local page_cache_counts counts;

cache* self(sqlite3_pcache* p) { return reinterpret_cast<cache*>(p); }

sqlite3_pcache* create(int page_size, int extra, int purgeable) {
    sqlite3_pcache* inner = inner_methods.xCreate(page_size, extra, purgeable);
    if (inner == nullptr) return nullptr;
    auto* c = new (std::nothrow) cache{inner, pending_byte / static_cast<unsigned>(page_size) + 1};
    if (c == nullptr) inner_methods.xDestroy(inner);
    return reinterpret_cast<sqlite3_pcache*>(c);
}

void cachesize(sqlite3_pcache* p, int n) { inner_methods.xCachesize(self(p)->inner, n); }

int pagecount(sqlite3_pcache* p) { return inner_methods.xPagecount(self(p)->inner); }

sqlite3_pcache_page* fetch(sqlite3_pcache* p, unsigned key, int create_flag) {
    cache* c = self(p);
    sqlite3_pcache_page* page = inner_methods.xFetch(c->inner, key, create_flag);
    if (page != nullptr && key > c->max_key) c->max_key = key;
    return page;
}

void unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
    inner_methods.xUnpin(self(p)->inner, page, discard);
}

void rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
    cache* c = self(p);
    inner_methods.xRekey(c->inner, page, old_key, new_key);
    if (new_key == c->lock_page) {
        ++counts.parked_on_lock_page;
    } else if (new_key > c->max_key) {
        c->max_key = new_key;
    }
}

void truncate(sqlite3_pcache* p, unsigned limit) {
    cache* c = self(p);
    if (limit > c->max_key) {
        ++counts.truncations_skipped;
        return;
    }
    inner_methods.xTruncate(c->inner, limit);
    c->max_key = limit > 0 ? limit - 1 : 0;
    ++counts.truncations_passed;
}

void destroy(sqlite3_pcache* p) {
    cache* c = self(p);
    inner_methods.xDestroy(c->inner);
    delete c;
}

void shrink(sqlite3_pcache* p) { inner_methods.xShrink(self(p)->inner); }

}  // namespace

bool install_page_cache() {
    static std::atomic<bool> installed{false};
    if (installed.exchange(true)) return false;  // a second wrapper would wrap the first
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner_methods) != SQLITE_OK) return false;
    static sqlite3_pcache_methods2 methods = inner_methods;  // keeps xInit, xShutdown, pArg
    methods.xCreate = create;
    methods.xCachesize = cachesize;
    methods.xPagecount = pagecount;
    methods.xFetch = fetch;
    methods.xUnpin = unpin;
    methods.xRekey = rekey;
    methods.xTruncate = truncate;
    methods.xDestroy = destroy;
    methods.xShrink = shrink;
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods) == SQLITE_OK;
}

page_cache_counts page_cache_counts_now() { return counts; }

}  // namespace orgscim::plugin::sqlite
