#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <orgscim/plugin/invitations/memory_directory.hpp>
#include <orgscim/plugin/invitations/service.hpp>
#include <orgscim/plugin/invitations/token.hpp>
#include <thread>

#include "sqlite/sqlite_invitation_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace inv = orgscim::plugin::invitations;
namespace fs = std::filesystem;
using orgscim::plugin::invitation_record;

namespace {

constexpr std::int64_t t0 = 1'790'000'000'000;

class service_test : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("orgscim-inv-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        orgscim::plugin::sqlite_config cfg;
        cfg.path = (dir_ / "db.sqlite").string();
        migrated_ = std::make_unique<orgscim::plugin::sqlite_store>(cfg);
        store_ = std::make_unique<orgscim::plugin::sqlite_invitation_store>(cfg);

        dir.add_org({"msp", "Contoso MSP", "active", "", {}, ""});
        dir.add_org({"acme", "Acme Corp", "active", "msp", {}, ""});
        dir.add_role("acme", "Administrator");
        dir.add_role("acme", "Associate");
        dir.add_role("acme", "Owner", /*grantable=*/false);
        dir.add_group("acme", "Helpdesk");
        dir.add_member("msp", {"bob@msp.com", "https://op|bob", "home", {}, {}});
        dir.add_member("acme", {"old@acme.com", "https://op|old", "home", {"Associate"}, {}});
        dir.set_access_managers("acme", {"admin1@acme.com", "admin2@acme.com"});

        inv::service_config sc;
        sc.public_base_url = "https://id.example.com";
        svc = std::make_unique<inv::service>(sc, *store_, dir, [this] { return now.load(); });
    }
    void TearDown() override {
        svc.reset();
        store_.reset();
        migrated_.reset();
        fs::remove_all(dir_);
    }

    inv::create_request member_request(bool send = true) {
        inv::create_request r;
        r.org_id = "acme";
        r.kind = "member";
        r.actor = "https://op|admin";
        r.roles = {"Administrator"};
        r.groups = {"Helpdesk"};
        r.send_email = send;
        return r;
    }

    // Creates one invitation without email and returns (record, token).
    std::pair<invitation_record, std::string> invite(std::string email,
                                                     std::string kind = "member") {
        auto req = member_request(false);
        req.kind = kind;
        inv::invitee who;
        if (kind == "parentUser")
            who.parent_user = email;
        else
            who.email = email;
        auto out = svc->create(req, {who});
        EXPECT_TRUE(out);
        EXPECT_FALSE((*out)[0].error) << inv::to_string(*(*out)[0].error);
        auto link = (*out)[0].link;
        return {*(*out)[0].invitation, link.substr(link.rfind('/') + 1)};
    }

    static inv::verified_identity person(std::string email, bool verified = true) {
        return {"https://op", email.substr(0, email.find('@')), email, verified, ""};
    }

    std::atomic<std::int64_t> now{t0};
    inv::memory_directory dir;
    std::unique_ptr<inv::service> svc;
    std::unique_ptr<orgscim::plugin::sqlite_invitation_store> store_;

  private:
    fs::path dir_;
    std::unique_ptr<orgscim::plugin::sqlite_store> migrated_;
};

TEST_F(service_test, create_queues_one_email_whose_link_opens_the_invitation) {
    inv::invitee who{"Carol@Example.com", "", "Carol", {}, {}, std::nullopt};
    auto out = svc->create(member_request(), {who});
    ASSERT_TRUE(out);
    ASSERT_EQ(out->size(), 1u);
    const auto& r = (*out)[0];
    ASSERT_TRUE(r.invitation) << inv::to_string(*r.error);
    EXPECT_TRUE(r.link.empty());  // sent by email: the link is not handed back
    EXPECT_EQ(r.invitation->email, "carol@example.com");
    EXPECT_EQ(r.invitation->status, "pending");
    EXPECT_EQ(r.invitation->expires_ms, t0 + 7 * inv::day_ms);
    EXPECT_EQ(r.invitation->delivery, "queued");

    auto mails = store_->messages_for("invitation:" + r.invitation->id);
    ASSERT_TRUE(mails);
    ASSERT_EQ(mails->size(), 1u);
    const auto& m = (*mails)[0];
    EXPECT_EQ(m.to, "carol@example.com");
    auto pos = m.text.find("https://id.example.com/invitations/");
    ASSERT_NE(pos, std::string::npos);
    auto token = m.text.substr(pos + 35, 43);
    EXPECT_TRUE(inv::well_formed_token(token));
    // The database holds the hash only.
    EXPECT_EQ(r.invitation->token_hash, inv::hash_token(token));
    auto stored = store_->get_invitation("acme", r.invitation->id);
    EXPECT_EQ(stored->token_hash.find(token), std::string::npos);
    auto seen = svc->view(token, nullptr);
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->org.name, "Acme Corp");
    EXPECT_EQ(seen->invitation.roles, std::vector<std::string>{"Administrator"});
    // GET never consumes.
    EXPECT_TRUE(svc->view(token, nullptr));
}

TEST_F(service_test, an_organization_words_its_own_invitation_email) {
    inv::org_view custom{"custom", "Custom Ltd", "active", "msp", {}, ""};
    custom.policy = inv::org_policy_from_settings(boost::json::parse(R"({"emailTemplates":{
        "invitation":{"subject":"{{org}} wants you, {{email}}\r\nBcc: x@evil",
                      "html":"<p>Join <b>{{org}}</b> at <a href=\"{{link}}\">{{link}}</a> by {{expires}} {{nope}}</p>"}}})")
                                                      .as_object());
    custom.name = "Custom <Ltd>";
    dir.add_org(custom);
    dir.add_role("custom", "Associate");
    auto req = member_request();
    req.org_id = "custom";
    req.roles = {"Associate"};
    req.groups = {};
    inv::invitee who{"dora@example.com", "", "Dora", {}, {}, std::nullopt};
    auto out = svc->create(req, {who});
    ASSERT_TRUE(out);
    ASSERT_TRUE((*out)[0].invitation) << inv::to_string(*(*out)[0].error);
    auto mails = store_->messages_for("invitation:" + (*out)[0].invitation->id);
    ASSERT_TRUE(mails);
    ASSERT_EQ(mails->size(), 1u);
    const auto& m = (*mails)[0];
    // The subject is one line: what the organization typed cannot add a header.
    EXPECT_EQ(m.subject, "Custom <Ltd> wants you, dora@example.com  Bcc: x@evil");
    // Values are escaped in HTML; an unknown placeholder stays; the date says UTC.
    EXPECT_NE(m.html.find("<b>Custom &lt;Ltd&gt;</b>"), std::string::npos) << m.html;
    EXPECT_NE(m.html.find("href=\"https://id.example.com/invitations/"), std::string::npos);
    EXPECT_NE(m.html.find(" UTC {{nope}}</p>"), std::string::npos) << m.html;
    // No text override: the built-in text part, with the link.
    EXPECT_NE(m.text.find("https://id.example.com/invitations/"), std::string::npos);
    // Another organization keeps the built-in wording.
    auto plain =
        svc->create(member_request(), {{"erin@example.com", "", "", {}, {}, std::nullopt}});
    auto other = store_->messages_for("invitation:" + (*plain)[0].invitation->id);
    EXPECT_EQ((*other)[0].subject.find("wants you"), std::string::npos);
}

TEST_F(service_test, batch_gives_a_stable_result_per_invitee) {
    auto req = member_request();
    std::vector<inv::invitee> people(6);
    people[0].email = "new@example.com";
    people[1].email = "not-an-email";
    people[2].email = "NEW@example.com";  // the same person again in the same request
    people[3].email = "old@acme.com";     // already a member
    people[4].email = "x@example.com";
    people[4].roles = {"Owner"};  // not grantable by this inviter
    people[5].email = "y@example.com";
    people[5].groups = {"Ghosts"};
    auto out = svc->create(req, people);
    ASSERT_TRUE(out);
    EXPECT_TRUE((*out)[0].invitation);
    EXPECT_EQ((*out)[1].error, inv::errc::invalid_email);
    EXPECT_EQ((*out)[2].error, inv::errc::already_invited);
    EXPECT_EQ((*out)[3].error, inv::errc::already_member);
    EXPECT_EQ((*out)[4].error, inv::errc::role_not_grantable);
    EXPECT_EQ((*out)[5].error, inv::errc::unknown_group);
    EXPECT_EQ(svc->list("acme")->size(), 1u);
}

TEST_F(service_test, duplicate_pending_is_refused_unless_replace) {
    auto [first, token] = invite("dup@example.com");
    inv::invitee who;
    who.email = "dup@example.com";
    auto again = svc->create(member_request(), {who});
    EXPECT_EQ((*again)[0].error, inv::errc::already_invited);

    auto req = member_request();
    req.replace = true;
    auto replaced = svc->create(req, {who});
    ASSERT_TRUE((*replaced)[0].invitation);
    EXPECT_EQ(svc->get("acme", first.id)->status, "revoked");
    EXPECT_FALSE(svc->view(token, nullptr));  // the old link died with it
}

TEST_F(service_test, wrong_account_changes_nothing_and_the_right_one_accepts_once) {
    auto [rec, token] = invite("dana@example.com");
    auto wrong = svc->accept(token, person("mallory@example.com"), {});
    EXPECT_EQ(wrong.error(), inv::errc::wrong_account);
    auto unverified = svc->accept(token, person("dana@example.com", false), {});
    EXPECT_EQ(unverified.error(), inv::errc::wrong_account);
    EXPECT_EQ(svc->get("acme", rec.id)->status, "pending");

    auto ok = svc->accept(token, person("Dana@Example.com"), {});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->invitation.status, "accepted");
    EXPECT_EQ(ok->invitation.finished_by, "https://op|Dana");
    auto m = dir.find_member("acme", "dana@example.com");
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->roles.contains("Administrator"));
    EXPECT_TRUE(m->groups.contains("Helpdesk"));

    EXPECT_EQ(svc->accept(token, person("dana@example.com"), {}).error(), inv::errc::invalid_link);
    // History is kept: created, accepted.
    auto h = svc->get("acme", rec.id)->history;
    ASSERT_GE(h.size(), 2u);
    EXPECT_EQ(h.front().action, "created");
    EXPECT_EQ(h.back().action, "accepted");
}

TEST_F(service_test, racing_accepts_one_wins) {
    auto [rec, token] = invite("race@example.com");
    std::atomic<int> won{0}, lost{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&, tok = token] {
            auto r = svc->accept(tok, person("race@example.com"), {});
            if (r)
                ++won;
            else if (r.error() == inv::errc::invalid_link)
                ++lost;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(lost.load(), 7);
}

TEST_F(service_test, resend_respects_cooldown_rotates_the_link_and_refreshes_expiry) {
    auto [rec, token] = invite("erin@example.com");
    now += inv::hour_ms;
    auto early = svc->resend("acme", rec.id, "https://op|admin", true);
    EXPECT_EQ(early.error(), inv::errc::resend_cooldown);

    now += 5 * inv::hour_ms;  // 6 hours after the first send
    auto late = svc->resend("acme", rec.id, "https://op|admin", false);
    ASSERT_TRUE(late);
    EXPECT_EQ(late->first.expires_ms, now.load() + 7 * inv::day_ms);
    EXPECT_EQ(late->first.resend_count, 1);
    EXPECT_EQ(late->first.token_version, 2);
    EXPECT_FALSE(svc->view(token, nullptr));  // the old link stops working
    auto fresh = late->second.substr(late->second.rfind('/') + 1);
    EXPECT_TRUE(svc->view(fresh, nullptr));
}

TEST_F(service_test, resend_supersedes_the_queued_email_with_the_old_link) {
    inv::invitee who;
    who.email = "fay@example.com";
    auto out = svc->create(member_request(), {who});
    auto id = (*out)[0].invitation->id;
    now += 6 * inv::hour_ms;
    ASSERT_TRUE(svc->resend("acme", id, "https://op|admin", true));
    auto mails = store_->messages_for("invitation:" + id);
    ASSERT_EQ(mails->size(), 2u);
    EXPECT_EQ((*mails)[0].status, "superseded");
    EXPECT_TRUE((*mails)[0].text.empty());
    EXPECT_EQ((*mails)[1].status, "queued");
}

TEST_F(service_test, expiry_sweep_and_reminder) {
    inv::invitee who;
    who.email = "gus@example.com";
    auto out = svc->create(member_request(), {who});
    auto rec = *(*out)[0].invitation;
    EXPECT_EQ(rec.reminder_at_ms, t0 + 5 * inv::day_ms);
    now = t0 + 5 * inv::day_ms;
    EXPECT_EQ(svc->sweep(), 1u);
    auto mails = store_->messages_for("invitation:" + rec.id);
    ASSERT_EQ(mails->size(), 2u);
    EXPECT_EQ((*mails)[1].template_name, "reminder");
    EXPECT_NE((*mails)[1].text.find("UTC"), std::string::npos);
    EXPECT_EQ(svc->sweep(), 0u);  // one reminder only

    now = t0 + 7 * inv::day_ms;
    EXPECT_EQ(svc->get("acme", rec.id)->status, "pending");
    EXPECT_EQ(svc->sweep(), 1u);
    auto after = svc->get("acme", rec.id);
    EXPECT_EQ(after->status, "expired");
    EXPECT_EQ(after->history.back().action, "expired");
    // Expired: a new invitation for the same person is allowed.
    auto again = svc->create(member_request(), {who});
    EXPECT_TRUE((*again)[0].invitation);
}

TEST_F(service_test, expired_link_gives_the_same_answer_as_an_unknown_one) {
    auto [rec, token] = invite("hal@example.com");
    now += 7 * inv::day_ms;
    EXPECT_EQ(svc->view(token, nullptr).error(), inv::errc::invalid_link);
    EXPECT_EQ(svc->view(inv::new_link_token().token, nullptr).error(), inv::errc::invalid_link);
    EXPECT_EQ(svc->accept(token, person("hal@example.com"), {}).error(), inv::errc::invalid_link);
}

TEST_F(service_test, decline_revoke_and_delete) {
    auto [a, ta] = invite("ivy@example.com");
    auto declined = svc->decline(ta, person("ivy@example.com"), "not now");
    ASSERT_TRUE(declined);
    EXPECT_EQ(declined->status, "declined");
    EXPECT_EQ(declined->reason, "not now");

    auto [b, tb] = invite("jon@example.com");
    EXPECT_EQ(svc->remove("acme", b.id).error(), inv::errc::still_pending);
    ASSERT_TRUE(svc->revoke("acme", b.id, "https://op|admin", "typo"));
    EXPECT_FALSE(svc->view(tb, nullptr));
    EXPECT_EQ(svc->revoke("acme", b.id, "https://op|admin", "").error(), inv::errc::not_pending);
    EXPECT_TRUE(svc->remove("acme", b.id));
    EXPECT_EQ(svc->get("acme", b.id).error(), inv::errc::invalid_link);
    // Another org's id is not found, not forbidden.
    EXPECT_EQ(svc->get("msp", a.id).error(), inv::errc::invalid_link);
}

TEST_F(service_test, roles_and_groups_deleted_meanwhile_are_reported) {
    auto [rec, token] = invite("kim@example.com");
    dir.remove_role("acme", "Administrator");
    dir.remove_group("acme", "Helpdesk");
    auto ok = svc->accept(token, person("kim@example.com"), {});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->missing.missing_roles, std::vector<std::string>{"Administrator"});
    EXPECT_EQ(ok->missing.missing_groups, std::vector<std::string>{"Helpdesk"});
    EXPECT_NE(ok->invitation.history.back().detail.find("Administrator"), std::string::npos);
}

TEST_F(service_test, parent_user_invitation) {
    inv::invitee nobody;
    nobody.parent_user = "nobody@msp.com";
    auto req = member_request(false);
    req.kind = "parentUser";
    EXPECT_EQ((*svc->create(req, {nobody}))[0].error, inv::errc::unknown_parent_user);

    auto [rec, token] = invite("bob@msp.com", "parentUser");
    EXPECT_EQ(rec.expires_ms, t0 + 72 * inv::hour_ms);
    // Bound to the parent user's identity, not to whoever has the same email at another issuer.
    inv::verified_identity impostor{"https://other", "bob", "bob@msp.com", true, ""};
    EXPECT_EQ(svc->accept(token, impostor, {}).error(), inv::errc::wrong_account);
    auto ok = svc->accept(token, {"https://op", "bob", "bob@msp.com", true, ""}, {});
    ASSERT_TRUE(ok);
    EXPECT_EQ(dir.find_member("acme", "bob@msp.com")->kind, "invited");

    req.org_id = "msp";  // a root has no parent
    EXPECT_EQ(svc->create(req, {nobody}).error(), inv::errc::no_parent);
}

TEST_F(service_test, managed_company_invitation) {
    dir.add_org({"cust1", "Customer One", "active", "", {}, ""});
    dir.add_org({"cust2", "Customer Two", "active", "", {}, "othermsp"});
    dir.set_full_admin("cust1", "https://op|ceo");
    dir.set_full_admin("cust2", "https://op|ceo");
    auto req = member_request(false);
    req.org_id = "msp";
    req.kind = "managedCompany";
    req.roles.clear();
    req.groups.clear();
    inv::invitee ceo;
    ceo.email = "ceo@customer.com";
    auto out = svc->create(req, {ceo});
    ASSERT_TRUE((*out)[0].invitation);
    EXPECT_EQ((*out)[0].invitation->expires_ms, t0 + 15 * inv::day_ms);
    auto token = (*out)[0].link.substr((*out)[0].link.rfind('/') + 1);
    auto who = person("ceo@customer.com");

    auto v = svc->view(token, &who);
    ASSERT_TRUE(v);
    ASSERT_EQ(v->companies.size(), 2u);
    for (const auto& c : v->companies) {
        if (c.org_id == "cust2") {
            EXPECT_EQ(c.reason, "alreadyManaged");
        }
        if (c.org_id == "cust1") {
            EXPECT_TRUE(c.available);
        }
    }
    EXPECT_EQ(svc->accept(token, who, {}).error(), inv::errc::no_company_selected);
    EXPECT_EQ(svc->accept(token, who, {{"cust2"}, "", true}).error(),
              inv::errc::company_unavailable);
    auto ok = svc->accept(token, who, {{"cust1"}, "", true});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->managed_companies, std::vector<std::string>{"cust1"});
    EXPECT_EQ(dir.find_org("cust1")->managed_by, "msp");
}

TEST_F(service_test, an_inviter_who_left_voids_the_invitation) {
    auto [rec, token] = invite("max@example.com");
    dir.remove_inviter("https://op|admin");
    EXPECT_EQ(svc->view(token, nullptr).error(), inv::errc::invalid_link);
    EXPECT_EQ(svc->accept(token, person("max@example.com"), {}).error(), inv::errc::invalid_link);
    EXPECT_EQ(svc->get("acme", rec.id)->status, "pending");
}

TEST_F(service_test, disabled_org_accepts_nothing) {
    auto [rec, token] = invite("lee@example.com");
    dir.add_org({"acme", "Acme Corp", "disabled", "msp", {}, ""});
    EXPECT_EQ(svc->view(token, nullptr).error(), inv::errc::invalid_link);
    EXPECT_EQ(svc->accept(token, person("lee@example.com"), {}).error(), inv::errc::invalid_link);
    EXPECT_EQ(
        svc->create(member_request(), {inv::invitee{"z@example.com", "", "", {}, {}, {}}}).error(),
        inv::errc::org_unavailable);
}

TEST_F(service_test, access_request_ask_renotify_approve_deny) {
    EXPECT_EQ(svc->ask("acme", person("nobody@example.com", false), "").error(),
              inv::errc::wrong_account);
    auto me = person("newbie@example.com");
    auto asked = svc->ask("acme", me, "I run the helpdesk");
    ASSERT_TRUE(asked);
    EXPECT_EQ(asked->status, "pending");
    auto mails = store_->messages_for("access_request:" + asked->id);
    ASSERT_EQ(mails->size(), 2u);  // every access manager
    EXPECT_EQ((*mails)[0].to, "admin1@acme.com");
    EXPECT_NE((*mails)[0].text.find("I run the helpdesk"), std::string::npos);

    EXPECT_EQ(svc->ask("acme", me, "").error(), inv::errc::renotify_too_soon);
    now += 24 * inv::hour_ms;
    auto again = svc->ask("acme", me, "");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, asked->id);
    EXPECT_EQ(again->notify_count, 2);

    EXPECT_EQ(svc->approve("acme", asked->id, "https://op|admin", "Owner").error(),
              inv::errc::role_not_grantable);
    EXPECT_EQ(svc->approve("acme", asked->id, "https://op|admin", "Ghost").error(),
              inv::errc::unknown_role);
    auto approved = svc->approve("acme", asked->id, "https://op|admin", "Associate");
    ASSERT_TRUE(approved);
    EXPECT_EQ(approved->status, "approved");
    EXPECT_TRUE(dir.find_member("acme", "newbie@example.com")->roles.contains("Associate"));
    mails = store_->messages_for("access_request:" + asked->id);
    EXPECT_EQ(mails->back().template_name, "access_granted");
    EXPECT_EQ(mails->back().to, "newbie@example.com");
    EXPECT_EQ(svc->ask("acme", me, "").error(), inv::errc::already_member);

    auto other = svc->ask("acme", person("pat@example.com"), "");
    auto denied = svc->deny("acme", other->id, "https://op|admin", "contractors use the portal");
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->deny_reason, "contractors use the portal");
    EXPECT_EQ(svc->deny("acme", other->id, "https://op|admin", "").error(), inv::errc::not_pending);
}

}  // namespace
