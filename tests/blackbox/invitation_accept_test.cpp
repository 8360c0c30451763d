// Issue 6 end to end with real parts on loopback: `orgscim serve`, an SMTP server (npm
// smtp-server) receiving the invitation email, and an OpenID provider (npm oidc-provider) where
// the invitee signs in through its login form. The link from the email is followed and accepted
// with the invitee's access token; the wrong account, a decline, two accepts racing, and an access
// request approved by an admin.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <orgscim/testing/node_tools.hpp>
#include <server_launcher.hpp>
#include <thread>

#include "blackbox_helpers.hpp"

namespace {

using namespace std::chrono_literals;
using orgscim::testing::bearer;
using orgscim::testing::http_client;
using orgscim::testing::orgscim_server;
using ::testing::HasSubstr;
namespace json = boost::json;

// SMTP sink + OpenID provider + orgscim trusting the provider for invitees (an issuer bound to
// no organization).
class invitation_flow : public ::testing::Test {
  protected:
    void SetUp() override {
        ORGSCIM_REQUIRE_NODE_TOOLS();
        sink_ = std::make_unique<orgscim::testing::smtp_sink>(ORGSCIM_SOURCE_DIR);
        op_ = std::make_unique<orgscim::testing::oidc_provider>(ORGSCIM_SOURCE_DIR);
        const json::object cfg{
            {"public_base_url", "https://id.example.com"},
            {"oidc",
             {{"issuers", json::array{json::object{{"issuer", op_->url()},
                                                   {"allow_http", true},
                                                   {"audiences", {"https://scim.test/v2"}},
                                                   {"allowed_algs", {"RS256"}}}}}}},
            {"invitations", orgscim::testing::invitations_config(sink_->url())}};
        srv_ = std::make_unique<orgscim_server>(std::vector<std::string>{}, json::serialize(cfg));
        acme_ = srv_->new_tenant("Acme");
        c_ = std::make_unique<http_client>("127.0.0.1", srv_->port());
        // The provider's keys are loaded in the background: ready means they are.
        const auto end = std::chrono::steady_clock::now() + 20s;
        while (c_->request("GET", "/readyz").status != 200 &&
               std::chrono::steady_clock::now() < end)
            std::this_thread::sleep_for(50ms);
    }

    // Waits for the next email to `to` and returns it.
    std::string mail_to(const std::string& to) {
        auto eml = sink_->next_to(to);
        if (eml.empty()) ADD_FAILURE() << "no email to " << to;
        return eml;
    }

    // Creates an invitation (`body`, with `token`); returns the link's path from the email `to`
    // receives.
    std::string invite_with(const std::string& token,
                            const std::string& body,
                            const std::string& to) {
        auto r = c_->request("POST", "/scim/v2/Invitations", bearer(token), body);
        EXPECT_EQ(r.status, 201) << r.body;
        last_id_ = r.status == 201 ? std::string(json::parse(r.body).at("id").as_string()) : "";
        if (r.status != 201) return {};
        const auto eml = mail_to(to);
        auto link = orgscim::testing::link_path_in_email(eml);
        if (link.empty()) ADD_FAILURE() << "no link in " << eml.substr(0, 300);
        return link;
    }

    // Invites `email` as a member of Acme with an email; returns the link's path from it.
    std::string invite(const std::string& email, const std::string& extra = {}) {
        return invite_with(
            acme_.token,
            R"({"kind":"member","email":")" + email + R"(","roles":["Associate"])" + extra + "}",
            email);
    }

    std::string invitation_status(const std::string& id) {
        auto r = c_->request("GET", "/scim/v2/Invitations/" + id, bearer(acme_.token));
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? std::string(json::parse(r.body).at("status").as_string()) : "";
    }

    std::unique_ptr<orgscim::testing::smtp_sink> sink_;
    std::unique_ptr<orgscim::testing::oidc_provider> op_;
    std::unique_ptr<orgscim_server> srv_;
    orgscim::testing::tenant acme_;
    std::unique_ptr<http_client> c_;
    std::string last_id_;
};

TEST_F(invitation_flow, invitee_signs_in_and_accepts_into_roles_and_groups) {
    auto g = c_->request("POST", "/scim/v2/Groups", bearer(acme_.token),
                         R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
                             "displayName":"Engineering"})");
    ASSERT_EQ(g.status, 201) << g.body;
    const std::string group_id(json::parse(g.body).at("id").as_string());
    auto gone = c_->request("POST", "/scim/v2/Groups", bearer(acme_.token),
                            R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                "displayName":"Gone"})");
    ASSERT_EQ(gone.status, 201) << gone.body;

    const auto link = invite("carol@example.com", R"(,"groups":["Engineering","Gone"])");
    ASSERT_FALSE(link.empty());
    const auto id = last_id_;
    // A group deleted while the invitation waits.
    EXPECT_EQ(
        c_->request("DELETE",
                    "/scim/v2/Groups/" + std::string(json::parse(gone.body).at("id").as_string()),
                    bearer(acme_.token))
            .status,
        204);

    // The wrong person, signed in for real, changes nothing and is told so.
    const auto mallory = op_->sign_in("mallory@example.com");
    auto wrong = c_->request("POST", link + "/accept", bearer(mallory), "{}");
    EXPECT_EQ(wrong.status, 403) << wrong.body;
    EXPECT_THAT(wrong.body, HasSubstr("another account"));
    EXPECT_EQ(invitation_status(id), "pending");

    // Same address, but the provider does not vouch for it.
    const auto unverified = op_->sign_in("unverified-carol@example.com");
    EXPECT_EQ(c_->request("POST", link + "/accept", bearer(unverified), "{}").status, 403);

    // A provisioning secret is not a person.
    EXPECT_EQ(c_->request("POST", link + "/accept", bearer(acme_.token), "{}").status, 401);

    const auto carol = op_->sign_in("carol@example.com");
    auto ok = c_->request("POST", link + "/accept", bearer(carol), "{}");
    ASSERT_EQ(ok.status, 200) << ok.body;
    const auto res = json::parse(ok.body).as_object();
    EXPECT_EQ(res.at("status").as_string(), "accepted");
    EXPECT_EQ(res.at("organization").as_string(), acme_.org);
    // The deleted group is reported, not silently skipped.
    EXPECT_EQ(res.at("missingGroups"), (json::array{"Gone"}));

    // Single use: the link is spent.
    EXPECT_EQ(c_->request("POST", link + "/accept", bearer(carol), "{}").status, 404);
    EXPECT_EQ(invitation_status(id), "accepted");

    // Carol is a User of Acme now, and a member of Engineering.
    auto users = c_->request("GET", "/scim/v2/Users?filter=userName%20eq%20%22carol@example.com%22",
                             bearer(acme_.token));
    ASSERT_EQ(users.status, 200) << users.body;
    const auto list = json::parse(users.body).as_object();
    ASSERT_EQ(list.at("totalResults").as_int64(), 1);
    const std::string user_id(list.at("Resources").as_array()[0].at("id").as_string());
    auto group = c_->request("GET", "/scim/v2/Groups/" + group_id, bearer(acme_.token));
    ASSERT_EQ(group.status, 200);
    EXPECT_THAT(group.body, HasSubstr(user_id));

    // Every step is in the organization's audit log, with the invitee's email and the actor.
    // (A provisioning secret has no readEvents: the operator's CLI reads them.)
    const auto events = srv_->cli({"orgs", "events", "--org", acme_.org, "--count", "200"});
    for (const char* step : {"invitation.created", "invitation.sent", "invitation.accepted"}) {
        EXPECT_THAT(events, HasSubstr(step)) << step << "\n" << events;
    }
    EXPECT_THAT(events, HasSubstr("carol@example.com"));
    EXPECT_THAT(events, HasSubstr(op_->url() + "|carol@example.com"));  // who accepted: iss|sub

    // Inviting her again: she is a member already.
    auto again = c_->request("POST", "/scim/v2/Invitations", bearer(acme_.token),
                             R"({"kind":"member","email":"carol@example.com","roles":["Associate"],
                                 "sendEmail":false})");
    EXPECT_THAT(again.body, HasSubstr("alreadyMember"));
}

TEST_F(invitation_flow, decline_is_final_and_the_link_stops_working) {
    const auto link = invite("dave@example.com");
    ASSERT_FALSE(link.empty());
    const auto dave = op_->sign_in("dave@example.com");
    auto d = c_->request("POST", link + "/decline", bearer(dave), R"({"reason":"not me"})");
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(invitation_status(last_id_), "declined");
    EXPECT_EQ(c_->request("POST", link + "/accept", bearer(dave), "{}").status, 404);
    EXPECT_EQ(c_->request("GET", link).status, 404);
}

TEST_F(invitation_flow, two_accepts_racing_one_wins) {
    const auto link = invite("erin@example.com");
    ASSERT_FALSE(link.empty());
    const auto erin = op_->sign_in("erin@example.com");
    auto accept = [&] {
        http_client c("127.0.0.1", srv_->port());
        return c.request("POST", link + "/accept", bearer(erin), "{}").status;
    };
    for (int round = 0; round < 1; ++round) {
        auto a = std::async(std::launch::async, accept);
        auto b = std::async(std::launch::async, accept);
        const int sa = a.get(), sb = b.get();
        EXPECT_EQ((sa == 200) + (sb == 200), 1) << sa << " " << sb;
        EXPECT_EQ((sa == 404) + (sb == 404), 1) << sa << " " << sb;
    }
    auto users = c_->request("GET", "/scim/v2/Users?filter=userName%20eq%20%22erin@example.com%22",
                             bearer(acme_.token));
    EXPECT_EQ(json::parse(users.body).at("totalResults").as_int64(), 1);
}

TEST_F(invitation_flow, managed_company_customer_creates_a_new_company_for_the_msp) {
    const auto link =
        invite_with(acme_.token, R"({"kind":"managedCompany","email":"owner@customer.test"})",
                    "owner@customer.test");
    ASSERT_FALSE(link.empty());
    const auto owner = op_->sign_in("owner@customer.test");
    // Signed in, the page lists the companies they could hand over: none yet.
    auto view = c_->request("GET", link, bearer(owner));
    ASSERT_EQ(view.status, 200) << view.body;
    const auto v = json::parse(view.body).as_object();
    ASSERT_TRUE(v.contains("companies")) << view.body;
    EXPECT_EQ(v.at("companies").as_array().size(), 0u);

    auto ok = c_->request("POST", link + "/accept", bearer(owner),
                          R"({"newCompanyName":"Customer Co","acceptTerms":true})");
    ASSERT_EQ(ok.status, 200) << ok.body;
    const auto accepted = json::parse(ok.body).as_object();
    ASSERT_TRUE(accepted.contains("managedCompanies")) << ok.body;
    const auto& made = accepted.at("managedCompanies").as_array();
    ASSERT_EQ(made.size(), 1u);
    const std::string company(made[0].as_string());

    // The new customer sits under the MSP and is managed by it (the operator's view).
    const auto tree = json::parse(srv_->cli({"orgs", "tree", "--json"}));
    bool found = false;
    for (const auto& o : tree.as_array()) {
        if (o.at("id").as_string() != company) continue;
        found = true;
        EXPECT_EQ(o.at("name").as_string(), "Customer Co");
        EXPECT_EQ(o.at("managedBy").as_string(), acme_.org);
    }
    EXPECT_TRUE(found) << json::serialize(tree);
}

TEST_F(invitation_flow, parent_user_joins_the_child_and_leaves_with_the_parent_deprovision) {
    // Alice is a user of the parent (Acme, provisioned by its IdP); Child is Acme's customer.
    auto alice_user = c_->request("POST", "/scim/v2/Users", bearer(acme_.token),
                                  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
                                      "userName":"alice@acme.test",
                                      "emails":[{"value":"alice@acme.test","primary":true}]})");
    ASSERT_EQ(alice_user.status, 201) << alice_user.body;
    const std::string alice_parent_id(json::parse(alice_user.body).at("id").as_string());
    const auto child = json::parse(
        srv_->cli({"orgs", "create", "--name", "Child", "--parent", acme_.org, "--json"}));
    const std::string child_id(child.at("id").as_string());
    const auto child_token =
        std::string(json::parse(srv_->cli({"tokens", "create", "--org", child_id, "--json"}))
                        .at("secret")
                        .as_string());

    const auto link = invite_with(
        child_token, R"({"kind":"parentUser","userName":"alice@acme.test","roles":["Associate"]})",
        "alice@acme.test");
    ASSERT_FALSE(link.empty());

    const auto alice = op_->sign_in("alice@acme.test");
    auto ok = c_->request("POST", link + "/accept", bearer(alice), "{}");
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(json::parse(ok.body).at("organization").as_string(), child_id);
    auto in_child = [&] {
        auto u = c_->request("GET", "/scim/v2/Users?filter=userName%20eq%20%22alice@acme.test%22",
                             bearer(child_token));
        return json::parse(u.body).at("totalResults").as_int64();
    };
    EXPECT_EQ(in_child(), 1);

    // The parent's IdP deprovisions Alice: she leaves the child too.
    EXPECT_EQ(
        c_->request("DELETE", "/scim/v2/Users/" + alice_parent_id, bearer(acme_.token)).status,
        204);
    EXPECT_EQ(in_child(), 0);
}

TEST_F(invitation_flow, access_request_approved_and_the_requester_is_told) {
    const auto frank = op_->sign_in("frank@example.com");
    // Anonymous and secret-bearing asks are refused: asking needs a signed-in person.
    EXPECT_EQ(
        c_->request("POST", "/scim/v2/AccessRequests", {{"Content-Type", "application/scim+json"}},
                    R"({"organization":")" + acme_.org + R"("})")
            .status,
        401);
    auto ask = c_->request("POST", "/scim/v2/AccessRequests", bearer(frank),
                           R"({"organization":")" + acme_.org + R"(","reason":"new in sales"})");
    ASSERT_EQ(ask.status, 201) << ask.body;
    const std::string req_id(json::parse(ask.body).at("id").as_string());

    auto pending = c_->request("GET", "/scim/v2/AccessRequests?filter=status%20eq%20%22pending%22",
                               bearer(acme_.token));
    ASSERT_EQ(pending.status, 200) << pending.body;
    EXPECT_EQ(json::parse(pending.body).at("totalResults").as_int64(), 1);
    EXPECT_THAT(pending.body, HasSubstr("frank@example.com"));

    auto ok = c_->request("POST", "/scim/v2/AccessRequests/" + req_id + "/approve",
                          bearer(acme_.token), R"({"role":"Associate"})");
    ASSERT_EQ(ok.status, 200) << ok.body;
    const auto eml = mail_to("frank@example.com");
    EXPECT_THAT(eml, HasSubstr("Acme"));
    auto users = c_->request("GET", "/scim/v2/Users?filter=userName%20eq%20%22frank@example.com%22",
                             bearer(acme_.token));
    EXPECT_EQ(json::parse(users.body).at("totalResults").as_int64(), 1);
}

}  // namespace
