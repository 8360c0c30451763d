#pragma once
// The SQLite schema, version by version. Never edit a shipped migration: add the next one.

#include <span>

#include "sql/migrator.hpp"

namespace orgscim::plugin::sqlite {

std::span<const sql::migration> migrations();

}  // namespace orgscim::plugin::sqlite
