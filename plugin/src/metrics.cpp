#include "metrics.hpp"

#include <cstdio>

namespace orgscim::plugin {

namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(route::count_)> suffixes{
    "/healthz",
    "/readyz",
    "/metrics",
    "/scim/v2",
    "/scim/v2/ServiceProviderConfig",
    "/scim/v2/ResourceTypes",
    "/scim/v2/ResourceTypes/{id}",
    "/scim/v2/Schemas",
    "/scim/v2/Schemas/{id}",
    "/scim/v2/Bulk",
    "/scim/v2/.search",
    "/scim/v2/Users",
    "/scim/v2/Users/{id}",
    "/scim/v2/Users/.search",
    "/scim/v2/Groups",
    "/scim/v2/Groups/{id}",
    "/scim/v2/Groups/.search",
    "/scim/v2/{type}",
    "/scim/v2/{type}/{id}",
    "/scim/v2/{type}/.search",
    "/invitations/{token}",
    "/oauth2/token",
    "/oauth2/jwks",
    "/.well-known/{metadata}",
    "{unmatched}",
};

constexpr std::array<std::string_view, static_cast<std::size_t>(route::count_)> org_suffixes{
    "/o/{orgId}/healthz",
    "/o/{orgId}/readyz",
    "/o/{orgId}/metrics",
    "/o/{orgId}/scim/v2",
    "/o/{orgId}/scim/v2/ServiceProviderConfig",
    "/o/{orgId}/scim/v2/ResourceTypes",
    "/o/{orgId}/scim/v2/ResourceTypes/{id}",
    "/o/{orgId}/scim/v2/Schemas",
    "/o/{orgId}/scim/v2/Schemas/{id}",
    "/o/{orgId}/scim/v2/Bulk",
    "/o/{orgId}/scim/v2/.search",
    "/o/{orgId}/scim/v2/Users",
    "/o/{orgId}/scim/v2/Users/{id}",
    "/o/{orgId}/scim/v2/Users/.search",
    "/o/{orgId}/scim/v2/Groups",
    "/o/{orgId}/scim/v2/Groups/{id}",
    "/o/{orgId}/scim/v2/Groups/.search",
    "/o/{orgId}/scim/v2/{type}",
    "/o/{orgId}/scim/v2/{type}/{id}",
    "/o/{orgId}/scim/v2/{type}/.search",
    "/invitations/{token}",
    "/oauth2/token",
    "/oauth2/jwks",
    "/.well-known/{metadata}",
    "{unmatched}",
};

constexpr std::array<std::string_view, 8> method_names{"GET",    "POST", "PUT",     "PATCH",
                                                       "DELETE", "HEAD", "OPTIONS", "other"};

constexpr std::array<int, 19> status_codes{200, 201, 204, 304, 400, 401, 403, 404, 405, 408,
                                           409, 412, 413, 415, 429, 431, 500, 501, 503};

std::size_t method_index(std::string_view m) noexcept {
    for (std::size_t i = 0; i + 1 < method_names.size(); ++i) {
        if (method_names[i] == m) return i;
    }
    return method_names.size() - 1;
}

std::size_t status_index(int s) noexcept {
    for (std::size_t i = 0; i < status_codes.size(); ++i) {
        if (status_codes[i] == s) return i;
    }
    return status_codes.size();
}

}  // namespace

std::string_view route_template(route r, bool org_path) noexcept {
    const auto i = static_cast<std::size_t>(r);
    if (i >= suffixes.size()) return "{unmatched}";
    return org_path ? org_suffixes[i] : suffixes[i];
}

void metrics::record(
    route r, bool org_path, std::string_view method, int status, double seconds) noexcept {
    const std::size_t ri =
        static_cast<std::size_t>(r) +
        (org_path && r != route::not_found ? static_cast<std::size_t>(route::count_) : 0);
    const std::size_t idx = (ri * methods + method_index(method)) * statuses + status_index(status);
    requests_[idx].fetch_add(1, std::memory_order_relaxed);
    auto& h = latency_[ri];
    for (std::size_t b = 0; b < bucket_bounds.size(); ++b) {
        if (seconds <= bucket_bounds[b]) {
            h.buckets[b].fetch_add(1, std::memory_order_relaxed);
            break;
        }
    }
    h.count.fetch_add(1, std::memory_order_relaxed);
    h.sum_ns.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

std::string metrics::render() const {
    std::string out;
    out.reserve(4096);
    char buf[64];
    const auto name_of = [](std::size_t ri) {
        const auto n = static_cast<std::size_t>(route::count_);
        return route_template(static_cast<route>(ri % n), ri >= n);
    };
    out +=
        "# HELP orgscim_http_requests_total HTTP requests by route template, method and status.\n";
    out += "# TYPE orgscim_http_requests_total counter\n";
    for (std::size_t ri = 0; ri < routes; ++ri) {
        for (std::size_t mi = 0; mi < methods; ++mi) {
            for (std::size_t si = 0; si < statuses; ++si) {
                const auto v =
                    requests_[(ri * methods + mi) * statuses + si].load(std::memory_order_relaxed);
                if (v == 0) continue;
                out += "orgscim_http_requests_total{route=\"";
                out += name_of(ri);
                out += "\",method=\"";
                out += method_names[mi];
                out += "\",status=\"";
                out += si < status_codes.size() ? std::to_string(status_codes[si]) : "other";
                out += "\"} ";
                out += std::to_string(v);
                out += '\n';
            }
        }
    }
    out += "# HELP orgscim_http_request_duration_seconds Time spent handling a request.\n";
    out += "# TYPE orgscim_http_request_duration_seconds histogram\n";
    for (std::size_t ri = 0; ri < routes; ++ri) {
        const auto& h = latency_[ri];
        const auto count = h.count.load(std::memory_order_relaxed);
        if (count == 0) continue;
        const std::string label = "route=\"" + std::string(name_of(ri)) + "\"";
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < bucket_bounds.size(); ++b) {
            cumulative += h.buckets[b].load(std::memory_order_relaxed);
            std::snprintf(buf, sizeof buf, "%g", bucket_bounds[b]);
            out += "orgscim_http_request_duration_seconds_bucket{" + label + ",le=\"" + buf +
                   "\"} " + std::to_string(cumulative) + "\n";
        }
        out += "orgscim_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
               std::to_string(count) + "\n";
        std::snprintf(buf, sizeof buf, "%.9f",
                      static_cast<double>(h.sum_ns.load(std::memory_order_relaxed)) / 1e9);
        out += "orgscim_http_request_duration_seconds_sum{" + label + "} " + buf + "\n";
        out += "orgscim_http_request_duration_seconds_count{" + label + "} " +
               std::to_string(count) + "\n";
    }
    return out;
}

}  // namespace orgscim::plugin
