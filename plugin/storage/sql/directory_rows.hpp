#pragma once
// Driver-neutral pieces of the directory stores (directory_store.hpp): the materialized org path
// '/root/../self/' and the JSON text columns (settings, roles, event detail), so that SQLite and
// PostgreSQL keep and read them the same way.

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin::sql {

/// Org ids become path segments: 1-128 of [A-Za-z0-9._-], nothing that reads as a separator.
bool valid_org_id(std::string_view id);

/// "/a/b/c/" -> {"a", "b"}: the ancestors, root first, without the org itself.
std::vector<std::string> ancestors_of_path(std::string_view path);

/// The exclusive upper bound of a subtree's paths in byte order: "/a/b/" -> "/a/b0" ('0' follows
/// '/'), so `path > p AND path < path_end(p)` is the strict subtree of p.
std::string path_end(std::string_view path);

/// A JSON array of strings, and back (non-strings and unreadable text are skipped).
std::string strings_to_json(const std::vector<std::string>& v);
std::vector<std::string> strings_from_json(std::string_view text);

/// A JSON object from stored text; empty when the text is not an object.
boost::json::object object_from_json(std::string_view text);

}  // namespace orgscim::plugin::sql
