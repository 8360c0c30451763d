#pragma once
// Server-wide SCIM settings. Built once from the JSON configuration, immutable afterwards.

#include <boost/json/fwd.hpp>
#include <cstddef>
#include <cstdint>

namespace orgscim::scim {

/// Client leniencies, each a named switch (docs/scim-compliance.md lists them). All on by default
/// because Entra ID and Okta send these shapes in production.
struct compat_options {
    /// "Add"/"Replace"/"Remove" accepted as op names.
    bool case_insensitive_ops = true;
    /// "True"/"False" strings accepted for boolean attributes.
    bool string_booleans = true;
    /// remove + path "members" + value list removes only the listed members (Entra).
    bool remove_members_by_value_list = true;
    /// A filtered remove that matches nothing is a no-op success instead of 400 noTarget.
    bool idempotent_remove = true;
    /// manager given as a plain id string instead of {"value": id}.
    bool manager_as_string = true;
};

struct bulk_options {
    std::size_t max_operations = 1000;
    std::size_t max_payload_bytes = 1048576;
};

struct config {
    std::int64_t default_count = 100;
    std::int64_t max_results = 1000;  ///< cap on count, advertised as filter.maxResults
    std::size_t max_filter_length = 4096;
    std::size_t max_json_depth = 32;
    bulk_options bulk;
    compat_options compat;
};

}  // namespace orgscim::scim
