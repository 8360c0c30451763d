#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <orgscim/testing/process.hpp>
#include <sstream>
#include <thread>

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

// fd 2 sent to a file for the life of the object.
class stderr_to_file {
  public:
    explicit stderr_to_file(const std::string& path)
        : path_(path),
          saved_(::dup(2)),
          fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600)) {
        ::dup2(fd_, 2);
    }
    ~stderr_to_file() {
        ::dup2(saved_, 2);
        ::close(saved_);
        ::close(fd_);
    }
    std::string text() const {
        std::ifstream in(path_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

  private:
    std::string path_;
    int saved_, fd_;
};

access_record access_to(std::string_view path) {
    return {"GET", "/scim/v2/Users/{id}", path, 200, 0.5, 10, "org", "tok", "127.0.0.1:1"};
}

TEST(log, access_lines_on_stderr_arrive_by_themselves_and_before_the_lines_after_them) {
    orgscim::testing::temp_dir dir;
    stderr_to_file err(dir.path() + "/stderr");
    set_log_sink(nullptr);
    batch_access_lines();
    // Nothing else is logged: each batch still goes out (the second finds the writer waiting).
    auto arrives = [&](std::string_view what) {
        std::string text;
        for (int i = 0; i < 200 && text.find(what) == std::string::npos; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            text = err.text();
        }
        return text.find(what) != std::string::npos;
    };
    log_access(access_to("/batched/1"));
    EXPECT_TRUE(arrives("/batched/1"));
    log_access(access_to("/batched/2"));
    EXPECT_TRUE(arrives("/batched/2"));

    // A warning leaves after the access lines logged before it, at once.
    log_access(access_to("/batched/3"));
    log_warn("after the third");
    const std::string text = err.text();
    ASSERT_NE(text.find("after the third"), std::string::npos) << text;
    EXPECT_LT(text.find("/batched/3"), text.find("after the third")) << text;
    for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
        EXPECT_TRUE(boost::json::parse(text.substr(at, end - at)).is_object());
    }
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
