#pragma once
// The log facade: one JSON object per line on stderr. Access-log lines for requests and
// warn/error lines for components. Callers pass only what may be logged: never an Authorization
// value, a provisioning secret or a query string (filters can hold personal data).

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace orgscim::plugin {

/// Extra fields of a log line: (name, value) pairs, values written as JSON strings.
using log_fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

void log_info(std::string_view msg, log_fields fields = {});
void log_warn(std::string_view msg, log_fields fields = {});
void log_error(std::string_view msg, log_fields fields = {});

/// One finished request, as the access log records it.
struct access_record {
    std::string_view method;
    std::string_view route;  ///< template, e.g. "/scim/v2/Users/{id}"
    std::string_view path;   ///< decoded-or-raw path WITHOUT the query string
    int status = 0;
    double duration_ms = 0;
    std::size_t bytes = 0;  ///< response body size
    std::string_view org;
    std::string_view credential_id;
    std::string_view remote;
};

void log_access(const access_record& r);

/// From now on access lines go to stderr in batches (at most 50 ms late, written at exit)
/// through a writer thread, instead of a write() each. For the standalone server; a host that
/// loads orgscim as a module keeps one write per line and no thread of ours.
void batch_access_lines() noexcept;

/// Where lines go; stderr by default. Tests capture lines with a sink of their own.
using log_sink = void (*)(std::string_view line);
void set_log_sink(log_sink sink) noexcept;

/// Appends `s` to `out` as JSON string contents (no quotes added). Exposed for tests.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace orgscim::plugin
