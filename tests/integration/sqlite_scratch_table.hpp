#pragma once
// A scratch table for the tests of SQLite's machinery under orgscim's stores (page cache,
// checkpoints): rows with random keys under an index, so that inserts split leaves all over the
// file as the stores' own indexes do.

#include <cstdint>
#include <string>

#include "sqlite/sqlite_db.hpp"

namespace orgscim::testing {

inline void create_scratch_table(plugin::sqlite::connection& c) {
    c.exec("CREATE TABLE t (k TEXT NOT NULL, v BLOB NOT NULL); CREATE INDEX t_k ON t (k)");
}

/// SQL that inserts `n` rows with random 32-character keys and `value_bytes` of zeros each.
inline std::string insert_scratch_rows(int n, int value_bytes) {
    return "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < " +
           std::to_string(n) + ") INSERT INTO t (k, v) SELECT hex(randomblob(16)), zeroblob(" +
           std::to_string(value_bytes) + ") FROM s";
}

inline std::int64_t count_scratch_rows(plugin::sqlite::connection& c) {
    plugin::sqlite::stmt s(c, "SELECT count(*) FROM t");
    return s.step() ? s.int64(0) : -1;
}

}  // namespace orgscim::testing
