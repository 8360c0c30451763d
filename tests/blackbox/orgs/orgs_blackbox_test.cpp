// The organization model through the real `orgscim` program: the CLI (tree, manage, grant,
// events) and the HTTP server (/Organizations, /Events, the /Users follow-up, cross-org 404s,
// a follow-up that fails taking its user write back with it).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <csignal>
#include <orgscim/testing/http_client.hpp>
#include <orgscim/testing/process.hpp>

namespace {

using namespace std::chrono_literals;
using orgscim::testing::child_process;
using orgscim::testing::run_command;
using orgscim::testing::temp_dir;
using ::testing::HasSubstr;
namespace json = boost::json;

const std::string bin = ORGSCIM_BINARY_DIR "/plugin/cli/orgscim";

struct orgs_blackbox : ::testing::Test {
    temp_dir dir;
    std::string db = dir.path() + "/orgscim.db";

    std::pair<int, std::string> run(std::vector<std::string> args, std::string* err = nullptr) {
        args.insert(args.begin(), bin);
        args.push_back("--db");
        args.push_back(db);
        return run_command(args, err);
    }
    // A read-write provisioning secret of `org`, from the CLI.
    std::string new_secret(const std::string& org) {
        auto [rc, out] = run({"tokens", "create", "--org", org, "--json"});
        EXPECT_EQ(rc, 0) << out;
        return std::string(json::parse(out).at("secret").as_string());
    }
    // A client of `server` once it listens (on the port it picked).
    static orgscim::testing::http_client client_of(child_process& server) {
        const auto ready = server.wait_for_line(
            [](const std::string& l) {
                return l.find("\"msg\":\"listening\"") != std::string::npos;
            },
            10s);
        const std::string address(json::parse(ready).at("address").as_string());
        return orgscim::testing::http_client(
            "127.0.0.1",
            static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1))));
    }
    static std::vector<std::pair<std::string, std::string>> scim_headers(
        const std::string& secret) {
        return {{"Authorization", "Bearer " + secret}, {"Content-Type", "application/scim+json"}};
    }
    std::string line(std::vector<std::string> args) {
        auto [rc, out] = run(std::move(args));
        EXPECT_EQ(rc, 0) << out;
        while (!out.empty() && out.back() == '\n') out.pop_back();
        return out;
    }
};

TEST_F(orgs_blackbox, cli_tree_manage_grant_events) {
    const auto msp = line({"orgs", "create", "--name", "Contoso MSP"});
    const auto cust = line({"orgs", "create", "--name", "Fabrikam", "--parent", msp});
    EXPECT_THAT(line({"orgs", "manage", "--org", cust}), HasSubstr("managedBy " + msp));
    const auto tree = line({"orgs", "tree"});
    EXPECT_THAT(tree, HasSubstr("Contoso MSP  " + msp + "  active\n  Fabrikam  " + cust +
                                "  active  managed"));
    auto arr = json::parse(line({"orgs", "tree", "--json"})).as_array();
    ASSERT_EQ(arr.size(), 2u);
    EXPECT_EQ(arr[1].at("ancestors").as_array().at(0).as_string(), msp);
    const auto alice = line({"orgs", "grant", "--org", msp, "--issuer", "https://idp", "--subject",
                             "alice", "--role", "full-admin-access"});
    EXPECT_FALSE(alice.empty());
    std::string err;
    EXPECT_EQ(run({"orgs", "grant", "--org", msp, "--issuer", "https://idp", "--subject", "bob",
                   "--role", "root"},
                  &err)
                  .first,
              1);
    EXPECT_THAT(err, HasSubstr("no such role"));
    EXPECT_EQ(run({"orgs", "manage"}).first, 2);
    EXPECT_THAT(line({"orgs", "events", "--org", cust}), HasSubstr("org.updated"));
    EXPECT_THAT(line({"orgs", "events", "--org", msp}), HasSubstr("member.added"));
}

TEST_F(orgs_blackbox, server_serves_organizations_and_events_per_org) {
    const auto msp = line({"orgs", "create", "--name", "Contoso MSP"});
    const auto other = line({"orgs", "create", "--name", "Unrelated"});
    const std::string secret = new_secret(msp);

    child_process server({bin, "serve", "--listen", "127.0.0.1:0", "--db", db});
    auto http = client_of(server);
    const auto auth = scim_headers(secret);

    auto list = http.request("GET", "/scim/v2/Organizations", auth);
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(json::parse(list.body).at("totalResults").as_int64(), 1);
    EXPECT_EQ(http.request("GET", "/scim/v2/Organizations/" + other, auth).status, 404);
    EXPECT_EQ(http.request("GET", "/o/" + other + "/scim/v2/Organizations", auth).status, 404);
    // Endpoint names are case-insensitive; percent-encoded ids are decoded before the check.
    EXPECT_EQ(http.request("GET", "/scim/v2/organizations/" + msp, auth).status, 200);
    EXPECT_EQ(
        http.request("GET", "/scim/v2/Organizations/%" + std::string("41") + msp, auth).status,
        404);
    // Discovery lists the types.
    auto types = http.request("GET", "/scim/v2/ResourceTypes", {});
    EXPECT_THAT(types.body, HasSubstr("urn:orgscim:params:scim:schemas:core:1.0:Organization"));
    // A user write is followed into the org model.
    auto user = http.request(
        "POST", "/scim/v2/Users", auth,
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"leo"})");
    ASSERT_EQ(user.status, 201) << user.body;
    // A provisioning secret reads no events and manages no organizations.
    EXPECT_EQ(http.request("GET", "/o/" + msp + "/scim/v2/Events", auth).status, 403);
    EXPECT_EQ(http.request("POST", "/scim/v2/Organizations", auth,
                           R"({"schemas":["urn:orgscim:params:scim:schemas:core:1.0:)"
                           R"(Organization"],"name":"X","parent":")" +
                               msp + R"("})")
                  .status,
              403);
    // A disabled organization serves reads but no SCIM writes; enabled again, it writes.
    EXPECT_THAT(line({"orgs", "disable", "--org", msp}), HasSubstr("disabled"));
    const std::string bob =
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob"})";
    auto refused = http.request("POST", "/scim/v2/Users", auth, bob);
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_THAT(refused.body, HasSubstr("disabled"));
    // A refused DELETE leaves the user.
    const std::string leo =
        "/scim/v2/Users/" + std::string(json::parse(user.body).at("id").as_string());
    EXPECT_EQ(http.request("DELETE", leo, auth).status, 403);
    EXPECT_EQ(http.request("GET", leo, auth).status, 200);
    EXPECT_EQ(http.request("GET", "/scim/v2/Users", auth).status, 200);
    EXPECT_EQ(http.request("POST", "/scim/v2/Users/.search", auth,
                           R"({"schemas":[)"
                           R"("urn:ietf:params:scim:api:messages:2.0:SearchRequest"]})")
                  .status,
              200);
    EXPECT_THAT(line({"orgs", "enable", "--org", msp}), HasSubstr("active"));
    EXPECT_EQ(http.request("POST", "/scim/v2/Users", auth, bob).status, 201);
    EXPECT_EQ(server.stop(SIGTERM, 10s), 0);
    EXPECT_THAT(line({"orgs", "events", "--org", msp}), HasSubstr("identity.provisioned"));
}

// Runs SQL on the server's database file from outside, as an operator with sqlite3 would.
void exec_sql(const std::string& db, const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    char* err = nullptr;
    const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(h);
}

TEST_F(orgs_blackbox, a_user_write_and_its_fan_out_commit_together_or_not_at_all) {
    const auto msp = line({"orgs", "create", "--name", "Contoso MSP"});
    const std::string secret = new_secret(msp);
    child_process server({bin, "serve", "--listen", "127.0.0.1:0", "--db", db});
    auto http = client_of(server);
    const auto auth = scim_headers(secret);
    auto user = http.request("POST", "/scim/v2/Users", auth,
                             R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                             R"("userName":"leo","active":true})");
    ASSERT_EQ(user.status, 201) << user.body;
    const std::string path =
        "/scim/v2/Users/" + std::string(json::parse(user.body).at("id").as_string());

    // The database refuses the follow-up's event: the deprovision fails as a whole.
    exec_sql(db,
             "CREATE TRIGGER refuse_deprovision BEFORE INSERT ON events WHEN NEW.action = "
             "'identity.deprovisioned' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
    const std::string off = R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                            R"("Operations":[{"op":"Replace","path":"active","value":"False"}]})";
    auto patched = http.request("PATCH", path, auth, off);
    EXPECT_EQ(patched.status, 500) << patched.body;
    EXPECT_THAT(patched.body, HasSubstr("urn:ietf:params:scim:api:messages:2.0:Error"));
    auto still = http.request("GET", path, auth);
    ASSERT_EQ(still.status, 200);
    EXPECT_TRUE(json::parse(still.body).at("active").as_bool()) << still.body;
    EXPECT_EQ(http.request("DELETE", path, auth).status, 500);
    EXPECT_EQ(http.request("GET", path, auth).status, 200);

    // Once the database takes it, the same PATCH lands with its fan-out.
    exec_sql(db, "DROP TRIGGER refuse_deprovision");
    patched = http.request("PATCH", path, auth, off);
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_FALSE(json::parse(http.request("GET", path, auth).body).at("active").as_bool());
    EXPECT_EQ(server.stop(SIGTERM, 10s), 0);
    EXPECT_THAT(line({"orgs", "events", "--org", msp}), HasSubstr("identity.deprovisioned"));
}

}  // namespace
