#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "log.hpp"
#include "metrics.hpp"

namespace {

using namespace orgscim::plugin;
using ::testing::HasSubstr;

std::vector<std::string> g_lines;
void capture(std::string_view l) { g_lines.emplace_back(l); }

TEST(log, lines_are_single_json_objects_even_with_hostile_values) {
    g_lines.clear();
    set_log_sink(&capture);
    log_warn("auth\nfailed", {{"reason", "quote\" backslash\\ ctl\x01 tab\t"}, {"k", ""}});
    log_access({"GET", "/scim/v2/Users/{id}", "/scim/v2/Users/\"x\"\n", 404, 1.5, 10, "org", "tok",
                "127.0.0.1:1"});
    set_log_sink(nullptr);
    ASSERT_EQ(g_lines.size(), 2u);
    for (const auto& l : g_lines) {
        ASSERT_EQ(l.back(), '\n');
        EXPECT_EQ(l.find('\n'), l.size() - 1) << l;  // one line
        const auto v = boost::json::parse(l);
        EXPECT_TRUE(v.at("time").is_string());
    }
    const auto w = boost::json::parse(g_lines[0]).as_object();
    EXPECT_EQ(w.at("level"), "warn");
    EXPECT_EQ(w.at("msg"), "auth\nfailed");
    EXPECT_EQ(w.at("reason"), "quote\" backslash\\ ctl\x01 tab\t");
    const auto a = boost::json::parse(g_lines[1]).as_object();
    EXPECT_EQ(a.at("status"), 404);
    EXPECT_EQ(a.at("bytes"), 10);
    EXPECT_EQ(a.at("duration_ms").as_double(), 1.5);
    EXPECT_THAT(g_lines[1], HasSubstr("\"duration_ms\":1.500,"));
    EXPECT_EQ(a.at("credential"), "tok");
    EXPECT_EQ(a.at("route"), "/scim/v2/Users/{id}");
}

TEST(metrics, counters_and_cumulative_histogram) {
    metrics m;
    m.record(route::user_by_id, false, "GET", 200, 0.0004);
    m.record(route::user_by_id, false, "GET", 200, 0.003);
    m.record(route::user_by_id, false, "GET", 404, 7.0);
    m.record(route::users, true, "BREW", 418, 0.01);
    const auto t = m.render();
    EXPECT_THAT(t, HasSubstr("orgscim_http_requests_total{route=\"/scim/v2/Users/"
                             "{id}\",method=\"GET\",status=\"200\"} 2\n"));
    EXPECT_THAT(t, HasSubstr("orgscim_http_requests_total{route=\"/scim/v2/Users/"
                             "{id}\",method=\"GET\",status=\"404\"} 1\n"));
    EXPECT_THAT(t, HasSubstr("orgscim_http_requests_total{route=\"/o/{orgId}/scim/v2/"
                             "Users\",method=\"other\",status=\"other\"} 1\n"));
    const std::string l = "route=\"/scim/v2/Users/{id}\"";
    EXPECT_THAT(
        t, HasSubstr("orgscim_http_request_duration_seconds_bucket{" + l + ",le=\"0.0005\"} 1\n"));
    EXPECT_THAT(
        t, HasSubstr("orgscim_http_request_duration_seconds_bucket{" + l + ",le=\"0.005\"} 2\n"));
    EXPECT_THAT(t,
                HasSubstr("orgscim_http_request_duration_seconds_bucket{" + l + ",le=\"5\"} 2\n"));
    EXPECT_THAT(
        t, HasSubstr("orgscim_http_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} 3\n"));
    EXPECT_THAT(t, HasSubstr("orgscim_http_request_duration_seconds_count{" + l + "} 3\n"));
    EXPECT_THAT(t, HasSubstr("orgscim_http_request_duration_seconds_sum{" + l + "} 7.0034"));
    EXPECT_EQ(route_template(route::group_by_id, false), "/scim/v2/Groups/{id}");
    EXPECT_EQ(route_template(route::group_by_id, true), "/o/{orgId}/scim/v2/Groups/{id}");
}

}  // namespace
