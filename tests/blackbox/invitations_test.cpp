// Issue 6 through the real `orgscim serve`: /scim/v2/Invitations with a provisioning secret, the
// invitee's public link (JSON, HTML, GET never consumes), revoke, accept without a signed-in
// identity, and the invitation email through a real SMTP server (npm smtp-server) on loopback.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <orgscim/testing/node_tools.hpp>
#include <server_launcher.hpp>

#include "blackbox_helpers.hpp"

namespace {

using namespace std::chrono_literals;
using orgscim::testing::bearer;
using orgscim::testing::http_client;
using orgscim::testing::link_path;
using orgscim::testing::orgscim_server;
using ::testing::HasSubstr;
namespace json = boost::json;

TEST(invitations_blackbox, member_invitation_link_and_revoke_without_email) {
    orgscim_server srv;
    const auto acme = srv.new_tenant("Acme");
    http_client c("127.0.0.1", srv.port());

    auto created = c.request(
        "POST", "/scim/v2/Invitations", bearer(acme.token),
        R"({"kind":"member","email":"Carol@Example.com","roles":["Associate"],"sendEmail":false})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto inv = json::parse(created.body).as_object();
    EXPECT_EQ(inv.at("status").as_string(), "pending");
    EXPECT_EQ(inv.at("email").as_string(), "carol@example.com");
    const std::string id(inv.at("id").as_string());
    const std::string link(inv.at("link").as_string());
    const auto path = link_path(link);
    ASSERT_THAT(path, ::testing::MatchesRegex("/invitations/[A-Za-z0-9_-]{43}"));

    // An unknown role is refused and creates nothing.
    auto bad = c.request("POST", "/scim/v2/Invitations", bearer(acme.token),
                         R"({"email":"dan@example.com","roles":["Emperor"],"sendEmail":false})");
    EXPECT_EQ(bad.status, 400) << bad.body;

    auto pending = c.request(
        "GET", orgscim::testing::encode_query("/scim/v2/Invitations?filter=status eq \"pending\""),
        bearer(acme.token));
    ASSERT_EQ(pending.status, 200) << pending.body;
    auto list = json::parse(pending.body).as_object();
    ASSERT_EQ(list.at("totalResults").as_int64(), 1);
    EXPECT_EQ(list.at("Resources").as_array().at(0).at("id").as_string(), id);

    // Another organization's secret sees nothing of Acme's invitations.
    const auto other = srv.new_tenant("Other");
    auto theirs = c.request("GET", "/scim/v2/Invitations", bearer(other.token));
    ASSERT_EQ(theirs.status, 200) << theirs.body;
    EXPECT_EQ(json::parse(theirs.body).at("totalResults").as_int64(), 0);
    EXPECT_EQ(c.request("GET", "/scim/v2/Invitations/" + id, bearer(other.token)).status, 404);

    // The public link: JSON, HTML on request, and GET twice (scanners) consumes nothing.
    auto view = c.request("GET", path);
    ASSERT_EQ(view.status, 200) << view.body;
    auto v = json::parse(view.body).as_object();
    EXPECT_EQ(v.at("organization").at("id").as_string(), acme.org);
    EXPECT_EQ(v.at("organization").at("name").as_string(), "Acme");
    EXPECT_EQ(v.at("email").as_string(), "carol@example.com");
    auto html = c.request("GET", path, {{"Accept", "text/html"}});
    ASSERT_EQ(html.status, 200);
    EXPECT_THAT(html.header("Content-Type"), HasSubstr("text/html"));
    EXPECT_THAT(html.body, HasSubstr("Acme"));
    EXPECT_EQ(c.request("GET", path).status, 200);
    auto still = c.request("GET", "/scim/v2/Invitations/" + id, bearer(acme.token));
    EXPECT_EQ(json::parse(still.body).at("status").as_string(), "pending");

    // Accept and decline need a signed-in invitee; nothing changes without one.
    EXPECT_EQ(c.request("POST", path + "/accept").status, 401);
    EXPECT_EQ(c.request("POST", path + "/decline").status, 401);
    EXPECT_EQ(c.request("GET", path).status, 200);

    // A forged token is an invalid link, not a server error.
    EXPECT_EQ(c.request("GET", "/invitations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status,
              404);

    auto revoked = c.request("POST", "/scim/v2/Invitations/" + id + "/revoke", bearer(acme.token),
                             R"({"reason":"typo"})");
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    EXPECT_EQ(json::parse(revoked.body).at("status").as_string(), "revoked");
    EXPECT_NE(c.request("GET", path).status, 200);
    auto none = c.request(
        "GET", orgscim::testing::encode_query("/scim/v2/Invitations?filter=status eq \"pending\""),
        bearer(acme.token));
    EXPECT_EQ(json::parse(none.body).at("totalResults").as_int64(), 0);

    // The access log names the route template, never the token. /healthz is logged last: every
    // line before it has been read once it is seen.
    EXPECT_EQ(c.request("GET", "/healthz").status, 200);
    srv.process().wait_for_line(
        [](const std::string& l) { return l.find("\"path\":\"/healthz\"") != std::string::npos; },
        5s);
    const auto token = path.substr(std::string("/invitations/").size());
    bool templated = false;
    for (const auto& l : srv.process().lines()) {
        EXPECT_EQ(l.find(token), std::string::npos) << l;
        templated = templated || l.find("\"/invitations/{token}\"") != std::string::npos;
    }
    EXPECT_TRUE(templated);
}

TEST(invitations_blackbox, bad_invitations_config_is_refused_with_its_paths) {
    orgscim::testing::temp_dir dir;
    const auto cfg = dir.path() + "/config.json";
    std::ofstream(cfg) << R"({"invitations":{"colour":1,"smtp":{"url":"smtp://mail.example.com",)"
                          R"("from":"a@example.com","allow_plain":true}}})";
    std::string err;
    auto [rc, out] =
        orgscim::testing::run_command({orgscim_server::binary(), "serve", "--config", cfg, "--db",
                                       dir.path() + "/db.sqlite", "--listen", "127.0.0.1:0"},
                                      &err);
    EXPECT_NE(rc, 0) << out;
    EXPECT_THAT(err, HasSubstr("invitations.colour: unknown key"));
    EXPECT_THAT(err, HasSubstr("invitations.smtp.allow_plain"));
}

TEST(invitations_blackbox, invitation_email_arrives_with_a_working_link) {
    ORGSCIM_REQUIRE_NODE_TOOLS();
    orgscim::testing::smtp_sink sink(ORGSCIM_SOURCE_DIR);
    const json::object cfg{{"public_base_url", "https://id.example.com"},
                           {"invitations", orgscim::testing::invitations_config(sink.url())}};
    orgscim_server srv({}, json::serialize(cfg));
    const auto acme = srv.new_tenant("Acme");
    http_client c("127.0.0.1", srv.port());

    auto created =
        c.request("POST", "/scim/v2/Invitations", bearer(acme.token),
                  R"({"kind":"member","email":"carol@example.com","roles":["Associate"]})");
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_FALSE(json::parse(created.body).as_object().contains("link"));

    const auto eml = sink.message(1);
    ASSERT_FALSE(eml.empty()) << "no email arrived";
    EXPECT_THAT(eml, HasSubstr("carol@example.com"));
    EXPECT_THAT(eml, HasSubstr("Acme"));
    const auto path = orgscim::testing::link_path_in_email(eml);
    ASSERT_FALSE(path.empty()) << eml.substr(0, 400);
    auto view = c.request("GET", path);
    ASSERT_EQ(view.status, 200) << view.body;
    EXPECT_EQ(json::parse(view.body).at("email").as_string(), "carol@example.com");
}

}  // namespace
