#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <orgscim/plugin/invitations/handlers.hpp>
#include <orgscim/plugin/invitations/memory_directory.hpp>

#include "sqlite/sqlite_invitation_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace inv = orgscim::plugin::invitations;
namespace json = boost::json;
namespace fs = std::filesystem;
using orgscim::scim::request;
using orgscim::scim::response;

namespace {

class handlers_test : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("orgscim-invh-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        orgscim::plugin::sqlite_config cfg;
        cfg.path = (dir_ / "db.sqlite").string();
        migrated_ = std::make_unique<orgscim::plugin::sqlite_store>(cfg);
        store_ = std::make_unique<orgscim::plugin::sqlite_invitation_store>(cfg);
        directory.add_org({"acme", "Acme Corp", "active", "", {}, ""});
        directory.add_role("acme", "Associate");
        directory.set_access_managers("acme", {"admin@acme.com"});
        inv::service_config sc;
        sc.public_base_url = "https://id.example.com";
        svc_ = std::make_unique<inv::service>(sc, *store_, directory, [this] { return now; });
        inv::register_schemas(reg_);
        h_ = std::make_unique<inv::handlers>(*svc_, reg_);
        admin_.tenant = "acme";
        admin_.subject = "https://op|admin";
        admin_.can_read = admin_.can_write = true;
    }
    void TearDown() override {
        h_.reset();
        svc_.reset();
        store_.reset();
        migrated_.reset();
        fs::remove_all(dir_);
    }

    response scim(std::string method,
                  std::string path,
                  std::string body = {},
                  std::vector<std::pair<std::string, std::string>> query = {},
                  const inv::verified_identity* who = nullptr) {
        request r;
        r.method = std::move(method);
        r.path = std::move(path);
        r.body = std::move(body);
        r.query = std::move(query);
        r.base_url = "https://id.example.com/scim/v2";
        auto out = h_->handle_scim(r, admin_, who);
        EXPECT_TRUE(out);
        return out ? *out : response{};
    }
    response link(std::string method,
                  std::string path,
                  const inv::verified_identity* who = nullptr,
                  std::string accept = "application/json") {
        request r;
        r.method = std::move(method);
        r.path = std::move(path);
        r.headers = {{"accept", accept}};
        return h_->handle_link(r, who);
    }
    static json::object obj(const response& r) { return json::parse(r.body).as_object(); }

    std::string create(std::string email, bool send = false) {
        auto r = scim("POST", "/Invitations",
                      R"({"email":")" + email + R"(","roles":["Associate"],"sendEmail":)" +
                          (send ? "true" : "false") + "}");
        EXPECT_EQ(r.status, 201) << r.body;
        auto o = obj(r);
        if (!send) {
            std::string l(o["link"].as_string());
            token_ = l.substr(l.rfind('/') + 1);
        }
        return std::string(o["id"].as_string());
    }

    std::int64_t now = 1'790'000'000'000;
    inv::memory_directory directory;
    orgscim::scim::caller admin_;
    std::string token_;

    fs::path dir_;
    std::unique_ptr<orgscim::plugin::sqlite_store> migrated_;
    std::unique_ptr<orgscim::plugin::sqlite_invitation_store> store_;
    std::unique_ptr<inv::service> svc_;
    orgscim::scim::schema_registry reg_;
    std::unique_ptr<inv::handlers> h_;
};

TEST_F(handlers_test, not_our_paths_fall_through) {
    request r;
    r.method = "GET";
    r.path = "/Users";
    EXPECT_FALSE(h_->handle_scim(r, admin_, nullptr));
}

TEST_F(handlers_test, create_one_and_read_it_back) {
    auto id = create("Ann@Example.com");
    auto r = scim("GET", "/Invitations/" + id);
    ASSERT_EQ(r.status, 200);
    auto o = obj(r);
    EXPECT_EQ(o["email"].as_string(), "ann@example.com");
    EXPECT_EQ(o["status"].as_string(), "pending");
    EXPECT_EQ(o["schemas"].as_array()[0].as_string(), inv::invitation_schema_urn);
    EXPECT_EQ(o["meta"].as_object()["location"].as_string(),
              "https://id.example.com/scim/v2/Invitations/" + id);
    EXPECT_FALSE(o.contains("link"));  // never shown again
    EXPECT_EQ(scim("GET", "/Invitations/nope").status, 404);
}

TEST_F(handlers_test, batch_results_carry_stable_codes) {
    auto r = scim("POST", "/Invitations",
                  R"({"kind":"member","roles":["Associate"],"invitees":[
                      {"email":"a@example.com"},"bad",{"email":"b@example.com","roles":["Ghost"]}]})");
    ASSERT_EQ(r.status, 200) << r.body;
    auto o = obj(r);
    auto& res = o["results"].as_array();
    ASSERT_EQ(res.size(), 3u);
    EXPECT_EQ(res[0].as_object().at("status").as_string(), "created");
    EXPECT_EQ(res[1].as_object().at("errorCode").as_string(), "invalidEmail");
    EXPECT_EQ(res[2].as_object().at("errorCode").as_string(), "unknownRole");
    EXPECT_EQ(o["failed"].as_int64(), 2);
}

TEST_F(handlers_test, list_filters_sorts_pages_and_projects) {
    create("zed@acme.com");
    create("amy@acme.com");
    create("bob@other.com");
    auto r = scim("GET", "/Invitations", {},
                  {{"filter", R"(status eq "pending" and email co "@acme")"},
                   {"sortBy", "email"},
                   {"attributes", "email"}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto o = obj(r);
    EXPECT_EQ(o["totalResults"].as_int64(), 2);
    auto& rs = o["Resources"].as_array();
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].as_object().at("email").as_string(), "amy@acme.com");
    EXPECT_FALSE(rs[0].as_object().contains("roles"));
    EXPECT_TRUE(rs[0].as_object().contains("id"));

    auto page = obj(scim(
        "GET", "/Invitations", {},
        {{"sortBy", "email"}, {"sortOrder", "descending"}, {"startIndex", "2"}, {"count", "1"}}));
    EXPECT_EQ(page["totalResults"].as_int64(), 3);
    EXPECT_EQ(page["Resources"].as_array()[0].as_object().at("email").as_string(), "bob@other.com");

    EXPECT_EQ(scim("GET", "/Invitations", {}, {{"filter", "nosuch eq 1"}}).status, 400);
    auto search = scim("POST", "/Invitations/.search", R"({"filter":"email sw \"bob\""})");
    EXPECT_EQ(obj(search)["totalResults"].as_int64(), 1);
}

TEST_F(handlers_test, invitee_get_never_consumes_and_html_when_asked) {
    create("cy@example.com");
    auto j = link("GET", "/invitations/" + token_);
    ASSERT_EQ(j.status, 200) << j.body;
    EXPECT_EQ(obj(j)["organization"].as_object()["name"].as_string(), "Acme Corp");
    bool no_store = false, no_ref = false;
    for (auto& [k, v] : j.headers) {
        no_store |= k == "Cache-Control" && v == "no-store";
        no_ref |= k == "Referrer-Policy" && v == "no-referrer";
    }
    EXPECT_TRUE(no_store && no_ref);
    auto h = link("GET", "/invitations/" + token_, nullptr, "text/html,application/xhtml+xml");
    ASSERT_EQ(h.status, 200);
    EXPECT_NE(h.body.find("<h1>Invitation to Acme Corp</h1>"), std::string::npos);
    EXPECT_EQ(link("GET", "/invitations/" + token_).status, 200);  // still valid

    auto bad = link("GET", "/invitations/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(bad.status, 404);
    EXPECT_EQ(obj(bad)["errorCode"].as_string(), "invalidLink");
}

TEST_F(handlers_test, accept_needs_sign_in_and_the_right_account) {
    create("dee@example.com");
    auto anon = link("POST", "/invitations/" + token_ + "/accept");
    EXPECT_EQ(anon.status, 401);
    inv::verified_identity wrong{"https://op", "x", "x@example.com", true, ""};
    auto w = link("POST", "/invitations/" + token_ + "/accept", &wrong);
    EXPECT_EQ(w.status, 403);
    EXPECT_EQ(obj(w)["errorCode"].as_string(), "wrongAccount");
    inv::verified_identity dee{"https://op", "dee", "dee@example.com", true, ""};
    auto ok = link("POST", "/invitations/" + token_ + "/accept", &dee);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(obj(ok)["status"].as_string(), "accepted");
    EXPECT_EQ(link("POST", "/invitations/" + token_ + "/accept", &dee).status, 404);
}

TEST_F(handlers_test, resend_revoke_link_and_delete) {
    auto id = create("eli@example.com");
    auto early = scim("POST", "/Invitations/" + id + "/resend");
    EXPECT_EQ(early.status, 429);
    EXPECT_EQ(obj(early)["errorCode"].as_string(), "resendCooldown");
    now += 6 * inv::hour_ms;
    EXPECT_EQ(scim("POST", "/Invitations/" + id + "/resend", R"({"sendEmail":true})").status, 200);
    auto l = scim("POST", "/Invitations/" + id + "/link");
    ASSERT_EQ(l.status, 200);
    EXPECT_EQ(obj(l)["link"].as_string().size(),
              std::string("https://id.example.com/invitations/").size() + 43);
    EXPECT_EQ(scim("DELETE", "/Invitations/" + id).status, 409);
    EXPECT_EQ(scim("POST", "/Invitations/" + id + "/revoke", R"({"reason":"typo"})").status, 200);
    EXPECT_EQ(scim("DELETE", "/Invitations/" + id).status, 204);
    EXPECT_EQ(scim("GET", "/Invitations/" + id).status, 404);
}

TEST_F(handlers_test, read_only_caller_cannot_invite) {
    admin_.can_write = false;
    EXPECT_EQ(scim("POST", "/Invitations", R"({"email":"f@example.com"})").status, 403);
    EXPECT_EQ(scim("GET", "/Invitations").status, 200);
}

TEST_F(handlers_test, access_requests_end_to_end) {
    inv::verified_identity gia{"https://op", "gia", "gia@example.com", true, "Gia"};
    auto asked =
        scim("POST", "/AccessRequests", R"({"organization":"acme","reason":"new hire"})", {}, &gia);
    ASSERT_EQ(asked.status, 201) << asked.body;
    std::string id(obj(asked)["id"].as_string());
    auto list = obj(scim("GET", "/AccessRequests", {}, {{"filter", R"(status eq "pending")"}}));
    EXPECT_EQ(list["totalResults"].as_int64(), 1);
    EXPECT_EQ(scim("POST", "/AccessRequests/" + id + "/approve", "{}").status, 400);
    auto ok = scim("POST", "/AccessRequests/" + id + "/approve", R"({"role":"Associate"})");
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(obj(ok)["status"].as_string(), "approved");
    EXPECT_TRUE(directory.is_member("acme", "gia@example.com"));
}

}  // namespace
