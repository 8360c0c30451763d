#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <orgscim/plugin/invitations/memory_directory.hpp>
#include <orgscim/plugin/invitations/module.hpp>
#include <orgscim/testing/node_tools.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "sqlite/sqlite_store.hpp"

namespace inv = orgscim::plugin::invitations;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

TEST(module_config, defaults_and_every_error_with_its_path) {
    std::vector<std::string> errors;
    auto mc = inv::parse_module_config(json::object{}, errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(mc.settings.member_expiry_s, 7 * 24 * 3600);
    EXPECT_FALSE(mc.smtp);

    auto bad = json::parse(R"({"member_expiry_s": 60, "colour": 1, "resend_cooldown_s": "6h",
        "smtp": {"url": "smtp://mail.example.com:25", "from": "x@example.com", "allow_plain": true,
                 "port": 25},
        "sender": {"batch": 0}})");
    inv::parse_module_config(bad, errors);
    auto has = [&](std::string_view s) {
        for (const auto& e : errors)
            if (e.find(s) != std::string::npos) return true;
        return false;
    };
    EXPECT_TRUE(has("invitations.member_expiry_s: must lie within"));
    EXPECT_TRUE(has("invitations.colour: unknown key"));
    EXPECT_TRUE(has("invitations.resend_cooldown_s: expected integer"));
    EXPECT_TRUE(has("invitations.smtp.allow_plain: only allowed for a loopback server"));
    EXPECT_TRUE(has("invitations.smtp.port: unknown key"));
    EXPECT_TRUE(has("invitations.sender.batch: expected 1..1000"));
}

TEST(module_config, org_policy_from_the_organization_settings) {
    auto p = inv::org_policy_from_settings(json::object{{"invitationExpiryHours", 48},
                                                        {"parentUserExpiryHours", 24},
                                                        {"resendCooldownHours", 1},
                                                        {"somethingElse", "x"}});
    EXPECT_EQ(p.member_expiry_s, 48 * 3600);
    EXPECT_EQ(p.managed_company_expiry_s, 48 * 3600);
    EXPECT_EQ(p.parent_user_expiry_s, 24 * 3600);
    EXPECT_EQ(p.resend_cooldown_s, 3600);
    EXPECT_FALSE(p.reminder_before_s);
    EXPECT_FALSE(inv::org_policy_from_settings(json::object{}).member_expiry_s);
}

// The whole issue-6 stack as the app runs it: handlers in, real SMTP out, link back in.
class module_e2e : public ::testing::Test {
  protected:
    void SetUp() override {
        ORGSCIM_REQUIRE_NODE_TOOLS();
        root_ = tmp_.path();
        sink_ = std::make_unique<orgscim::testing::smtp_sink>(ORGSCIM_SOURCE_DIR);

        cfg_.public_base_url = "https://id.example.com";
        cfg_.storage.sqlite.path = (root_ / "db.sqlite").string();
        migrated_ = std::make_unique<orgscim::plugin::sqlite_store>(cfg_.storage.sqlite);
        std::vector<std::string> errors;
        auto mc = inv::parse_module_config(
            json::object{
                {"sweep_interval_ms", 100},
                {"smtp",
                 {{"url", sink_->url()}, {"from", "noreply@orgscim.test"}, {"allow_plain", true}}},
                {"sender", {{"poll_ms", 20}}}},
            errors);
        ASSERT_TRUE(errors.empty()) << errors.front();

        dir_.add_org({"msp", "Contoso MSP", "active", "", {}, ""});
        dir_.add_org({"acme", "Acme Corp", "active", "msp", {}, ""});
        dir_.add_org({"cust", "Customer One", "active", "", {}, ""});
        dir_.add_role("acme", "Associate");
        dir_.add_group("acme", "Helpdesk");
        dir_.add_member("msp", {"bob@msp.com", "https://op|bob", "home", {}, {}});
        dir_.set_full_admin("cust", "https://op|ceo");
        mod_ = std::make_unique<inv::module>(cfg_, mc, dir_, reg_);
        mod_->start();
    }
    void TearDown() override {
        mod_.reset();
        migrated_.reset();
    }

    orgscim::scim::response admin(std::string org,
                                  std::string method,
                                  std::string path,
                                  std::string body = {}) {
        orgscim::scim::request r;
        r.method = std::move(method);
        r.path = std::move(path);
        r.body = std::move(body);
        r.base_url = "https://id.example.com/scim/v2";
        orgscim::scim::caller c;
        c.tenant = std::move(org);
        c.subject = "https://op|admin";
        c.can_read = c.can_write = true;
        return *mod_->http().handle_scim(r, c, nullptr);
    }

    // Waits for the n-th email to `to` and returns the token in its link.
    std::string token_from_mail(std::size_t n, const std::string& to) {
        auto eml = sink_->message(n);
        EXPECT_NE(eml.find("X-Envelope-To: " + to), std::string::npos) << eml.substr(0, 300);
        std::smatch m;
        if (!std::regex_search(
                eml, m, std::regex("https://id\\.example\\.com/invitations/([A-Za-z0-9_-]{43})")))
            return {};
        return m[1];
    }

    orgscim::scim::response link(std::string method,
                                 std::string token,
                                 std::string tail,
                                 const inv::verified_identity* who,
                                 std::string body = {}) {
        orgscim::scim::request r;
        r.method = std::move(method);
        r.path = "/invitations/" + token + tail;
        r.body = std::move(body);
        return mod_->http().handle_link(r, who);
    }

    orgscim::testing::temp_dir tmp_;
    fs::path root_;
    std::unique_ptr<orgscim::testing::smtp_sink> sink_;
    orgscim::plugin::config cfg_;
    std::unique_ptr<orgscim::plugin::sqlite_store> migrated_;
    inv::memory_directory dir_;
    orgscim::scim::schema_registry reg_;
    std::unique_ptr<inv::module> mod_;
};

TEST_F(module_e2e, three_kinds_from_request_to_email_to_accept) {
    // member
    auto r = admin(
        "acme", "POST", "/Invitations",
        R"({"kind":"member","email":"carol@example.com","roles":["Associate"],"groups":["Helpdesk"]})");
    ASSERT_EQ(r.status, 201) << r.body;
    auto token = token_from_mail(1, "carol@example.com");
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(link("GET", token, "", nullptr).status, 200);
    inv::verified_identity carol{"https://op", "carol", "carol@example.com", true, ""};
    auto ok = link("POST", token, "/accept", &carol);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_TRUE(dir_.find_member("acme", "carol@example.com")->groups.contains("Helpdesk"));

    // parentUser
    r = admin(
        "acme", "POST", "/Invitations",
        R"({"kind":"parentUser","invitees":[{"userName":"bob@msp.com"}],"roles":["Associate"]})");
    ASSERT_EQ(r.status, 200) << r.body;
    token = token_from_mail(2, "bob@msp.com");
    inv::verified_identity bob{"https://op", "bob", "bob@msp.com", true, ""};
    ok = link("POST", token, "/accept", &bob);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(dir_.find_member("acme", "bob@msp.com")->kind, "invited");

    // managedCompany
    r = admin("msp", "POST", "/Invitations", R"({"kind":"managedCompany","email":"ceo@cust.com"})");
    ASSERT_EQ(r.status, 201) << r.body;
    token = token_from_mail(3, "ceo@cust.com");
    inv::verified_identity ceo{"https://op", "ceo", "ceo@cust.com", true, ""};
    auto view = link("GET", token, "", &ceo);
    ASSERT_EQ(view.status, 200);
    EXPECT_NE(view.body.find("\"cust\""), std::string::npos) << view.body;
    ok = link("POST", token, "/accept", &ceo, R"({"companies":["cust"],"acceptTerms":true})");
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(dir_.find_org("cust")->managed_by, "msp");

    // Each invitation shows its email as delivered.
    auto list = json::parse(admin("msp", "GET", "/Invitations").body).as_object();
    EXPECT_EQ(list["Resources"].as_array()[0].as_object()["deliveryStatus"].as_string(), "sent");
}

TEST_F(module_e2e, access_request_emails_the_managers_and_the_outcome) {
    dir_.set_access_managers("acme", {"admin1@acme.com"});
    orgscim::scim::request r;
    r.method = "POST";
    r.path = "/AccessRequests";
    r.body = R"({"organization":"acme","reason":"new hire"})";
    r.base_url = "https://id.example.com/scim/v2";
    inv::verified_identity gia{"https://op", "gia", "gia@example.com", true, "Gia"};
    auto asked = *mod_->http().handle_scim(r, {}, &gia);
    ASSERT_EQ(asked.status, 201) << asked.body;
    auto id = std::string(json::parse(asked.body).as_object()["id"].as_string());
    auto eml = sink_->message(1);
    EXPECT_NE(eml.find("X-Envelope-To: admin1@acme.com"), std::string::npos);
    EXPECT_NE(eml.find("new hire"), std::string::npos);
    auto ok =
        admin("acme", "POST", "/AccessRequests/" + id + "/approve", R"({"role":"Associate"})");
    ASSERT_EQ(ok.status, 200) << ok.body;
    auto granted = sink_->message(2);
    EXPECT_NE(granted.find("X-Envelope-To: gia@example.com"), std::string::npos);
    EXPECT_NE(granted.find("Subject: Access granted: Acme Corp"), std::string::npos);
}

}  // namespace
