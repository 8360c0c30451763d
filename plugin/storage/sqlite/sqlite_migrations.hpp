#pragma once
// The SQLite schema, version by version. Never edit a shipped migration: add the next one.

#include <span>
#include <string>
#include <string_view>

#include "sql/migrator.hpp"

namespace orgscim::plugin::sqlite {

std::span<const sql::migration> migrations();

/// The SQL condition under which a membership's roles pass on to managed children, so that it
/// has a member_flow row (migration 8): `roles` is an expression of the roles' JSON text. For the
/// statements that write member_flow without a trigger (migration 14).
std::string member_flow_condition(std::string_view roles);

}  // namespace orgscim::plugin::sqlite
