#pragma once
// Internals shared by the service's translation units (dispatch, resources, list, bulk, wire).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/path.hpp>
#include <orgscim/scim/service.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::scim::detail {

/// RFC 3339 UTC with milliseconds: "2026-11-22T05:40:12.345Z".
std::string format_time(std::int64_t epoch_ms);
/// The weak ETag of a version: W/"7".
std::string etag(std::uint64_t version);
/// The version in an If-Match / If-None-Match value: `W/"7"`, `"7"`; nullopt for `*` or junk.
std::optional<std::uint64_t> parse_etag(std::string_view v);

/// Which attributes a response carries (RFC 7644 §3.4.2.5 and §3.9).
struct projection {
    std::vector<attr_path> attributes;  ///< bound; empty: the default set
    std::vector<attr_path> excluded;    ///< bound
};
/// Parses comma-separated attribute lists. Unknown names are ignored (RFC 7644 does not make
/// them an error and clients send schema-wide lists). Errors: 400 invalidValue for junk.
result<projection> parse_projection(std::string_view attributes,
                                    std::string_view excluded,
                                    const resource_type& type);
/// What to load from the store so that the projection can be served.
fetch_options fetch_for(const projection& p, const resource_type& type);
/// Removes what the projection and the `returned` rules say not to send.
void apply_projection(boost::json::object& wire, const resource_type& type, const projection& p);

/// The wire form of a stored resource: schemas, id, attributes, members/groups, meta. The
/// record's attributes are moved into it.
boost::json::object to_wire(resource_record&& r,
                            const resource_type& type,
                            std::string_view base_url);

response json_response(int status, const boost::json::value& body);
/// The same for an object, which as a json::value argument would be copied first.
response json_response(int status, const boost::json::object& body);
response error_response(const error& e);
response resource_response(int status,
                           resource_record&& r,
                           const resource_type& type,
                           const request& req,
                           const projection& p);

/// List parameters after parsing (GET query or POST .search body).
struct list_params {
    std::string filter;
    std::string sort_by;
    bool descending = false;
    std::int64_t start_index = 1;
    std::optional<std::int64_t> count;
    std::string attributes;
    std::string excluded;
};

/// startIndex (>= 1) and count (clamped to [0, maxResults]) of a list request.
struct page_window {
    std::int64_t start = 1;
    std::int64_t count = 0;
};

}  // namespace orgscim::scim::detail

namespace orgscim::scim {

struct service::impl {
    const config& cfg;
    const schema_registry& reg;
    resource_store& store;
    operation_hook write_hook;

    response dispatch(const request& req, const caller& who) const;

    response get_one(const request& req,
                     const caller& who,
                     const resource_type& t,
                     std::string_view id) const;
    response list(const request& req,
                  const caller& who,
                  const resource_type& t,
                  const detail::list_params& p) const;
    response search_root(const request& req, const caller& who, const detail::list_params& p) const;
    response remove(const request& req,
                    const caller& who,
                    const resource_type& t,
                    std::string_view id) const;
    response bulk(const request& req, const caller& who) const;

    std::optional<staged_write> stage(const request& req, const caller& who) const;
    staged_write stage_create(const request& req, const caller& who, const resource_type& t) const;
    staged_write stage_replace(const request& req,
                               const caller& who,
                               const resource_type& t,
                               std::string_view id) const;
    staged_write stage_patch(const request& req,
                             const caller& who,
                             const resource_type& t,
                             std::string_view id) const;
    static staged_write refuse(const error& e);
    response discovery(const request& req) const;

    result<detail::list_params> search_body(const request& req) const;
    detail::page_window window(const detail::list_params& p) const;
    result<filter_ptr> bound_filter(std::string_view text, const resource_type& t) const;
    result<std::int64_t> collect(const request& req,
                                 const caller& who,
                                 const resource_type& t,
                                 list_request& lr,
                                 const detail::list_params& p,
                                 boost::json::array& items) const;
    detail::list_params query_params(const request& req) const;
};

}  // namespace orgscim::scim
