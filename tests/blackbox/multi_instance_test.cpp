// Issue 7: several `orgscim serve` processes on one PostgreSQL database, as behind a load
// balancer, and the database failing over under load. Real PostgreSQL (tests/integration/
// pg_cluster), real servers on port 0.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "blackbox_helpers.hpp"
#include "pg_cluster.hpp"
#include "server_launcher.hpp"

namespace {

using namespace std::chrono_literals;
using namespace orgscim::testing;
namespace json = boost::json;

std::string user_body(const std::string& name) {
    return R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":")" + name +
           R"("})";
}

std::string config_for(const std::string& uri_env) {
    // No access log: thousands of requests would fill the stderr pipe the test reads lazily.
    return R"({"server":{"access_log":false},
               "storage":{"backend":"postgresql","postgresql":{"uri_env":")" +
           uri_env + R"(","connect_timeout_ms":2000,"statement_timeout_ms":3000}}})";
}

pg_cluster* cluster_or_fail() {
    std::string why;
    auto* pg = pg_cluster::shared(&why);
    if (!pg) {
        if (ci_requires_services()) ADD_FAILURE() << "PostgreSQL did not start: " << why;
    }
    return pg;
}

// A cluster of the test's own, for tests that stop and start it (stopping the shared one would
// fail the other tests of this process). Null after a failure (CI=true) or a skip: return then.
void own_cluster(std::unique_ptr<pg_cluster>& pg) {
    try {
        pg = std::make_unique<pg_cluster>();
    } catch (const std::exception& e) {
        if (ci_requires_services()) FAIL() << "PostgreSQL did not start: " << e.what();
        GTEST_SKIP() << e.what();
    }
}

// Two instances sharing one database; the organization and its secret are made through the CLI
// of the first (same database, so the second knows them too).
class two_instances : public ::testing::Test {
  protected:
    void SetUp() override {
        auto* pg = cluster_or_fail();
        if (!pg) GTEST_SKIP() << "PostgreSQL unavailable";
        ::setenv("ORGSCIM_MULTI_PG_URI", pg->create_database().c_str(), 1);
        a_ = std::make_unique<orgscim_server>(std::vector<std::string>{},
                                              config_for("ORGSCIM_MULTI_PG_URI"));
        b_ = std::make_unique<orgscim_server>(std::vector<std::string>{},
                                              config_for("ORGSCIM_MULTI_PG_URI"));
        t_ = a_->new_tenant("Shared");
    }

    std::unique_ptr<orgscim_server> a_, b_;
    tenant t_;
};

TEST_F(two_instances, the_same_user_name_from_both_sides_exactly_one_wins) {
    constexpr int rounds = 25;
    for (int i = 0; i < rounds; ++i) {
        const auto body = user_body("race-" + std::to_string(i) + "@example.com");
        auto post = [&](unsigned short port) {
            http_client c("127.0.0.1", port);
            return c.request("POST", "/scim/v2/Users", bearer(t_.token), body).status;
        };
        auto x = std::async(std::launch::async, post, a_->port());
        auto y = std::async(std::launch::async, post, b_->port());
        const int sx = x.get(), sy = y.get();
        EXPECT_EQ((sx == 201) + (sy == 201), 1) << "round " << i << ": " << sx << " " << sy;
        EXPECT_EQ((sx == 409) + (sy == 409), 1) << "round " << i << ": " << sx << " " << sy;
    }
    http_client c("127.0.0.1", b_->port());
    auto all = c.request("GET", "/scim/v2/Users?count=0", bearer(t_.token));
    ASSERT_EQ(all.status, 200) << all.body;
    EXPECT_EQ(json::parse(all.body).at("totalResults").as_int64(), rounds);
}

TEST_F(two_instances, group_member_adds_from_both_sides_none_lost) {
    http_client c("127.0.0.1", a_->port());
    auto g = c.request("POST", "/scim/v2/Groups", bearer(t_.token),
                       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
                           "displayName":"Everyone"})");
    ASSERT_EQ(g.status, 201) << g.body;
    const std::string gid(json::parse(g.body).at("id").as_string());
    constexpr int per_side = 30;
    auto side = [&](unsigned short port, std::string prefix) {
        http_client h("127.0.0.1", port);
        int ok = 0;
        for (int i = 0; i < per_side; ++i) {
            auto u = h.request("POST", "/scim/v2/Users", bearer(t_.token),
                               user_body(prefix + std::to_string(i)));
            if (u.status != 201) continue;
            const std::string uid(json::parse(u.body).at("id").as_string());
            // Entra's shape: one member per PATCH, no If-Match.
            auto p = h.request("PATCH", "/scim/v2/Groups/" + gid, bearer(t_.token),
                               R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                   "Operations":[{"op":"Add","path":"members",
                                                  "value":[{"value":")" +
                                   uid + R"("}]}]})");
            ok += p.status == 200 || p.status == 204;
        }
        return ok;
    };
    auto x = std::async(std::launch::async, side, a_->port(), "left-");
    auto y = std::async(std::launch::async, side, b_->port(), "right-");
    EXPECT_EQ(x.get(), per_side);
    EXPECT_EQ(y.get(), per_side);
    auto got = c.request("GET", "/scim/v2/Groups/" + gid, bearer(t_.token));
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(json::parse(got.body).at("members").as_array().size(),
              static_cast<std::size_t>(2 * per_side));
}

TEST(failover, database_stops_under_load_no_acknowledged_write_lost_and_service_resumes) {
    std::unique_ptr<pg_cluster> pg;
    own_cluster(pg);
    if (!pg) return;
    ::setenv("ORGSCIM_FAILOVER_PG_URI", pg->create_database().c_str(), 1);
    orgscim_server srv({}, config_for("ORGSCIM_FAILOVER_PG_URI"));
    const auto t = srv.new_tenant("Failover");

    std::atomic<bool> stop{false};
    std::atomic<int> refused{0}, unexpected{0}, without_retry_after{0};
    std::vector<std::string> acknowledged;
    // A POST answered 503 may still have committed: the server can lose the connection to
    // PostgreSQL after COMMIT reached it and before the answer came back (in doubt). Those are
    // the only users allowed to exist beyond the acknowledged ones.
    std::set<std::string> in_doubt;
    std::string odd;  // the first answer that was not as it should be
    std::mutex mu;
    std::thread writer([&] {
        http_client c("127.0.0.1", srv.port());
        for (int i = 0; !stop; ++i) {
            http_reply r;
            const std::string name = "w" + std::to_string(i) + "@example.com";
            try {
                r = c.request("POST", "/scim/v2/Users", bearer(t.token), user_body(name));
            } catch (const std::exception&) {
                ++unexpected;  // the server must answer, not drop the connection
                continue;
            }
            if (r.status == 201) {
                std::lock_guard lk(mu);
                acknowledged.emplace_back(json::parse(r.body).at("id").as_string());
            } else if (r.status == 503) {
                ++refused;
                {
                    std::lock_guard lk(mu);
                    in_doubt.insert(name);
                }
                if (r.header("Retry-After").empty()) {
                    ++without_retry_after;
                    std::lock_guard lk(mu);
                    if (odd.empty()) odd = "503 without Retry-After: " + r.body;
                }
                std::this_thread::sleep_for(20ms);
            } else {
                ++unexpected;
                std::lock_guard lk(mu);
                if (odd.empty()) odd = std::to_string(r.status) + ": " + r.body;
            }
        }
    });
    auto acked = [&] {
        std::lock_guard lk(mu);
        return acknowledged.size();
    };
    // The server's error lines during the outage go to a pipe: keep it drained.
    auto wait = [&](std::chrono::milliseconds d) {
        const auto until = std::chrono::steady_clock::now() + d;
        while (std::chrono::steady_clock::now() < until) {
            srv.process().drain();
            std::this_thread::sleep_for(20ms);
        }
    };
    wait(700ms);
    const auto before_stop = acked();
    pg->stop();
    wait(1500ms);
    http_client probe("127.0.0.1", srv.port());
    EXPECT_EQ(probe.request("GET", "/readyz").status, 503);
    EXPECT_EQ(probe.request("GET", "/healthz").status, 200);  // alive, just not ready
    const auto during = acked();
    pg->start();
    const auto end = std::chrono::steady_clock::now() + 15s;
    while (acked() < during + 20 && std::chrono::steady_clock::now() < end) wait(50ms);
    stop = true;
    writer.join();

    EXPECT_GT(before_stop, 0u);
    EXPECT_GT(refused.load(), 0) << "no request saw the outage";
    srv.process().drain();
    if (!odd.empty()) {
        for (const auto& l : srv.process().lines()) std::cerr << "server: " << l << "\n";
    }
    EXPECT_EQ(without_retry_after.load(), 0) << odd;
    EXPECT_EQ(unexpected.load(), 0) << "a request got neither 201 nor 503: " << odd;
    EXPECT_GE(acked(), during + 20) << "service did not resume";
    EXPECT_EQ(probe.request("GET", "/readyz").status, 200);
    // Every write the clients were told succeeded is there.
    std::set<std::string> unique(acknowledged.begin(), acknowledged.end());
    EXPECT_EQ(unique.size(), acknowledged.size());
    for (const auto& id : acknowledged) {
        EXPECT_EQ(probe.request("GET", "/scim/v2/Users/" + id, bearer(t.token)).status, 200) << id;
    }
    // And nothing else is there but in-doubt writes.
    auto all =
        probe.request("GET", "/scim/v2/Users?count=1000&attributes=userName", bearer(t.token));
    ASSERT_EQ(all.status, 200) << all.body;
    const auto listed = json::parse(all.body);
    std::size_t extra = 0;
    for (const auto& u : listed.at("Resources").as_array()) {
        const std::string id(u.at("id").as_string());
        if (unique.count(id)) continue;
        ++extra;
        EXPECT_TRUE(in_doubt.count(std::string(u.at("userName").as_string())))
            << "stored but neither acknowledged nor answered 503: " << u;
    }
    EXPECT_EQ(listed.at("totalResults").as_int64(),
              static_cast<std::int64_t>(acknowledged.size() + extra));
}

}  // namespace

namespace {

TEST(failover, database_unreachable_at_start_server_waits_not_ready_then_serves) {
    std::unique_ptr<pg_cluster> pg;
    own_cluster(pg);
    if (!pg) return;
    ::setenv("ORGSCIM_LATE_PG_URI", pg->create_database().c_str(), 1);
    pg->stop();
    orgscim_server srv({}, config_for("ORGSCIM_LATE_PG_URI"));  // listens although PG is down
    http_client c("127.0.0.1", srv.port());
    EXPECT_EQ(c.request("GET", "/healthz").status, 200);
    EXPECT_EQ(c.request("GET", "/readyz").status, 503);
    auto early = c.request("GET", "/scim/v2/Users", bearer("oss_whatever"));
    EXPECT_EQ(early.status, 503) << early.body;
    EXPECT_FALSE(early.header("Retry-After").empty());

    pg->start();
    const auto end = std::chrono::steady_clock::now() + 30s;
    while (c.request("GET", "/readyz").status != 200 && std::chrono::steady_clock::now() < end) {
        srv.process().drain();
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_EQ(c.request("GET", "/readyz").status, 200) << "never became ready";
    const auto t = srv.new_tenant("Late");
    EXPECT_EQ(
        c.request("POST", "/scim/v2/Users", bearer(t.token), user_body("late@example.com")).status,
        201);
}

}  // namespace
