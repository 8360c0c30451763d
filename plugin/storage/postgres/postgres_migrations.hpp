#pragma once
// The PostgreSQL schema, version by version. Never edit a shipped migration: add the next one.

#include <span>
#include <string_view>

#include "sql/migrator.hpp"

namespace orgscim::plugin::postgres {

std::span<const sql::migration> migrations();

// The schema of each store beside its code (postgres_directory.cpp, ...); listed in order by
// migrations().
extern const std::string_view directory_schema;       // v2
extern const std::string_view invitation_schema;      // v3
extern const std::string_view oauth_schema;           // v4
extern const std::string_view trusted_issuer_schema;  // v5

}  // namespace orgscim::plugin::postgres
