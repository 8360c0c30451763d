#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <mutex>
#include <orgscim/scim/schema.hpp>

#include "app_impl.hpp"
#include "fake_backend.hpp"
#include "log.hpp"
#include "secrets.hpp"

namespace {

using namespace orgscim::plugin;
using orgscim::plugin::testing::fake_backend;
using ::testing::HasSubstr;
using ::testing::Not;

std::mutex g_lines_mutex;
std::vector<std::string> g_lines;
void capture(std::string_view line) {
    std::lock_guard lock(g_lines_mutex);
    g_lines.emplace_back(line);
}

std::string header(const orgscim::scim::response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
        if (orgscim::scim::iequals(k, name)) return v;
    }
    return {};
}

struct app_fixture : ::testing::Test {
    fake_backend* store = nullptr;
    std::shared_ptr<app> a;
    std::string org, other_org, secret, ro_secret, other_secret;

    void build(config cfg) {
        auto b = std::make_unique<fake_backend>();
        store = b.get();
        org = b->create_org("acme", std::nullopt).value().id;
        other_org = b->create_org("globex", std::nullopt).value().id;
        secret = issue_secret(*b, org, "rw", std::nullopt, true).value().secret;
        ro_secret = issue_secret(*b, org, "ro", std::nullopt, false).value().secret;
        other_secret = issue_secret(*b, other_org, "rw", std::nullopt, true).value().secret;
        a = make_app(cfg, std::move(b));
    }
    void SetUp() override {
        g_lines.clear();
        set_log_sink(&capture);
        config cfg;
        cfg.public_base_url = "https://scim.example.com";
        build(cfg);
    }
    void TearDown() override { set_log_sink(nullptr); }

    orgscim::scim::response call(std::string method,
                                 std::string target,
                                 std::string token = {},
                                 std::string body = {}) {
        http_request r;
        r.method = std::move(method);
        r.target = std::move(target);
        r.remote_addr = "127.0.0.1:5555";
        if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + token);
        if (!body.empty()) r.headers.emplace_back("content-type", "application/scim+json");
        r.body = std::move(body);
        return a->handle(r);
    }

    std::string create_user(const std::string& target,
                            const std::string& token,
                            const std::string& name) {
        const auto r =
            call("POST", target, token,
                 R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":")" +
                     name + "\"}");
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(boost::json::parse(r.body).at("id").as_string());
    }
};

TEST_F(app_fixture, health_and_readiness) {
    auto r = call("GET", "/healthz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ok");
    EXPECT_EQ(call("GET", "/readyz").status, 200);
    store->is_healthy = false;
    EXPECT_EQ(call("GET", "/readyz").status, 503);
    EXPECT_EQ(call("GET", "/healthz").status, 200);
    EXPECT_EQ(call("POST", "/healthz").status, 405);
}

TEST_F(app_fixture, unknown_paths_are_scim_404) {
    for (const char* t : {"/", "/scim", "/scim/v1/Users", "/nope", "/o/x/scim/v1/Users"}) {
        const auto r = call("GET", t, secret);
        EXPECT_EQ(r.status, 404) << t;
        EXPECT_EQ(header(r, "Content-Type"), "application/scim+json") << t;
        EXPECT_THAT(r.body, HasSubstr("\"status\":\"404\"")) << t;
    }
}

TEST_F(app_fixture, discovery_needs_no_token_but_resources_do) {
    EXPECT_EQ(call("GET", "/scim/v2/ServiceProviderConfig").status, 200);
    EXPECT_EQ(call("GET", "/scim/v2/ResourceTypes").status, 200);
    EXPECT_EQ(call("GET", "/scim/v2/Schemas").status, 200);
    const auto r = call("GET", "/scim/v2/Users");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer realm=\"scim\"");
    EXPECT_THAT(r.body, HasSubstr("\"status\":\"401\""));
    const auto bad = call("GET", "/scim/v2/Users", "oss_nope");
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(header(bad, "WWW-Authenticate"), "Bearer realm=\"scim\", error=\"invalid_token\"");
}

TEST_F(app_fixture, org_comes_from_token_and_location_from_config) {
    const auto r =
        call("POST", "/scim/v2/Users", secret,
             R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"})");
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string id(boost::json::parse(r.body).at("id").as_string());
    EXPECT_EQ(header(r, "Location"), "https://scim.example.com/scim/v2/Users/" + id);
    EXPECT_EQ(call("GET", "/scim/v2/Users/" + id, secret).status, 200);
    // Another organization's token never sees it.
    EXPECT_EQ(call("GET", "/scim/v2/Users/" + id, other_secret).status, 404);
    const auto list = call("GET", "/scim/v2/Users", other_secret);
    EXPECT_THAT(list.body, HasSubstr("\"totalResults\":0"));
}

TEST_F(app_fixture, org_path_must_match_token) {
    const std::string base = "/o/" + org + "/scim/v2";
    const auto id = create_user(base + "/Users", secret, "alice");
    const auto r = call("GET", base + "/Users/" + id, secret);
    ASSERT_EQ(r.status, 200);
    EXPECT_THAT(r.body, HasSubstr("https://scim.example.com/o/" + org + "/scim/v2/Users/" + id));
    // Other org's token on this org's path, and a path naming an org that does not exist:
    // the same 404, so nothing tells whether the organization exists.
    const auto wrong = call("GET", base + "/Users/" + id, other_secret);
    const auto missing = call("GET", "/o/does-not-exist/scim/v2/Users/" + id, secret);
    EXPECT_EQ(wrong.status, 404);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(wrong.body, missing.body);
    EXPECT_EQ(call("GET", "/o/" + other_org + "/scim/v2/Users", secret).status, 404);
}

TEST_F(app_fixture, read_only_secret_cannot_write) {
    const auto w =
        call("POST", "/scim/v2/Users", ro_secret,
             R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x"})");
    EXPECT_EQ(w.status, 403);
    EXPECT_EQ(header(w, "WWW-Authenticate"), "Bearer realm=\"scim\", error=\"insufficient_scope\"");
    EXPECT_THAT(w.body, HasSubstr("\"status\":\"403\""));
    EXPECT_EQ(call("GET", "/scim/v2/Users", ro_secret).status, 200);
    EXPECT_EQ(call("POST", "/scim/v2/Users/.search", ro_secret,
                   R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]})")
                  .status,
              200);
    EXPECT_EQ(call("DELETE", "/scim/v2/Users/whatever", ro_secret).status, 403);
}

TEST_F(app_fixture, path_and_query_are_decoded) {
    create_user("/scim/v2/Users", secret, "b jensen");
    auto r = call("GET", "/scim/v2/Users?filter=userName%20eq%20%22b%20jensen%22", secret);
    EXPECT_THAT(r.body, HasSubstr("\"totalResults\":1")) << r.body;
    r = call("GET", "/scim/v2/Users?filter=userName+eq+%22b+jensen%22", secret);
    EXPECT_THAT(r.body, HasSubstr("\"totalResults\":1")) << r.body;
    r = call("GET", "/scim/v2/%55sers?filter=userName%20eq%20%22nobody%22", secret);
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.body, HasSubstr("\"totalResults\":0"));
}

TEST_F(app_fixture, traversal_and_encoded_slashes_are_refused) {
    for (const char* t : {"/scim/v2/Users/..", "/scim/v2/Users/%2e%2e", "/scim/v2/Users/a%2Fb",
                          "/scim/v2/Users/a%5cb", "/scim/v2/Users/%zz", "/scim/v2/Users/%2"}) {
        const auto r = call("GET", t, secret);
        EXPECT_EQ(r.status, 400) << t;
        EXPECT_EQ(header(r, "Content-Type"), "application/scim+json") << t;
    }
    EXPECT_EQ(call("GET", "/o/%2e%2e/scim/v2/Users", secret).status, 400);
}

TEST_F(app_fixture, access_token_in_query_is_refused) {
    const auto r = call("GET", "/scim/v2/Users?access_token=" + secret);
    EXPECT_EQ(r.status, 400);
}

TEST_F(app_fixture, access_log_has_route_template_and_no_secrets) {
    const auto id = create_user("/scim/v2/Users", secret, "carol");
    g_lines.clear();
    call("GET", "/scim/v2/Users/" + id + "?attributes=userName", secret);
    call("GET", "/scim/v2/Users?filter=userName%20eq%20%22carol%22", secret);
    call("GET", "/scim/v2/Users", "oss_" + std::string(43, 'A'));
    ASSERT_GE(g_lines.size(), 3u);
    std::string all;
    for (const auto& l : g_lines) all += l;
    EXPECT_THAT(all, Not(HasSubstr(secret)));
    EXPECT_THAT(all, Not(HasSubstr("carol")));  // query strings stay out
    EXPECT_THAT(all, Not(HasSubstr("oss_AAAA")));
    EXPECT_THAT(all, HasSubstr("\"route\":\"/scim/v2/Users/{id}\""));
    EXPECT_THAT(all, HasSubstr("\"path\":\"/scim/v2/Users/" + id + "\""));
    EXPECT_THAT(all, HasSubstr("\"org\":\"" + org + "\""));
    for (const auto& l : g_lines) {
        EXPECT_NO_THROW(boost::json::parse(l)) << l;
        EXPECT_EQ(l.back(), '\n');
    }
}

TEST_F(app_fixture, metrics_use_templates_never_ids) {
    const auto id = create_user("/scim/v2/Users", secret, "dave");
    call("GET", "/scim/v2/Users/" + id, secret);
    call("GET", "/o/" + org + "/scim/v2/Users/" + id, secret);
    call("GET", "/nothing/here");
    const auto m = call("GET", "/metrics");
    ASSERT_EQ(m.status, 200);
    EXPECT_THAT(header(m, "Content-Type"), HasSubstr("text/plain"));
    EXPECT_THAT(m.body, Not(HasSubstr(id)));
    EXPECT_THAT(m.body, Not(HasSubstr(org)));
    EXPECT_THAT(m.body, HasSubstr("orgscim_http_requests_total{route=\"/scim/v2/Users/"
                                  "{id}\",method=\"GET\",status=\"200\"} 1\n"));
    EXPECT_THAT(m.body, HasSubstr("orgscim_http_requests_total{route=\"/o/{orgId}/scim/v2/Users/"
                                  "{id}\",method=\"GET\",status=\"200\"} 1\n"));
    EXPECT_THAT(m.body, HasSubstr("orgscim_http_requests_total{route=\"/scim/v2/"
                                  "Users\",method=\"POST\",status=\"201\"} 1\n"));
    EXPECT_THAT(m.body, HasSubstr("# TYPE orgscim_http_request_duration_seconds histogram\n"));
    EXPECT_THAT(m.body, HasSubstr("orgscim_http_request_duration_seconds_bucket{route=\"/scim/v2/"
                                  "Users/{id}\",le=\"+Inf\"} 1\n"));
    EXPECT_THAT(
        m.body,
        HasSubstr(
            "orgscim_http_request_duration_seconds_count{route=\"/scim/v2/Users/{id}\"} 1\n"));
}

TEST(app_base_path, mounted_below_a_prefix) {
    config cfg;
    cfg.public_base_url = "https://idp.example.com";
    cfg.base_path = "/api/scim";
    auto b = std::make_unique<fake_backend>();
    const auto org = b->create_org("acme", std::nullopt).value().id;
    const auto secret = issue_secret(*b, org, "rw", std::nullopt, true).value().secret;
    auto a = make_app(cfg, std::move(b));
    set_log_sink(&capture);
    http_request r;
    r.method = "POST";
    r.target = "/api/scim/scim/v2/Users";
    r.headers = {{"authorization", "Bearer " + secret}, {"content-type", "application/scim+json"}};
    r.body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"eve"})";
    const auto res = a->handle(r);
    ASSERT_EQ(res.status, 201) << res.body;
    EXPECT_THAT(res.body, HasSubstr("https://idp.example.com/api/scim/scim/v2/Users/"));
    r.method = "GET";
    r.body.clear();
    r.target = "/scim/v2/Users";
    EXPECT_EQ(a->handle(r).status, 404);
    r.target = "/api/scim/healthz";
    EXPECT_EQ(a->handle(r).status, 200);
    set_log_sink(nullptr);
}

}  // namespace
