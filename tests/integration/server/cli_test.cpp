// The `orgscim` program as scripts and the benchmark harness call it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <orgscim/testing/http_client.hpp>
#include <orgscim/testing/process.hpp>
#include <thread>

#include "cli_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using orgscim::testing::child_process;
using orgscim::testing::run_command;
using orgscim::testing::temp_dir;
using ::testing::HasSubstr;

const std::string& bin = orgscim::testing::orgscim_bin;

struct cli : orgscim::testing::cli_fixture {
    std::string db = dir.path() + "/orgscim.db";

    std::string json_field(const std::string& out, const char* key) {
        return std::string(boost::json::parse(out).at(key).as_string());
    }
};

std::string listening_address(child_process& p) {
    const auto line = p.wait_for_line(
        [](const std::string& l) { return l.find("\"msg\":\"listening\"") != std::string::npos; },
        10s);
    return std::string(boost::json::parse(line).at("address").as_string());
}

unsigned short port_of(const std::string& address) {
    return static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
}

TEST_F(cli, version_and_help) {
    auto [rc, out] = run({"--version"});
    EXPECT_EQ(rc, 0);
    EXPECT_THAT(out, HasSubstr("orgscim "));
    for (std::vector<std::string> a : {std::vector<std::string>{"--help"},
                                       {"serve", "--help"},
                                       {"orgs", "create", "--help"},
                                       {"orgs", "list", "--help"},
                                       {"tokens", "create", "--help"},
                                       {"tokens", "list", "--help"},
                                       {"tokens", "revoke", "--help"},
                                       {"orgs", "--help"},
                                       {"tokens", "--help"}}) {
        auto [hrc, hout] = run(a);
        EXPECT_EQ(hrc, 0) << a[0];
        EXPECT_THAT(hout, HasSubstr("usage")) << a[0];
    }
}

TEST_F(cli, usage_errors_exit_2_with_one_line) {
    for (std::vector<std::string> a : {std::vector<std::string>{},
                                       {"bogus"},
                                       {"orgs"},
                                       {"orgs", "create"},
                                       {"orgs", "create", "--name"},
                                       {"orgs", "frob"},
                                       {"tokens", "create", "--db", db},
                                       {"serve", "--what"},
                                       {"tokens", "revoke"}}) {
        std::string err;
        auto [rc, out] = run(a, &err);
        EXPECT_EQ(rc, 2) << ::testing::PrintToString(a);
        EXPECT_THAT(err, ::testing::StartsWith("orgscim: "));
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    }
}

TEST_F(cli, config_errors_exit_3) {
    const std::string path = dir.path() + "/bad.json";
    std::ofstream(path) << R"({"server": {"threads": "many"}, "extra": true})";
    std::string err;
    auto [rc, out] = run({"orgs", "list", "--config", path}, &err);
    EXPECT_EQ(rc, 3);
    EXPECT_THAT(err, HasSubstr("server.threads: expected unsigned integer"));
    EXPECT_THAT(err, HasSubstr("extra: unknown key"));
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(run({"serve", "--config", dir.path() + "/missing.json"}).first, 3);
    EXPECT_EQ(run({"serve", "--listen", "nonsense", "--db", db}).first, 3);
}

TEST_F(cli, orgs_and_tokens_round_trip) {
    auto [rc, out] = run({"orgs", "create", "--name", "bench", "--db", db, "--json"});
    ASSERT_EQ(rc, 0);
    const auto org = json_field(out, "id");
    auto [rc2, plain] = run({"orgs", "create", "--name", "child", "--parent", org, "--db", db});
    ASSERT_EQ(rc2, 0);
    EXPECT_EQ(plain.back(), '\n');
    EXPECT_EQ(plain.find(' '), std::string::npos);  // the id only
    EXPECT_EQ(run({"orgs", "create", "--name", "x", "--parent", "nope", "--db", db}).first, 1);

    auto [lrc, list] = run({"orgs", "list", "--db", db, "--json"});
    ASSERT_EQ(lrc, 0);
    EXPECT_EQ(boost::json::parse(list).as_array().size(), 2u);

    auto [trc, tok] =
        run({"tokens", "create", "--org", org, "--db", db, "--json", "--name", "entra"});
    ASSERT_EQ(trc, 0);
    const auto id = json_field(tok, "id");
    const auto secret = json_field(tok, "secret");
    EXPECT_TRUE(secret.starts_with("oss_"));
    EXPECT_EQ(run({"tokens", "create", "--org", "nope", "--db", db}).first, 1);

    auto [src, tlist] = run({"tokens", "list", "--org", org, "--db", db});
    ASSERT_EQ(src, 0);
    EXPECT_THAT(tlist, HasSubstr(id));
    EXPECT_THAT(tlist, HasSubstr("entra"));
    EXPECT_THAT(tlist, ::testing::Not(HasSubstr(secret)));

    EXPECT_EQ(run({"tokens", "revoke", id, "--db", db}).first, 0);
    EXPECT_EQ(run({"tokens", "revoke", "no-such-token", "--db", db}).first, 1);
    auto [jrc, jlist] = run({"tokens", "list", "--org", org, "--db", db, "--json"});
    ASSERT_EQ(jrc, 0);
    EXPECT_EQ(boost::json::parse(jlist).at(0).at("state"), "revoked");
}

// Exactly the calls of /work/shared/peers/run-peers.sh, then SIGTERM → exit 0.
TEST_F(cli, serve_as_the_benchmark_harness_runs_it) {
    auto [rc, out] = run({"orgs", "create", "--name", "bench", "--db", db, "--json"});
    ASSERT_EQ(rc, 0);
    const auto org = json_field(out, "id");
    auto [trc, tok] = run({"tokens", "create", "--org", org, "--db", db, "--json"});
    ASSERT_EQ(trc, 0);
    const auto secret = json_field(tok, "secret");
    const auto ro = json_field(
        run({"tokens", "create", "--org", org, "--db", db, "--json", "--read-only"}).second,
        "secret");

    child_process server({bin, "serve", "--listen", "127.0.0.1:0", "--db", db});
    const auto address = listening_address(server);
    orgscim::testing::http_client http("127.0.0.1", port_of(address));
    const std::vector<std::pair<std::string, std::string>> auth{
        {"Authorization", "Bearer " + secret}};
    EXPECT_EQ(http.request("GET", "/scim/v2/Users", auth).status, 200);
    auto created = http.request(
        "POST", "/scim/v2/Users",
        {{"Authorization", "Bearer " + secret}, {"Content-Type", "application/scim+json"}},
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bench1"})");
    EXPECT_EQ(created.status, 201);
    EXPECT_THAT(created.header("Location"), HasSubstr("http://" + address + "/scim/v2/Users/"));
    EXPECT_EQ(
        http.request("POST", "/scim/v2/Users",
                     {{"Authorization", "Bearer " + ro}, {"Content-Type", "application/scim+json"}},
                     R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x"})")
            .status,
        403);
    // Revocation through the CLI reaches the running server within server.credential_cache_ms
    // (default 5 s): the server trusts a secret it has just found valid that long.
    const auto tid = json_field(tok, "id");
    EXPECT_EQ(run({"tokens", "revoke", tid, "--db", db}).first, 0);
    const auto revoked = std::chrono::steady_clock::now();
    int status = 0;
    while ((status = http.request("GET", "/scim/v2/Users", auth).status) == 200 &&
           std::chrono::steady_clock::now() - revoked < 8s) {
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(status, 401);
    EXPECT_LE(std::chrono::steady_clock::now() - revoked, 6500ms);  // 5 s + slack
    EXPECT_EQ(server.stop(SIGTERM, 10s), 0);
    // Nothing secret in the server's log.
    server.drain();
    for (const auto& l : server.lines()) EXPECT_EQ(l.find(secret), std::string::npos) << l;
}

// server.credential_cache_ms 0: the server asks the database on every request, so a revocation
// through the CLI takes effect at once.
TEST_F(cli, revocation_is_immediate_with_the_credential_cache_off) {
    auto [rc, out] = run({"orgs", "create", "--name", "acme", "--db", db, "--json"});
    ASSERT_EQ(rc, 0);
    auto [trc, tok] =
        run({"tokens", "create", "--org", json_field(out, "id"), "--db", db, "--json"});
    ASSERT_EQ(trc, 0);
    const std::string cfg = dir.path() + "/config.json";
    std::ofstream(cfg) << R"({"storage": {"sqlite": {"path": ")" << db
                       << R"("}}, "server": {"credential_cache_ms": 0, "access_log": false}})";
    child_process server({bin, "serve", "--config", cfg, "--listen", "127.0.0.1:0"});
    orgscim::testing::http_client http("127.0.0.1", port_of(listening_address(server)));
    const std::vector<std::pair<std::string, std::string>> auth{
        {"Authorization", "Bearer " + json_field(tok, "secret")}};
    EXPECT_EQ(http.request("GET", "/scim/v2/Users", auth).status, 200);
    EXPECT_EQ(http.request("GET", "/scim/v2/Users", auth).status, 200);
    EXPECT_EQ(run({"tokens", "revoke", json_field(tok, "id"), "--db", db}).first, 0);
    EXPECT_EQ(http.request("GET", "/scim/v2/Users", auth).status, 401);
    EXPECT_EQ(server.stop(SIGTERM, 10s), 0);
}

TEST_F(cli, demo_is_idempotent) {
    std::string org1, org2;
    std::string secret1;
    for (int round = 0; round < 2; ++round) {
        child_process p({bin, "demo", "--listen", "127.0.0.1:0", "--db", db});
        const auto address = listening_address(p);
        EXPECT_EQ(p.stop(SIGINT, 10s), 0);
        (void)address;
    }
    // The demo prints to stdout, which child_process discards: check the database instead.
    auto [rc, list] = run({"orgs", "list", "--db", db, "--json"});
    ASSERT_EQ(rc, 0);
    const auto orgs = boost::json::parse(list).as_array();
    ASSERT_EQ(orgs.size(), 1u);
    EXPECT_EQ(orgs.at(0).at("name"), "demo");
    const std::string org(orgs.at(0).at("id").as_string());
    auto [trc, tokens] = run({"tokens", "list", "--org", org, "--db", db, "--json"});
    ASSERT_EQ(trc, 0);
    EXPECT_EQ(boost::json::parse(tokens).as_array().size(), 2u);  // a fresh token per start
    (void)org1;
    (void)org2;
    (void)secret1;
}

}  // namespace
