#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <orgscim/plugin/invitations/memory_directory.hpp>
#include <orgscim/plugin/invitations/service.hpp>
#include <orgscim/plugin/invitations/token.hpp>
#include <orgscim/plugin/mail/sender.hpp>
#include <orgscim/plugin/mail/smtp.hpp>
#include <orgscim/testing/node_tools.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "sqlite/sqlite_invitation_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace inv = orgscim::plugin::invitations;
namespace mail = orgscim::plugin::mail;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class mail_test : public ::testing::Test {
  protected:
    void SetUp() override {
        ORGSCIM_REQUIRE_NODE_TOOLS();
        root_ = fs::path(tmp_.path());
        cfg_.path = (root_ / "db.sqlite").string();
        migrated_ = std::make_unique<orgscim::plugin::sqlite_store>(cfg_);
        store_ = std::make_unique<orgscim::plugin::sqlite_invitation_store>(cfg_);
        dir_.add_org({"acme", "Acme Corp", "active", "", {}, ""});
        dir_.add_role("acme", "Associate");
        inv::service_config sc;
        sc.public_base_url = "https://id.example.com";
        svc_ = std::make_unique<inv::service>(sc, *store_, dir_, [this] { return now_ms(); });
    }

    void start_sink(std::vector<std::string> extra = {}) {
        sink_ = std::make_unique<orgscim::testing::smtp_sink>(ORGSCIM_SOURCE_DIR, std::move(extra));
        smtp_.url = sink_->url();
        smtp_.from = "noreply@orgscim.test";
        smtp_.allow_plain = true;
        smtp_.timeout_ms = 5000;
    }

    std::int64_t now_ms() const { return wall_ms() + offset_ms_; }

    std::size_t received() const { return sink_->received(); }
    bool wait_received(std::size_t n, std::chrono::milliseconds timeout) const {
        return sink_->wait_received(n, timeout);
    }
    std::string message(int n) const { return sink_->message(static_cast<std::size_t>(n)); }

    std::string invite(std::string email) {
        inv::create_request req;
        req.org_id = "acme";
        req.actor = "https://op|admin";
        req.roles = {"Associate"};
        inv::invitee who;
        who.email = std::move(email);
        auto out = svc_->create(req, {who});
        EXPECT_TRUE(out && (*out)[0].invitation);
        return (*out)[0].invitation->id;
    }

    orgscim::testing::temp_dir tmp_;
    fs::path root_;
    orgscim::plugin::sqlite_config cfg_;
    std::unique_ptr<orgscim::plugin::sqlite_store> migrated_;
    std::unique_ptr<orgscim::plugin::sqlite_invitation_store> store_;
    inv::memory_directory dir_;
    std::unique_ptr<inv::service> svc_;
    std::unique_ptr<orgscim::testing::smtp_sink> sink_;
    mail::smtp_config smtp_;
    std::int64_t offset_ms_ = 0;
};

TEST_F(mail_test, invitation_email_arrives_and_its_link_accepts) {
    start_sink();
    auto id = invite("carol@example.com");
    mail::curl_smtp smtp(smtp_);
    mail::outbox_sender sender(*store_, smtp, {"worker-a"}, [this] { return now_ms(); });
    EXPECT_EQ(sender.run_once(), 1u);
    ASSERT_TRUE(wait_received(1, 10s));
    auto eml = message(1);
    EXPECT_NE(eml.find("X-Envelope-To: carol@example.com"), std::string::npos);
    EXPECT_NE(eml.find("Subject: Invitation to Acme Corp"), std::string::npos);
    EXPECT_NE(eml.find("multipart/alternative"), std::string::npos);
    EXPECT_NE(eml.find(" UTC."), std::string::npos);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        eml, m, std::regex("https://id\\.example\\.com/invitations/([A-Za-z0-9_-]{43})")));
    std::string token = m[1];
    auto view = svc_->view(token, nullptr);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->invitation.id, id);
    EXPECT_EQ(view->invitation.delivery, "sent");
    auto ok = svc_->accept(token, {"https://op", "carol", "carol@example.com", true, ""}, {});
    ASSERT_TRUE(ok);
    // The sent row no longer carries the link.
    auto rows = store_->messages_for("invitation:" + id);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].status, "sent");
    EXPECT_TRUE((*rows)[0].text.empty());
    EXPECT_EQ(sender.run_once(), 0u);
    EXPECT_EQ(received(), 1u);
}

// A sender that claims the message and is killed before it delivers: after the lease, another
// sender delivers it, and exactly one email arrives.
TEST_F(mail_test, crash_between_commit_and_send_delivers_exactly_once) {
    start_sink();
    auto id = invite("dan@example.com");
    std::fflush(nullptr);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        orgscim::plugin::sqlite_invitation_store own(cfg_);
        struct stalled final : mail::transport {
            boost::system::result<void, mail::send_failure> send(
                const orgscim::plugin::outbox_message&) override {
                std::this_thread::sleep_for(60s);  // killed long before this returns
                return {};
            }
        } never;
        mail::sender_config sc{"doomed"};
        sc.lease_ms = 1500;
        mail::outbox_sender doomed(own, never, sc);
        doomed.run_once();
        ::_exit(0);
    }
    // Wait until the doomed sender holds the lease, then kill it.
    auto until = std::chrono::steady_clock::now() + 10s;
    bool claimed = false;
    while (!claimed && std::chrono::steady_clock::now() < until) {
        auto rows = store_->messages_for("invitation:" + id);
        claimed = rows && !rows->empty() && (*rows)[0].attempts == 1;
        if (!claimed) std::this_thread::sleep_for(10ms);
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(claimed);
    EXPECT_EQ(received(), 0u);

    mail::curl_smtp smtp(smtp_);
    mail::outbox_sender survivor(*store_, smtp, {"survivor"});
    EXPECT_EQ(survivor.run_once(), 0u);  // still leased by the dead sender
    std::this_thread::sleep_for(1600ms);
    EXPECT_EQ(survivor.run_once(), 1u);
    ASSERT_TRUE(wait_received(1, 10s));
    EXPECT_EQ(survivor.run_once(), 0u);
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(received(), 1u);
    EXPECT_EQ(svc_->get("acme", id)->delivery, "sent");
}

TEST_F(mail_test, transient_failure_is_retried_with_backoff_and_shown_on_the_invitation) {
    start_sink({"--fail-first", "1"});
    auto id = invite("eve@example.com");
    mail::curl_smtp smtp(smtp_);
    mail::sender_config sc{"worker-r"};
    sc.backoff_base_ms = 30000;
    mail::outbox_sender sender(*store_, smtp, sc, [this] { return now_ms(); });
    EXPECT_EQ(sender.run_once(), 1u);
    auto inv1 = svc_->get("acme", id);
    EXPECT_EQ(inv1->delivery, "retrying");
    EXPECT_NE(inv1->delivery_error.find("451"), std::string::npos) << inv1->delivery_error;
    EXPECT_EQ(inv1->history.back().action, "emailRetry");
    EXPECT_EQ(sender.run_once(), 0u);  // not before the backoff
    offset_ms_ = 31000;
    EXPECT_EQ(sender.run_once(), 1u);
    ASSERT_TRUE(wait_received(1, 10s));
    EXPECT_EQ(svc_->get("acme", id)->delivery, "sent");
}

TEST_F(mail_test, giving_up_is_visible_on_the_invitation_and_in_its_history) {
    start_sink({"--fail-first", "5"});
    auto id = invite("fred@example.com");
    mail::curl_smtp smtp(smtp_);
    mail::sender_config sc{"worker-g"};
    sc.max_attempts = 1;
    mail::outbox_sender sender(*store_, smtp, sc);
    EXPECT_EQ(sender.run_once(), 1u);
    auto r = svc_->get("acme", id);
    EXPECT_EQ(r->delivery, "failed");
    EXPECT_EQ(r->history.back().action, "emailFailed");
    EXPECT_EQ(sender.run_once(), 0u);
}

TEST_F(mail_test, wrong_port_is_a_transient_failure) {
    auto id = invite("gil@example.com");
    mail::smtp_config bad;
    bad.url = "smtp://127.0.0.1:1";
    bad.from = "noreply@orgscim.test";
    bad.allow_plain = true;
    bad.timeout_ms = 2000;
    mail::curl_smtp smtp(bad);
    mail::outbox_sender sender(*store_, smtp, {"worker-x"});
    EXPECT_EQ(sender.run_once(), 1u);
    EXPECT_EQ(svc_->get("acme", id)->delivery, "retrying");
}

TEST(smtp_config, plain_smtp_only_for_loopback_and_tls_by_default) {
    mail::smtp_config c;
    c.url = "smtp://mail.example.com:25";
    c.from = "noreply@example.com";
    c.allow_plain = true;
    EXPECT_FALSE(mail::validate(c).empty());
    c.allow_plain = false;
    EXPECT_TRUE(mail::validate(c).empty());
    c.url = "ftp://x";
    EXPECT_FALSE(mail::validate(c).empty());
    c.url = "smtps://mail.example.com:465";
    c.username = "u";
    EXPECT_FALSE(mail::validate(c).empty());  // username without password_env
}

TEST(smtp_message, headers_and_parts) {
    orgscim::plugin::outbox_message m;
    m.id = 7;
    m.to = "a@example.com";
    m.subject = "Invitation to Zürich AG";
    m.text = "line one\nline two\n";
    m.html = "<p>x</p>";
    mail::smtp_config c;
    c.from = "noreply@example.com";
    auto msg = mail::build_message(m, c, 0);
    EXPECT_NE(msg.find("Subject: =?UTF-8?B?"), std::string::npos);
    EXPECT_NE(msg.find("Date: Thu, 01 Jan 1970 00:00:00 +0000"), std::string::npos);
    EXPECT_NE(msg.find("Message-ID: <outbox-7."), std::string::npos);
    EXPECT_NE(msg.find("line one\r\nline two\r\n"), std::string::npos);
    EXPECT_EQ(msg.find("\n\n"), std::string::npos);  // every line ends in CRLF
}

TEST(backoff, doubles_and_caps) {
    mail::sender_config c;
    c.backoff_base_ms = 1000;
    c.backoff_max_ms = 5000;
    EXPECT_EQ(mail::backoff_ms(1, c), 1000);
    EXPECT_EQ(mail::backoff_ms(2, c), 2000);
    EXPECT_EQ(mail::backoff_ms(3, c), 4000);
    EXPECT_EQ(mail::backoff_ms(4, c), 5000);
    EXPECT_EQ(mail::backoff_ms(40, c), 5000);
}

TEST_F(mail_test, throughput_to_the_local_smtp_server) {
    start_sink();
    constexpr int n = 300;
    inv::create_request req;
    req.org_id = "acme";
    req.actor = "https://op|admin";
    std::vector<inv::invitee> people(n);
    for (int i = 0; i < n; ++i) people[i].email = "p" + std::to_string(i) + "@example.com";
    ASSERT_TRUE(svc_->create(req, people));
    mail::curl_smtp smtp(smtp_);
    mail::outbox_sender sender(*store_, smtp, {"worker-t"});
    auto start = std::chrono::steady_clock::now();
    std::size_t done = 0;
    while (done < n) {
        auto k = sender.run_once();
        if (k == 0) break;
        done += k;
    }
    ASSERT_TRUE(wait_received(n, 30s));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double rate = n / secs;
    std::printf("outbox throughput: %d messages in %.2f s = %.0f messages/s\n", n, secs, rate);
    RecordProperty("messages_per_second", static_cast<int>(rate));
    EXPECT_GE(rate, 50.0);
}

}  // namespace
