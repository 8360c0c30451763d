#pragma once
// Prometheus metrics for the request pipeline: orgscim_http_requests_total{route,method,status}
// and orgscim_http_request_duration_seconds{route} (histogram). Routes are a closed set of
// templates, so every series is a fixed slot of relaxed atomics: recording never allocates or
// locks.

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace orgscim::plugin {

/// Route templates (relative to base_path). An id never appears in a label.
enum class route : std::uint8_t {
    healthz,
    readyz,
    metrics,
    scim_root,
    service_provider_config,
    resource_types,
    resource_type_by_id,
    schemas,
    schema_by_id,
    bulk,
    search_root,
    users,
    user_by_id,
    users_search,
    groups,
    group_by_id,
    groups_search,
    other_type,
    other_type_by_id,
    other_type_search,
    invitation_link,  ///< the invitee's link outside /scim/v2; the token is never logged
    oauth_token,      ///< orgscim's own token endpoint (issue 4)
    oauth_jwks,
    oauth_discovery,  ///< /.well-known/openid-configuration and oauth-authorization-server
    not_found,
    count_
};

/// "/scim/v2/Users/{id}" or, with `org_path`, "/o/{orgId}/scim/v2/Users/{id}".
std::string_view route_template(route r, bool org_path) noexcept;

class metrics {
  public:
    void record(
        route r, bool org_path, std::string_view method, int status, double seconds) noexcept;
    /// The text exposition format (version 0.0.4).
    std::string render() const;

    static constexpr std::array<double, 12> bucket_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  private:
    static constexpr std::size_t routes = 2 * static_cast<std::size_t>(route::count_);
    static constexpr std::size_t methods = 8;    // GET POST PUT PATCH DELETE HEAD OPTIONS other
    static constexpr std::size_t statuses = 20;  // known codes + "other"
    struct histogram {
        std::array<std::atomic<std::uint64_t>, bucket_bounds.size()> buckets{};
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> sum_ns{0};
    };
    std::array<std::atomic<std::uint64_t>, routes * methods * statuses> requests_{};
    std::array<histogram, routes> latency_{};
};

}  // namespace orgscim::plugin
