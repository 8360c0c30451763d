#pragma once
// Bound SCIM filters to parameterized SQL for the SQL backends. Values are always bound, never
// concatenated; case-insensitive attributes compare against the fold_case()d columns (the value
// is folded in C++ too), so no query needs LOWER() or LIKE. What cannot be translated is left to
// scim::matches() after a narrowing query.
//
// The generated text refers to the common schema of both backends: `resources r` (tenant, type,
// id, seq, created_ms, modified_ms, ukey, display_f, external_id, body), `resource_emails`
// (tenant, rid, value_f) and `group_members` (tenant, group_id, member_id).
//
// Attributes without a column (name.familyName, title, active, emails[type eq "work"], extension
// attributes, ...) are read from the stored body with the dialect's JSON functions, strings and
// booleans exactly as matches() compares them: case folding per caseExact (SQLite through the
// scim_fold() function every connection registers, PostgreSQL through translate() with the
// pairs of fold_case()), multi-valued attributes by any element, value paths on one element.
// Numbers, dateTimes and `eq null` stay with the evaluator.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <orgscim/scim/filter.hpp>
#include <string>
#include <variant>
#include <vector>

namespace orgscim::plugin::sql {

enum class dialect { sqlite, postgres };

using param = std::variant<std::string, std::int64_t>;

struct where_clause {
    std::string sql;            ///< boolean expression over alias r; empty when nothing translated
    std::vector<param> params;  ///< in placeholder order, numbered from `first_index`
    bool exact = true;          ///< false: `sql` only narrows; the caller must run matches() too
    /// Joined right after `resources r` (before WHERE); empty unless the PostgreSQL text reads
    /// the parsed body (`rb.b`).
    std::string joins;
};

/// Translates a bound filter (nullptr: no filter). Placeholders are ?N (SQLite) or $N
/// (PostgreSQL), N starting at `first_index`; the caller binds the tenant as parameter 1 (the
/// multi-valued subqueries refer to it). Never fails: untranslatable parts make the result
/// inexact.
where_clause translate_filter(const scim::filter_node* f, dialect d, std::size_t first_index);

/// The column expression (over alias r) that orders by `path`, or nullopt when the sort has to
/// happen in memory. Folded columns sort case-insensitively in byte order in both dialects.
std::optional<std::string> sort_column(const scim::attr_path& path, dialect d);

}  // namespace orgscim::plugin::sql
