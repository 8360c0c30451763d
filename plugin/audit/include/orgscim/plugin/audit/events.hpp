#pragma once
// The append-only event log as a read-only SCIM resource type (/Events). Events are written by
// directory_tx::append_event() inside the transaction of the change they record; this module
// only describes and renders them.

#include <boost/json/object.hpp>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/scim/schema.hpp>
#include <string>
#include <string_view>

namespace orgscim::plugin::audit {

inline constexpr std::string_view event_schema_urn =
    "urn:orgscim:params:scim:schemas:core:1.0:Event";

/// Registers the Event schema and the read-only "Event" resource type (endpoint /Events).
const scim::resource_type& register_event_type(scim::schema_registry& reg);

/// The attributes of an event as stored under resource_record::attrs (no id, no meta):
/// action, actor, credential, orgId, targetType, targetId, detail.
boost::json::object event_attributes(const event_record& e);

/// RFC 3339 UTC with milliseconds ("2026-11-22T05:40:12.345Z").
std::string format_time(std::int64_t epoch_ms);

}  // namespace orgscim::plugin::audit
