#pragma once
// The PostgreSQL schema, version by version. Never edit a shipped migration: add the next one.

#include <span>

#include "sql/migrator.hpp"

namespace orgscim::plugin::postgres {

std::span<const sql::migration> migrations();

}  // namespace orgscim::plugin::postgres
