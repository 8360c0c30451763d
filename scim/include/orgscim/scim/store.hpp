#pragma once
// The storage port the SCIM engine needs. Backends (SQLite, PostgreSQL, the in-memory reference
// store) live outside scim/ and implement it; no driver type crosses this header. Every call is
// scoped to one tenant (organization): a backend never returns or touches another tenant's rows.

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <orgscim/scim/error.hpp>
#include <orgscim/scim/filter.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::scim {

struct resource_type;

/// Backend outcomes. The driver's own message (SQLSTATE, SQLite code) goes to the log, not here.
enum class store_errc {
    conflict = 1,      ///< a uniqueness rule would be broken
    not_found,         ///< no such resource in this tenant
    version_mismatch,  ///< If-Match version is stale
    bad_reference,     ///< a member id that does not exist in this tenant
    aborted,           ///< the mutate callback refused; its own error says why
    unavailable,       ///< database unreachable or busy: retry later (503)
    internal,
};
const boost::system::error_category& store_category() noexcept;
boost::system::error_code make_error_code(store_errc e) noexcept;
std::string_view to_string(store_errc e) noexcept;

template <class T>
using store_result = boost::system::result<T, store_errc>;

[[noreturn]] void throw_exception_from_error(const store_errc& e,
                                             const boost::source_location& loc);

struct meta_info {
    std::int64_t created_ms = 0;   ///< Unix epoch milliseconds
    std::int64_t modified_ms = 0;  ///< Unix epoch milliseconds
    std::uint64_t version = 0;     ///< bumped by every write; the weak ETag is W/"<version>"
};

/// A member of a group, as listed on GET (display resolved by the backend).
struct member_info {
    std::string value;    ///< member id
    std::string type;     ///< "User" or "Group"
    std::string display;  ///< the member's displayName (or userName), may be empty
};

struct resource_record {
    std::string id;
    /// Client-visible attributes in canonical spelling, extensions under their URN key; no id,
    /// meta or schemas; Group members and User groups live outside (see below).
    boost::json::object attrs;
    meta_info meta;
    /// Filled for Groups when fetch_options::members is set.
    std::vector<member_info> members;
    /// Filled for Users when fetch_options::groups is set (the groups the user is a direct
    /// member of; `display` is the group's displayName, `type` is "direct").
    std::vector<member_info> groups;
};

struct fetch_options {
    bool members = true;  ///< Groups: load members (off for excludedAttributes=members)
    bool groups = true;   ///< Users: load groups
};

struct list_request {
    const filter_node* filter = nullptr;  ///< bound filter, or null for all
    std::optional<attr_path> sort_by;     ///< bound path, or none (then by creation order)
    bool descending = false;
    std::int64_t offset = 0;   ///< 0-based (startIndex - 1)
    std::int64_t limit = 100;  ///< 0 returns only the total
    fetch_options fetch;
};

struct list_result {
    std::int64_t total = 0;
    std::vector<resource_record> items;
};

/// What a write transaction stores: the new attributes and the membership change.
struct write_set {
    boost::json::object attrs;
    bool clear_members = false;  ///< applied before add/remove
    std::vector<std::string> add_members;
    std::vector<std::string> remove_members;
};

class resource_store {
  public:
    virtual ~resource_store() = default;

    /// Errors: not_found, unavailable, internal.
    virtual store_result<resource_record> get(std::string_view tenant,
                                              const resource_type& type,
                                              std::string_view id,
                                              const fetch_options& fetch) = 0;

    /// Filters on indexed attributes run in the database; the rest may be evaluated with
    /// scim::matches() after a narrowing query. `total` counts all matches.
    /// Errors: unavailable, internal.
    virtual store_result<list_result> list(std::string_view tenant,
                                           const resource_type& type,
                                           const list_request& req) = 0;

    /// Creates a resource with a new id. `initial.attrs` must already be validated.
    /// Errors: conflict (userName / Group displayName taken, case-insensitively), bad_reference,
    /// unavailable, internal.
    virtual store_result<resource_record> create(std::string_view tenant,
                                                 const resource_type& type,
                                                 const write_set& initial) = 0;

    /// Reads the current record and calls `mutate` inside one write transaction; what `mutate`
    /// returns is written with a new version, atomically with the If-Match check. `mutate` sees
    /// the record with members/groups per `fetch`. Returns the record as written.
    /// Errors: not_found, version_mismatch, conflict, bad_reference, aborted (mutate returned an
    /// error: the caller keeps it), unavailable, internal.
    using mutate_fn = std::function<result<write_set>(const resource_record& current)>;
    virtual store_result<resource_record> update(std::string_view tenant,
                                                 const resource_type& type,
                                                 std::string_view id,
                                                 std::optional<std::uint64_t> if_match,
                                                 const fetch_options& fetch,
                                                 const mutate_fn& mutate) = 0;

    /// Deletes the resource and every membership that names it.
    /// Errors: not_found, version_mismatch, unavailable, internal.
    virtual store_result<void> remove(std::string_view tenant,
                                      const resource_type& type,
                                      std::string_view id,
                                      std::optional<std::uint64_t> if_match) = 0;
};

}  // namespace orgscim::scim

template <>
struct boost::system::is_error_code_enum<orgscim::scim::store_errc> : std::true_type {};
