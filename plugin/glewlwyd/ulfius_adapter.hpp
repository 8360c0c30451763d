#pragma once
// The only place where Ulfius and Jansson types meet orgscim's: requests and responses, and JSON
// documents crossing the Glewlwyd boundary (instance parameters, user records).

#include <jansson.h>
#include <ulfius.h>

#include <boost/json/value.hpp>
#include <optional>
#include <orgscim/plugin/app.hpp>
#include <orgscim/scim/message.hpp>

namespace orgscim::plugin::glewlwyd {

/// The request as orgscim's hosts hand it over: raw target (percent-encoded, with the query), lower
/// case header names, the body bytes as sent. Ulfius's own JSON body parsing is bypassed: it
/// ignores application/scim+json (glewlwyd.md trap 9), orgscim parses and caps the body itself.
/// Throws only std::bad_alloc.
http_request to_http_request(const struct _u_request& req);

/// Copies status, headers and body into Ulfius's response. The Content-Type orgscim chose is kept
/// (ulfius_set_json_body_response would force application/json). Returns false when Ulfius
/// could not allocate.
bool write_response(const scim::response& res, struct _u_response& out);

/// Jansson -> Boost.JSON through its text form; nullopt when jansson cannot serialize it (NaN,
/// invalid UTF-8). Meant for small documents (instance parameters, one user).
std::optional<boost::json::value> to_boost(const json_t* value);

/// Boost.JSON -> Jansson (a new reference the caller owns), or nullptr on failure.
json_t* to_jansson(const boost::json::value& value);

}  // namespace orgscim::plugin::glewlwyd
