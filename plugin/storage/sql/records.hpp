#pragma once
// Driver-neutral pieces shared by the SQL backends: ids, timestamps, the folded index columns
// derived from a resource's attributes, the wire-form view scim::matches() evaluates, and the
// in-memory sort used when sortBy has no column.

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <orgscim/scim/path.hpp>
#include <orgscim/scim/store.hpp>
#include <string>
#include <vector>

namespace orgscim::plugin::sql {

/// Unix epoch milliseconds from the system clock.
std::int64_t system_now_ms();

/// "2024-05-01T12:00:00.123Z": fixed width, so string order is time order.
std::string format_time(std::int64_t ms);

/// Columns every SQL backend stores next to the JSON body so that lookups, uniqueness and the
/// translated filters run on indexes. Case-insensitive values are scim::fold_case()d here, in
/// C++, so SQLite and PostgreSQL agree byte for byte and no query calls LOWER().
struct index_columns {
    std::optional<std::string>
        ukey;  ///< folded uniqueness=server value (userName, Group displayName)
    std::optional<std::string> username_f;   ///< folded userName
    std::optional<std::string> display_f;    ///< folded displayName
    std::optional<std::string> external_id;  ///< externalId as given (caseExact)
    std::string label;                       ///< display of this resource as a member / group
    std::vector<std::string> emails_f;       ///< folded emails[].value, deduplicated
};
index_columns compute_columns(const scim::resource_type& type, const boost::json::object& attrs);

/// Sets the membership extension of a User as read in one org: its kind there and its home org.
void set_membership(scim::resource_record& r, std::string_view kind, std::string_view home_org);

/// Reads a relations column, as both backends build it next to a row, into r: a JSON array of
/// [group id, label] (a User's groups) or of [member id, member type, label] (a Group's
/// members). Error (the text is not that shape): false, with r's relations left empty.
bool parse_relations(std::string_view json_text, scim::resource_record& r);

/// Reads a membership column, [kind, home org], into r's membership extension. Error (the text
/// is not that shape): false, r unchanged.
bool parse_membership(std::string_view json_text, scim::resource_record& r);

/// The record as the client would see it (id, meta, attrs, members, groups), for matches().
boost::json::object wire_view(const scim::resource_type& type, const scim::resource_record& r);

/// True when the filter names attribute `attr` (e.g. "members", "groups") anywhere.
bool mentions(const scim::filter_node& f, std::string_view attr);

/// Sorts by `path` (primary or first value of a multi-valued attribute; case-insensitive values
/// folded); missing values last in both directions; ties keep the input order, which callers pass
/// in creation order.
void sort_by_path(std::vector<scim::resource_record>& records,
                  const scim::resource_type& type,
                  const scim::attr_path& path,
                  bool descending);

/// The end of a list evaluated in memory: `kept` (the matches, in creation order) sorted as
/// `req` asks; total counts all of them, items hold the page req.offset/req.limit selects.
scim::list_result page_in_memory(std::vector<scim::resource_record> kept,
                                 const scim::resource_type& type,
                                 const scim::list_request& req);

/// One line on stderr: "orgscim storage <backend>: <what>: <driver message>".
void log_driver_error(std::string_view backend, std::string_view what, std::string_view message);

}  // namespace orgscim::plugin::sql
