// invitation_store + outbox_store: one suite run on SQLite (a real file) and PostgreSQL (the
// throwaway cluster), through open_invitation_backend(). The race tests open one store instance
// per thread on the same database (on PostgreSQL each has its own connection pool, as separate
// orgscim processes would) and check that exactly one accept wins, that a person is invited at
// most once, and that no outbox message is claimed by two senders.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <map>
#include <mutex>
#include <orgscim/plugin/storage/invitation_backend.hpp>
#include <set>
#include <thread>
#include <vector>

#include "store_databases.hpp"

namespace orgscim::store_tests {
namespace {

using plugin::access_request_record;
using plugin::access_request_write;
using plugin::invitation_backend;
using plugin::invitation_record;
using plugin::invitation_write;
using plugin::outbox_message;
using scim::store_errc;

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr std::int64_t day = 86'400'000;

invitation_write invitation(const std::string& id,
                            const std::string& email,
                            std::int64_t expires_ms = t0 + 7 * day) {
    invitation_write w;
    auto& r = w.record;
    r.id = id;
    r.org_id = "acme";
    r.kind = "member";
    r.status = "pending";
    r.email = email;
    r.display_name = "Name of " + id;
    r.roles = {"Associate", "Billing"};
    r.groups = {"g1"};
    r.inviter = "https://op|admin";
    r.token_hash = "hash-" + id;
    r.created_ms = r.modified_ms = r.last_sent_ms = t0;
    r.expires_ms = expires_ms;
    r.delivery = "queued";
    outbox_message m;
    m.org_id = "acme";
    m.ref = "invitation:" + id;
    m.template_name = "invitation";
    m.to = email;
    m.subject = "Invitation to Acme";
    m.text = "link for " + id;
    m.html = "<p>link for " + id + "</p>";
    m.next_attempt_ms = t0;
    m.created_ms = t0;
    w.effects.mail.push_back(m);
    w.effects.history.push_back({t0, "created", "https://op|admin", ""});
    return w;
}

access_request_write request(const std::string& id, const std::string& requester) {
    access_request_write w;
    auto& r = w.record;
    r.id = id;
    r.org_id = "acme";
    r.status = "pending";
    r.requester = requester;
    r.email = requester + "@example.com";
    r.display_name = requester;
    r.reason = "please";
    r.created_ms = r.modified_ms = r.last_notified_ms = t0;
    w.effects.history.push_back({t0, "created", requester, ""});
    return w;
}

// The mutate of an accept: refuses anything that is no longer pending.
plugin::invitation_store::invitation_mutate accept_by(std::string who, std::int64_t at) {
    return
        [who = std::move(who), at](const invitation_record& cur) -> scim::result<invitation_write> {
            if (cur.status != "pending") {
                return scim::error{409, scim::scim_type::invalid_value, "not pending"};
            }
            invitation_write w;
            w.record = cur;
            w.record.status = "accepted";
            w.record.finished_ms = at;
            w.record.finished_by = who;
            w.record.modified_ms = at;
            w.effects.history.push_back({at, "accepted", who, ""});
            return w;
        };
}

template <class Db>
class invitation_store_suite : public ::testing::Test {
  protected:
    void SetUp() override {
        if (auto why = Db::skip_reason()) GTEST_SKIP() << *why;
        db_ = std::make_unique<Db>();
        store_ = open();
    }
    std::unique_ptr<invitation_backend> open() {
        return plugin::open_invitation_backend(db_->storage());
    }
    invitation_record insert(invitation_write w) {
        auto out = store_->insert_invitations({std::move(w)}, false, t0);
        EXPECT_TRUE(out);
        EXPECT_EQ(out->size(), 1u);
        EXPECT_TRUE(out->front());
        return *out->front();
    }

    std::unique_ptr<Db> db_;
    std::unique_ptr<invitation_backend> store_;
};

using backends = ::testing::Types<sqlite_database, postgres_database>;
TYPED_TEST_SUITE(invitation_store_suite, backends, backend_name);

TYPED_TEST(invitation_store_suite, insert_reads_back_with_history_and_mail) {
    auto& s = *this->store_;
    auto r = this->insert(invitation("i1", "carol@example.com"));
    EXPECT_EQ(r.version, 1u);

    auto got = s.get_invitation("acme", "i1");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->email, "carol@example.com");
    EXPECT_EQ(got->roles, (std::vector<std::string>{"Associate", "Billing"}));
    EXPECT_EQ(got->groups, (std::vector<std::string>{"g1"}));
    EXPECT_EQ(got->expires_ms, t0 + 7 * day);
    EXPECT_EQ(got->version, 1u);
    ASSERT_EQ(got->history.size(), 1u);
    EXPECT_EQ(got->history[0].action, "created");
    EXPECT_EQ(got->history[0].actor, "https://op|admin");

    EXPECT_EQ(s.get_invitation("other-org", "i1").error(), store_errc::not_found);
    EXPECT_EQ(s.get_invitation("acme", "nope").error(), store_errc::not_found);
    EXPECT_EQ(s.find_by_token("hash-i1")->id, "i1");
    EXPECT_EQ(s.find_by_token("hash-nope").error(), store_errc::not_found);

    auto pending = s.find_pending("acme", "member", "carol@example.com", t0);
    ASSERT_TRUE(pending && *pending);
    EXPECT_EQ((*pending)->id, "i1");
    EXPECT_FALSE(*s.find_pending("acme", "member", "carol@example.com", t0 + 8 * day))
        << "an expired invitation is not pending";
    EXPECT_FALSE(*s.find_pending("acme", "parentUser", "carol@example.com", t0));

    this->insert(invitation("i2", "dan@example.com"));
    auto all = s.list_invitations("acme");
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].id, "i1");  // creation order
    EXPECT_EQ((*all)[1].id, "i2");

    auto mail = s.messages_for("invitation:i1");
    ASSERT_TRUE(mail);
    ASSERT_EQ(mail->size(), 1u);
    EXPECT_EQ((*mail)[0].status, "queued");
    EXPECT_EQ((*mail)[0].to, "carol@example.com");
    EXPECT_EQ((*mail)[0].text, "link for i1");
    EXPECT_EQ((*mail)[0].attempts, 0);
}

TYPED_TEST(invitation_store_suite, second_pending_invitation_is_refused_per_item) {
    auto& s = *this->store_;
    this->insert(invitation("i1", "carol@example.com"));
    std::vector<invitation_write> batch{invitation("i2", "carol@example.com"),
                                        invitation("i3", "erin@example.com")};
    auto out = s.insert_invitations(batch, false, t0 + 1);
    ASSERT_TRUE(out);
    ASSERT_EQ(out->size(), 2u);
    EXPECT_EQ((*out)[0].error(), store_errc::conflict);
    ASSERT_TRUE((*out)[1]) << "the rest of the batch is stored";
    EXPECT_EQ(s.get_invitation("acme", "i2").error(), store_errc::not_found);
    EXPECT_TRUE(s.get_invitation("acme", "i3"));
    EXPECT_TRUE(s.messages_for("invitation:i2")->empty()) << "no mail for a refused item";

    // replace: the old one is revoked and its queued email superseded, in the same write.
    auto rep = s.insert_invitations({invitation("i4", "carol@example.com")}, true, t0 + 2);
    ASSERT_TRUE(rep && (*rep)[0]);
    auto old = s.get_invitation("acme", "i1");
    EXPECT_EQ(old->status, "revoked");
    EXPECT_EQ(old->reason, "replaced by i4");
    EXPECT_EQ(old->version, 2u);
    EXPECT_EQ(old->history.back().action, "revoked");
    auto old_mail = s.messages_for("invitation:i1");
    EXPECT_EQ((*old_mail)[0].status, "superseded");
    EXPECT_TRUE((*old_mail)[0].text.empty()) << "the superseded link is erased";
    EXPECT_EQ((*s.find_pending("acme", "member", "carol@example.com", t0))->id, "i4");
}

TYPED_TEST(invitation_store_suite, an_expired_pending_invitation_does_not_block) {
    auto& s = *this->store_;
    this->insert(invitation("i1", "carol@example.com", t0 + 10));
    auto out = s.insert_invitations({invitation("i2", "carol@example.com")}, false, t0 + 20);
    ASSERT_TRUE(out && (*out)[0]);
    EXPECT_EQ(s.get_invitation("acme", "i1")->status, "expired");
    EXPECT_EQ(s.get_invitation("acme", "i2")->status, "pending");
}

TYPED_TEST(invitation_store_suite, update_runs_once_per_state) {
    auto& s = *this->store_;
    this->insert(invitation("i1", "carol@example.com"));
    auto ok = s.update_invitation("acme", "i1", accept_by("carol", t0 + 5));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, "accepted");
    EXPECT_EQ(ok->version, 2u);
    EXPECT_EQ(ok->history.back().action, "accepted");
    EXPECT_EQ(s.update_invitation("acme", "i1", accept_by("mallory", t0 + 6)).error(),
              store_errc::aborted);
    auto cur = s.get_invitation("acme", "i1");
    EXPECT_EQ(cur->finished_by, "carol");
    EXPECT_EQ(cur->version, 2u);
    EXPECT_EQ(s.update_invitation("acme", "nope", accept_by("x", t0)).error(),
              store_errc::not_found);
    EXPECT_EQ(s.update_invitation("other-org", "i1", accept_by("x", t0)).error(),
              store_errc::not_found);
}

TYPED_TEST(invitation_store_suite, a_resend_supersedes_the_queued_email) {
    auto& s = *this->store_;
    this->insert(invitation("i1", "carol@example.com"));
    auto r = s.update_invitation("acme", "i1", [](const invitation_record& cur) {
        invitation_write w;
        w.record = cur;
        w.record.token_hash = "hash-i1-v2";
        w.record.token_version = 2;
        w.record.resend_count = 1;
        w.effects.supersede_ref = "invitation:i1";
        outbox_message m;
        m.org_id = "acme";
        m.ref = "invitation:i1";
        m.template_name = "invitation";
        m.to = cur.email;
        m.text = "new link";
        w.effects.mail.push_back(m);
        w.effects.history.push_back({t0 + 1, "resent", "admin", ""});
        return scim::result<invitation_write>(w);
    });
    ASSERT_TRUE(r);
    EXPECT_EQ(s.find_by_token("hash-i1").error(), store_errc::not_found) << "the old link is dead";
    EXPECT_EQ(s.find_by_token("hash-i1-v2")->resend_count, 1);
    auto mail = s.messages_for("invitation:i1");
    ASSERT_EQ(mail->size(), 2u);
    EXPECT_EQ((*mail)[0].status, "superseded");
    EXPECT_EQ((*mail)[1].status, "queued");
    EXPECT_EQ((*mail)[1].text, "new link");
}

TYPED_TEST(invitation_store_suite, only_finished_invitations_are_deleted) {
    auto& s = *this->store_;
    this->insert(invitation("i1", "carol@example.com"));
    EXPECT_EQ(s.delete_invitation("acme", "i1").error(), store_errc::conflict);
    ASSERT_TRUE(s.update_invitation("acme", "i1", accept_by("carol", t0 + 1)));
    EXPECT_EQ(s.delete_invitation("other-org", "i1").error(), store_errc::not_found);
    EXPECT_TRUE(s.delete_invitation("acme", "i1"));
    EXPECT_EQ(s.get_invitation("acme", "i1").error(), store_errc::not_found);
    EXPECT_EQ(s.delete_invitation("acme", "i1").error(), store_errc::not_found);
}

TYPED_TEST(invitation_store_suite, due_lists_expired_and_reminders) {
    auto& s = *this->store_;
    this->insert(invitation("i1", "a@example.com", t0 + 100));
    auto w = invitation("i2", "b@example.com");
    w.record.reminder_at_ms = t0 + 50;
    this->insert(w);
    this->insert(invitation("i3", "c@example.com"));
    auto due = s.due_invitations(t0 + 60, 10);
    ASSERT_TRUE(due);
    ASSERT_EQ(due->size(), 1u);
    EXPECT_EQ((*due)[0].id, "i2");
    due = s.due_invitations(t0 + 100, 10);
    ASSERT_EQ(due->size(), 2u);
    EXPECT_EQ((*due)[0].id, "i1");
    EXPECT_EQ(s.due_invitations(t0 + 100, 1)->size(), 1u);
}

TYPED_TEST(invitation_store_suite, access_requests) {
    auto& s = *this->store_;
    auto r = s.insert_access_request(request("r1", "bob"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->version, 1u);
    EXPECT_EQ(s.insert_access_request(request("r2", "bob")).error(), store_errc::conflict);
    ASSERT_TRUE(s.insert_access_request(request("r3", "eve")));
    EXPECT_EQ((*s.find_pending_request("acme", "bob"))->id, "r1");
    EXPECT_FALSE(*s.find_pending_request("acme", "nobody"));
    EXPECT_EQ(s.get_access_request("other-org", "r1").error(), store_errc::not_found);

    auto approve = [](const access_request_record& cur) -> scim::result<access_request_write> {
        if (cur.status != "pending") return scim::error{409, scim::scim_type::invalid_value, ""};
        access_request_write w;
        w.record = cur;
        w.record.status = "approved";
        w.record.role = "Associate";
        w.record.decided_by = "admin";
        return w;
    };
    auto done = s.update_access_request("acme", "r1", approve);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->version, 2u);
    EXPECT_EQ(s.update_access_request("acme", "r1", approve).error(), store_errc::aborted);
    EXPECT_EQ(s.update_access_request("acme", "zz", approve).error(), store_errc::not_found);
    EXPECT_EQ(s.get_access_request("acme", "r1")->role, "Associate");
    EXPECT_TRUE(s.insert_access_request(request("r4", "bob"))) << "bob may ask again";
    auto all = s.list_access_requests("acme");
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ((*all)[0].id, "r1");
    EXPECT_EQ((*all)[2].id, "r4");
}

TYPED_TEST(invitation_store_suite, outbox_lease_send_and_retry) {
    auto& s = *this->store_;
    this->insert(invitation("i1", "carol@example.com"));
    this->insert(invitation("i2", "dan@example.com"));

    auto a = s.claim("worker-a", t0, 1000, 1);
    ASSERT_TRUE(a);
    ASSERT_EQ(a->size(), 1u);
    EXPECT_EQ((*a)[0].ref, "invitation:i1") << "oldest first";
    EXPECT_EQ((*a)[0].attempts, 1);
    auto b = s.claim("worker-b", t0 + 10, 1000, 10);
    ASSERT_EQ(b->size(), 1u);
    EXPECT_EQ((*b)[0].ref, "invitation:i2") << "a leased message is not handed out again";
    EXPECT_TRUE(s.claim("worker-c", t0 + 20, 1000, 10)->empty());

    // worker-a dies: after its lease ends worker-c gets the message, and worker-a's late report
    // is refused.
    auto c = s.claim("worker-c", t0 + 1001, 1000, 10);
    ASSERT_EQ(c->size(), 1u);
    EXPECT_EQ((*c)[0].id, (*a)[0].id);
    EXPECT_EQ((*c)[0].attempts, 2);
    EXPECT_EQ(s.mark_sent((*a)[0].id, "worker-a", t0 + 1002).error(), store_errc::not_found);
    ASSERT_TRUE(s.mark_sent((*c)[0].id, "worker-c", t0 + 1003));
    auto sent = s.messages_for("invitation:i1");
    EXPECT_EQ((*sent)[0].status, "sent");
    EXPECT_EQ((*sent)[0].sent_ms, t0 + 1003);
    EXPECT_TRUE((*sent)[0].text.empty() && (*sent)[0].html.empty()) << "the link is erased";
    auto i1 = s.get_invitation("acme", "i1");
    EXPECT_EQ(i1->delivery, "sent");
    EXPECT_EQ(i1->history.back().action, "sent");
    EXPECT_EQ(s.mark_sent((*c)[0].id, "worker-c", t0 + 1004).error(), store_errc::not_found);

    // A failure with a retry time: queued again, not before that time.
    const auto id2 = (*b)[0].id;
    ASSERT_TRUE(s.mark_failed(id2, "worker-b", t0 + 30, "451 try later", t0 + 5000));
    EXPECT_EQ(s.get_invitation("acme", "i2")->delivery, "retrying");
    EXPECT_TRUE(s.claim("worker-b", t0 + 4999, 1000, 10)->empty());
    auto again = s.claim("worker-b", t0 + 5000, 1000, 10);
    ASSERT_EQ(again->size(), 1u);
    EXPECT_EQ((*again)[0].last_error, "451 try later");
    ASSERT_TRUE(s.mark_failed(id2, "worker-b", t0 + 5001, "550 no such user", 0));
    auto i2 = s.get_invitation("acme", "i2");
    EXPECT_EQ(i2->delivery, "failed");
    EXPECT_EQ(i2->delivery_error, "550 no such user");
    EXPECT_EQ(i2->history.back().action, "emailFailed");
    EXPECT_EQ((*s.messages_for("invitation:i2"))[0].status, "failed");
    EXPECT_TRUE(s.claim("worker-b", t0 + 99'999, 1000, 10)->empty()) << "given up for good";
}

// Races: one store instance per thread, as separate orgscim processes would have.

TYPED_TEST(invitation_store_suite, concurrent_accepts_of_one_link_one_wins) {
    this->insert(invitation("i1", "carol@example.com"));
    constexpr int n = 6;
    std::vector<std::unique_ptr<invitation_backend>> stores;
    for (int i = 0; i < n; ++i) stores.push_back(this->open());
    std::latch start(n);
    std::atomic<int> won{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            auto accept = accept_by("user" + std::to_string(i), t0 + 1);
            // Each mutate lingers, so without the row lock every thread would read `pending`.
            auto slow = [&](const invitation_record& cur) {
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
                return accept(cur);
            };
            start.arrive_and_wait();
            auto r = stores[i]->update_invitation("acme", "i1", slow);
            if (r) {
                ++won;
            } else if (r.error() == store_errc::aborted ||
                       r.error() == store_errc::version_mismatch) {
                ++refused;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(refused.load(), n - 1);
    auto cur = this->store_->get_invitation("acme", "i1");
    EXPECT_EQ(cur->status, "accepted");
    EXPECT_EQ(cur->version, 2u);
    EXPECT_EQ(std::count_if(cur->history.begin(), cur->history.end(),
                            [](const auto& h) { return h.action == "accepted"; }),
              1);
}

TYPED_TEST(invitation_store_suite, concurrent_invitations_of_one_person_one_wins) {
    constexpr int n = 6;
    std::vector<std::unique_ptr<invitation_backend>> stores;
    for (int i = 0; i < n; ++i) stores.push_back(this->open());
    std::latch start(n);
    std::atomic<int> ok{0};
    std::atomic<int> conflict{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            auto out = stores[i]->insert_invitations(
                {invitation("i" + std::to_string(i), "carol@example.com")}, false, t0);
            if (!out) return;
            if ((*out)[0]) ++ok;
            if (!(*out)[0] && (*out)[0].error() == store_errc::conflict) ++conflict;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(conflict.load(), n - 1);
    auto all = this->store_->list_invitations("acme");
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(all->front().status, "pending");
    std::size_t mails = 0;
    for (int i = 0; i < n; ++i)
        mails += this->store_->messages_for("invitation:i" + std::to_string(i))->size();
    EXPECT_EQ(mails, 1u) << "a refused invitation leaves no email behind";
}

TYPED_TEST(invitation_store_suite, concurrent_senders_never_share_a_message) {
    constexpr int messages = 120;
    std::vector<invitation_write> batch;
    for (int i = 0; i < messages; ++i)
        batch.push_back(invitation("i" + std::to_string(i), std::to_string(i) + "@example.com"));
    auto ins = this->store_->insert_invitations(batch, false, t0);
    ASSERT_TRUE(ins);

    constexpr int senders = 4;
    std::vector<std::unique_ptr<invitation_backend>> stores;
    for (int i = 0; i < senders; ++i) stores.push_back(this->open());
    std::latch start(senders);
    std::mutex mu;
    std::map<std::int64_t, int> claimed;  // message id -> times claimed
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < senders; ++i) {
        threads.emplace_back([&, i] {
            const std::string worker = "sender-" + std::to_string(i);
            start.arrive_and_wait();
            for (;;) {
                auto got = stores[i]->claim(worker, t0, 60'000, 7);
                if (!got) {
                    ++errors;
                    return;
                }
                if (got->empty()) return;
                for (const auto& m : *got) {
                    {
                        std::lock_guard lk(mu);
                        ++claimed[m.id];
                    }
                    if (!stores[i]->mark_sent(m.id, worker, t0 + 1)) ++errors;
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(claimed.size(), static_cast<std::size_t>(messages));
    for (const auto& [id, times] : claimed) EXPECT_EQ(times, 1) << "message " << id;
    for (int i = 0; i < messages; i += 17) {
        auto m = this->store_->messages_for("invitation:i" + std::to_string(i));
        EXPECT_EQ((*m)[0].status, "sent");
        EXPECT_EQ((*m)[0].attempts, 1);
    }
}

// PostgreSQL only: what the opener does with a database or an environment it cannot use.

class invitation_store_postgres : public ::testing::Test {
  protected:
    void SetUp() override {
        if (auto why = postgres_database::skip_reason()) GTEST_SKIP() << *why;
    }
};

TEST_F(invitation_store_postgres, an_unmigrated_database_is_refused_at_open) {
    postgres_database db(false);
    EXPECT_THROW(plugin::open_invitation_backend(db.storage()), plugin::startup_error);
}

TEST_F(invitation_store_postgres, the_uri_comes_from_the_named_variable) {
    postgres_database db;
    auto cfg = db.storage();
    cfg.postgresql.uri_env = "ORGSCIM_TEST_STORE_PG_URI_UNSET";
    ::unsetenv(cfg.postgresql.uri_env.c_str());
    EXPECT_THROW(plugin::open_invitation_backend(cfg), plugin::startup_error);
    cfg.backend = "mysql";
    EXPECT_THROW(plugin::open_invitation_backend(cfg), plugin::startup_error);
}

}  // namespace
}  // namespace orgscim::store_tests
