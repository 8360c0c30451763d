// directory_store on every backend (directory_databases.hpp): the same cases on SQLite and
// PostgreSQL, then PostgreSQL's own concern, several store instances (processes) writing one
// database at once.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <map>
#include <orgscim/plugin/orgs/directory_service.hpp>
#include <orgscim/plugin/orgs/orgs_api.hpp>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/testing/process.hpp>
#include <set>
#include <thread>

#include "directory_databases.hpp"
#include "postgres/postgres_migrations.hpp"

namespace {

using namespace orgscim::plugin;
using namespace orgscim::directory_tests;
using orgscim::scim::store_errc;

class directory_store_suite : public ::testing::TestWithParam<backend_kind> {
  protected:
    void SetUp() override {
        if (auto why = GetParam().skip_reason()) GTEST_SKIP() << *why;
        db_ = GetParam().open();
        ASSERT_NE(db_, nullptr);
        backend_ = &db_->admin();
        dir_store_ = open_directory(db_->storage(), [this] { return ++now_; });
        orgscim::scim::register_core_schemas(reg_);
    }

    org_node make(const std::string& name, std::optional<std::string> parent = std::nullopt) {
        org_node out;
        auto r = dir_store_->write([&](directory_tx& tx) -> store_result<void> {
            org_node o;
            o.name = name;
            o.parent_id = parent;
            auto ins = tx.insert_org(std::move(o));
            if (!ins) return ins.error();
            out = *ins;
            return {};
        });
        EXPECT_TRUE(r) << name;
        return out;
    }

    std::unique_ptr<database> db_;
    backend* backend_ = nullptr;
    std::unique_ptr<directory_store> dir_store_;
    std::atomic<std::int64_t> now_{1000};
    orgscim::scim::schema_registry reg_;
};

INSTANTIATE_TEST_SUITE_P(backends,
                         directory_store_suite,
                         ::testing::ValuesIn(all_backends()),
                         backend_name());

TEST_P(directory_store_suite, tree_keeps_ancestors_and_descendants) {
    const auto msp = make("MSP");
    const auto a = make("A", msp.id);
    const auto a1 = make("A1", a.id);
    const auto b = make("B", msp.id);
    EXPECT_TRUE(msp.ancestors.empty());
    EXPECT_EQ(a1.ancestors, (std::vector<std::string>{msp.id, a.id}));
    EXPECT_EQ(a1.version, 1u);
    auto d = dir_store_->descendants(msp.id);
    ASSERT_TRUE(d);
    ASSERT_EQ(d->size(), 3u);
    EXPECT_EQ((*d)[2].id, a1.id);  // parents before children
    auto c = dir_store_->children(msp.id);
    ASSERT_TRUE(c);
    ASSERT_EQ(c->size(), 2u);
    EXPECT_EQ((*c)[0].id, a.id);
    EXPECT_EQ((*c)[1].id, b.id);
    EXPECT_EQ(dir_store_->descendants(b.id)->size(), 0u);
    EXPECT_EQ(dir_store_->get_org("nope").error(), store_errc::not_found);
}

TEST_P(directory_store_suite, orgs_created_through_the_admin_port_get_a_path) {
    auto root = backend_->create_org("Root", std::nullopt);
    ASSERT_TRUE(root);
    auto kid = backend_->create_org("Kid", std::string_view(root->id));
    ASSERT_TRUE(kid);
    auto n = dir_store_->get_org(kid->id);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->ancestors, (std::vector<std::string>{root->id}));
    EXPECT_EQ(n->status, "active");
}

TEST_P(directory_store_suite, move_rewrites_the_subtree_paths) {
    const auto msp = make("MSP");
    const auto a = make("A", msp.id);
    const auto a1 = make("A1", a.id);
    const auto b = make("B", msp.id);
    auto moved = a;
    moved.parent_id = b.id;
    auto r = dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto u = tx.update_org(moved, a.version);
        if (!u) return u.error();
        return {};
    });
    ASSERT_TRUE(r);
    EXPECT_EQ(dir_store_->get_org(a1.id)->ancestors,
              (std::vector<std::string>{msp.id, b.id, a.id}));
    EXPECT_EQ(dir_store_->get_org(a.id)->version, 2u);
    // A stale version is refused and changes nothing.
    auto stale = dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto u = tx.update_org(moved, 1);
        if (!u) return u.error();
        return {};
    });
    EXPECT_EQ(stale.error(), store_errc::version_mismatch);
}

TEST_P(directory_store_suite, failed_write_rolls_back_change_and_event) {
    const auto msp = make("MSP");
    auto r = dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        org_node o;
        o.name = "Doomed";
        o.parent_id = msp.id;
        auto ins = tx.insert_org(o);
        if (!ins) return ins.error();
        event_draft ev{msp.id, "tester", "", "org.created", "Organization", ins->id, {}};
        if (auto e = tx.append_event(ev); !e) return e.error();
        return store_errc::aborted;
    });
    EXPECT_EQ(r.error(), store_errc::aborted);
    EXPECT_EQ(dir_store_->children(msp.id)->size(), 0u);
    EXPECT_EQ(dir_store_->list_events(msp.id, 0, 10)->total, 0);
}

TEST_P(directory_store_suite, events_page_newest_first_and_outlive_their_org) {
    const auto msp = make("MSP");
    const auto a = make("A", msp.id);
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        for (int i = 0; i < 5; ++i) {
            event_draft ev{a.id,           "tester", "cred-1",  "n" + std::to_string(i),
                           "Organization", a.id,     {{"i", i}}};
            if (auto e = tx.append_event(ev); !e) return e.error();
        }
        return {};
    }));
    auto p = dir_store_->list_events(a.id, 1, 2);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->total, 5);
    ASSERT_EQ(p->items.size(), 2u);
    EXPECT_EQ(p->items[0].ev.action, "n3");
    EXPECT_EQ(p->items[1].ev.action, "n2");
    EXPECT_EQ(p->items[0].ev.detail.at("i").as_int64(), 3);
    EXPECT_EQ(p->items[0].ev.credential_id, "cred-1");
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) { return tx.delete_org(a.id); }));
    EXPECT_EQ(dir_store_->list_events(a.id, 0, 10)->total, 5);
}

// What every User a provisioning client creates makes: its identity, its home membership and an
// event, once; a second call finds the identity and writes nothing; an unknown org writes nothing.
TEST_P(directory_store_suite, provisioning_a_home_user_finds_or_creates_its_identity_once) {
    const auto a = make("A");
    auto provision = [&](std::string user, std::string display) {
        store_result<identity_record> out = store_errc::internal;
        auto w = dir_store_->write([&](directory_tx& tx) -> store_result<void> {
            identity_record i;
            i.home_org = a.id;
            i.home_user_id = user;
            i.display = display;
            out = tx.provision_home(std::move(i), event_draft{a.id,
                                                              "token:t1",
                                                              "cred-1",
                                                              "identity.provisioned",
                                                              "Identity",
                                                              "",
                                                              {{"userId", user}}});
            if (!out) return out.error();
            return {};
        });
        if (!w && out) return store_result<identity_record>(w.error());
        return out;
    };
    auto first = provision("u-1", "alice@example.com");
    ASSERT_TRUE(first) << static_cast<int>(first.error());
    EXPECT_FALSE(first->id.empty());
    EXPECT_EQ(first->home_org, a.id);
    EXPECT_EQ(first->home_user_id, std::optional<std::string>("u-1"));
    EXPECT_FALSE(first->issuer.has_value());
    auto stored = dir_store_->find_identity_by_home_user(a.id, "u-1");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->id, first->id);
    EXPECT_EQ(stored->display, "alice@example.com");
    auto m = dir_store_->get_membership(a.id, first->id);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, membership_kind::home);
    EXPECT_EQ(m->home_org, a.id);
    EXPECT_EQ(m->user_ref, std::optional<std::string>("u-1"));
    EXPECT_TRUE(m->roles.empty());
    EXPECT_FALSE(m->override_inherited);
    auto ev = dir_store_->list_events(a.id, 0, 10);
    ASSERT_TRUE(ev);
    ASSERT_EQ(ev->total, 1);
    EXPECT_EQ(ev->items[0].ev.action, "identity.provisioned");
    EXPECT_EQ(ev->items[0].ev.target_id, first->id);
    EXPECT_EQ(ev->items[0].ev.actor, "token:t1");
    EXPECT_EQ(ev->items[0].ev.detail.at("userId").as_string(), "u-1");

    auto again = provision("u-1", "someone else");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, first->id);
    EXPECT_EQ(again->display, "alice@example.com");
    EXPECT_EQ(dir_store_->list_events(a.id, 0, 10)->total, 1);
    EXPECT_EQ(dir_store_->members(a.id)->size(), 1u);

    auto second = provision("u-2", "bob@example.com");
    ASSERT_TRUE(second);
    EXPECT_NE(second->id, first->id);
    EXPECT_EQ(dir_store_->members(a.id)->size(), 2u);
    EXPECT_EQ(dir_store_->list_events(a.id, 0, 10)->total, 2);

    auto nowhere = dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        identity_record i;
        i.home_org = "no-such-org";
        i.home_user_id = std::string("u-3");
        i.display = "carol";
        auto r = tx.provision_home(
            std::move(i),
            event_draft{
                "no-such-org", "token:t1", "cred-1", "identity.provisioned", "Identity", "", {}});
        if (!r) return r.error();
        return {};
    });
    ASSERT_FALSE(nowhere);
    EXPECT_EQ(nowhere.error(), store_errc::not_found);
    EXPECT_EQ(dir_store_->find_identity_by_home_user("no-such-org", "u-3").error(),
              store_errc::not_found);
    EXPECT_EQ(dir_store_->list_events("no-such-org", 0, 10)->total, 0);
}

TEST_P(directory_store_suite, identities_memberships_and_roles) {
    const auto msp = make("MSP");
    const auto a = make("A", msp.id);
    identity_record alice;
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto i = tx.put_identity({{},
                                  std::string("https://idp"),
                                  std::string("alice"),
                                  msp.id,
                                  std::string("u-1"),
                                  "Alice",
                                  0});
        if (!i) return i.error();
        alice = *i;
        auto m = tx.put_membership({msp.id,
                                    alice.id,
                                    membership_kind::home,
                                    msp.id,
                                    std::string("u-1"),
                                    false,
                                    {"full-admin"},
                                    0});
        if (!m) return m.error();
        auto m2 = tx.put_membership({a.id,
                                     alice.id,
                                     membership_kind::invited,
                                     msp.id,
                                     std::nullopt,
                                     true,
                                     {"read-only"},
                                     0});
        if (!m2) return m2.error();
        return {};
    }));
    EXPECT_EQ(dir_store_->find_identity_by_subject("https://idp", "alice")->id, alice.id);
    EXPECT_EQ(dir_store_->find_identity_by_home_user(msp.id, "u-1")->id, alice.id);
    EXPECT_EQ(dir_store_->find_identity_by_subject("https://idp", "bob").error(),
              store_errc::not_found);
    std::vector<std::string> chain{msp.id, a.id};
    auto in = dir_store_->memberships_in(alice.id, chain);
    ASSERT_TRUE(in);
    ASSERT_EQ(in->size(), 2u);
    auto ma = dir_store_->get_membership(a.id, alice.id);
    ASSERT_TRUE(ma);
    EXPECT_EQ(ma->kind, membership_kind::invited);
    EXPECT_TRUE(ma->override_inherited);
    EXPECT_EQ(ma->roles, std::vector<std::string>{"read-only"});
    EXPECT_EQ(dir_store_->members(a.id)->size(), 1u);

    // Same issuer+subject for a second identity: conflict, nothing written.
    auto dup = dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto i = tx.put_identity(
            {{}, std::string("https://idp"), std::string("alice"), a.id, std::nullopt, "Eve", 0});
        if (!i) return i.error();
        return {};
    });
    EXPECT_EQ(dup.error(), store_errc::conflict);

    // Membership of an unknown identity or org: not_found.
    auto bad = dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto m = tx.put_membership(
            {"no-org", alice.id, membership_kind::home, msp.id, std::nullopt, false, {}, 0});
        if (!m) return m.error();
        return {};
    });
    EXPECT_EQ(bad.error(), store_errc::not_found);

    // Custom roles and group mappings.
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto r = tx.put_custom_role({a.id, "helpdesk", "Helpdesk", 1u});
        if (!r) return r.error();
        std::vector<std::string> roles{"helpdesk", "read-only"};
        return tx.set_group_roles(a.id, "g-1", roles);
    }));
    EXPECT_EQ(dir_store_->custom_roles(a.id)->size(), 1u);
    EXPECT_EQ(dir_store_->group_roles(a.id)->size(), 2u);
    ASSERT_TRUE(dir_store_->write(
        [&](directory_tx& tx) { return tx.delete_custom_role(a.id, "helpdesk"); }));
    EXPECT_EQ(dir_store_->group_roles(a.id)->size(), 1u);

    // Deleting the org takes its memberships.
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) { return tx.delete_org(a.id); }));
    EXPECT_EQ(dir_store_->memberships_of(alice.id)->size(), 1u);
}

TEST_P(directory_store_suite, groups_of_reads_scim_group_members_and_delete_org_drops_resources) {
    const auto msp = make("MSP");
    const auto* user_t = reg_.find_by_id("User");
    const auto* group_t = reg_.find_by_id("Group");
    orgscim::scim::write_set u;
    u.attrs["userName"] = "alice";
    auto user = backend_->create(msp.id, *user_t, u);
    ASSERT_TRUE(user);
    orgscim::scim::write_set g;
    g.attrs["displayName"] = "Admins";
    g.add_members = {user->id};
    auto group = backend_->create(msp.id, *group_t, g);
    ASSERT_TRUE(group);
    auto gs = dir_store_->groups_of(msp.id, user->id);
    ASSERT_TRUE(gs);
    EXPECT_EQ(*gs, std::vector<std::string>{group->id});
    EXPECT_TRUE(dir_store_->groups_of("other", user->id)->empty());
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) { return tx.delete_org(msp.id); }));
    EXPECT_EQ(backend_->get(msp.id, *user_t, user->id, {}).error(), store_errc::not_found);
}

TEST_P(directory_store_suite, a_refused_statement_leaves_the_transaction_usable) {
    const auto msp = make("MSP");
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto i = tx.put_identity(
            {{}, std::string("https://idp"), std::string("alice"), msp.id, std::nullopt, "A", 0});
        return i ? store_result<void>() : i.error();
    }));
    org_node taken;
    taken.id = msp.id;
    taken.name = "Again";
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto dup = tx.put_identity(
            {{}, std::string("https://idp"), std::string("alice"), msp.id, std::nullopt, "B", 0});
        EXPECT_EQ(dup.error(), store_errc::conflict);
        auto again = tx.insert_org(taken);
        EXPECT_EQ(again.error(), store_errc::conflict);
        // Both refusals are values: the same transaction goes on and commits.
        org_node kid;
        kid.name = "Kid";
        kid.parent_id = msp.id;
        auto k = tx.insert_org(kid);
        if (!k) return k.error();
        return {};
    }));
    EXPECT_EQ(dir_store_->children(msp.id)->size(), 1u);
    EXPECT_EQ(dir_store_->get_org(msp.id)->name, "MSP");
}

// backend::begin_unit(): a SCIM write and its directory follow-up as one transaction, on every
// backend. What other threads see is read on another thread: this thread's reads join the unit.
class unit_of_work_suite : public directory_store_suite {
  protected:
    void SetUp() override {
        directory_store_suite::SetUp();
        if (IsSkipped()) return;
        org_ = make("Org");
        user_t_ = reg_.find_by_id("User");
    }

    store_result<orgscim::scim::resource_record> create_user(const std::string& name) {
        orgscim::scim::write_set u;
        u.attrs["userName"] = name;
        return backend_->create(org_.id, *user_t_, u);
    }

    store_result<void> put_identity_of(const std::string& user_id) {
        return dir_store_->write([&](directory_tx& tx) -> store_result<void> {
            auto i = tx.put_identity({{}, std::nullopt, std::nullopt, org_.id, user_id, "P", 0});
            if (!i) return i.error();
            return {};
        });
    }

    struct two_users {
        std::string carol, dave;
    };

    // Inside a unit: carol created, CAROL refused (409), a directory write that writes an
    // identity (home user "x-1") and then refuses, dave created.
    two_users calls_some_of_which_fail() {
        two_users out;
        auto carol = create_user("carol");
        EXPECT_EQ(create_user("CAROL").error(), store_errc::conflict);
        EXPECT_EQ(dir_store_
                      ->write([&](directory_tx& tx) -> store_result<void> {
                          auto i = tx.put_identity(
                              {{}, std::nullopt, std::nullopt, org_.id, "x-1", "X", 0});
                          if (!i) return i.error();
                          return store_errc::aborted;
                      })
                      .error(),
                  store_errc::aborted);
        auto dave = create_user("dave");
        EXPECT_TRUE(carol && dave);
        if (carol) out.carol = carol->id;
        if (dave) out.dave = dave->id;
        return out;
    }

    // Once that unit has committed: carol and dave are there, nothing of the refused calls is.
    void expect_only_the_calls_that_succeeded(const two_users& u) {
        EXPECT_TRUE(seen_elsewhere(u.carol).first);
        EXPECT_TRUE(seen_elsewhere(u.dave).first);
        EXPECT_EQ(dir_store_->find_identity_by_home_user(org_.id, "x-1").error(),
                  store_errc::not_found);
        orgscim::scim::list_request all;
        all.limit = 10;
        EXPECT_EQ(backend_->list(org_.id, *user_t_, all)->total, 2);
    }

    // {user readable, identity readable} as another thread (another connection) sees them.
    std::pair<bool, bool> seen_elsewhere(const std::string& user_id) {
        std::pair<bool, bool> seen;
        std::thread([&] {
            seen.first = backend_->get(org_.id, *user_t_, user_id, {}).has_value();
            seen.second = dir_store_->find_identity_by_home_user(org_.id, user_id).has_value();
        }).join();
        return seen;
    }

    org_node org_;
    const orgscim::scim::resource_type* user_t_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(backends,
                         unit_of_work_suite,
                         ::testing::ValuesIn(all_backends()),
                         [](const auto& info) { return info.param.name; });

TEST_P(unit_of_work_suite, a_resource_write_and_a_directory_write_commit_together) {
    auto unit = backend_->begin_unit(unit_mode::once);
    auto user = create_user("alice");
    ASSERT_TRUE(user);
    ASSERT_TRUE(put_identity_of(user->id));
    // Inside the unit its writes are visible, in both stores; elsewhere neither is yet.
    EXPECT_TRUE(backend_->get(org_.id, *user_t_, user->id, {}));
    EXPECT_TRUE(dir_store_->find_identity_by_home_user(org_.id, user->id));
    EXPECT_EQ(seen_elsewhere(user->id), std::make_pair(false, false));
    ASSERT_TRUE(unit->commit());
    EXPECT_FALSE(unit->retry());
    unit.reset();
    EXPECT_EQ(seen_elsewhere(user->id), std::make_pair(true, true));
}

TEST_P(unit_of_work_suite, a_unit_left_uncommitted_leaves_neither_write) {
    std::string id;
    {
        auto unit = backend_->begin_unit(unit_mode::once);
        auto user = create_user("bob");
        ASSERT_TRUE(user);
        id = user->id;
        ASSERT_TRUE(put_identity_of(id));
    }
    EXPECT_EQ(seen_elsewhere(id), std::make_pair(false, false));
    EXPECT_EQ(backend_->get(org_.id, *user_t_, id, {}).error(), store_errc::not_found);
    // The stores go on writing outside any unit.
    auto later = create_user("bob");
    ASSERT_TRUE(later);
    ASSERT_TRUE(put_identity_of(later->id));
    EXPECT_EQ(seen_elsewhere(later->id), std::make_pair(true, true));
}

TEST_P(unit_of_work_suite, a_failed_call_inside_a_unit_takes_only_its_own_writes) {
    auto unit = backend_->begin_unit(unit_mode::once);
    // A Bulk operation answered 409, a directory write that refuses halfway: each undone alone.
    const auto users = calls_some_of_which_fail();
    ASSERT_TRUE(unit->commit());
    unit.reset();
    expect_only_the_calls_that_succeeded(users);
}

TEST_P(unit_of_work_suite, a_rerunnable_unit_run_again_while_it_asks_ends_as_a_unit_run_once) {
    // The calls of the test above, in a unit that the caller runs again, not rerunnable, while
    // retry() says so (as the server does). A backend that leaves out the savepoints asks once:
    // the directory write that refuses after writing cannot be undone alone.
    int runs = 0;
    two_users users;
    for (int attempt = 1; attempt <= 3; ++attempt) {
        ++runs;
        auto unit = backend_->begin_unit(attempt == 1 ? unit_mode::rerunnable : unit_mode::once);
        users = calls_some_of_which_fail();
        if (unit->retry()) continue;
        ASSERT_TRUE(unit->commit());
        break;
    }
    EXPECT_LE(runs, 2);
    expect_only_the_calls_that_succeeded(users);
}

TEST_P(unit_of_work_suite, a_unit_that_writes_nothing_commits_and_an_inner_unit_joins) {
    {
        auto idle = backend_->begin_unit(unit_mode::once);
        EXPECT_TRUE(backend_->list(org_.id, *user_t_, {}));
        EXPECT_TRUE(idle->commit());
    }
    auto outer = backend_->begin_unit(unit_mode::once);
    std::string id;
    {
        auto inner = backend_->begin_unit(unit_mode::once);
        auto user = create_user("erin");
        ASSERT_TRUE(user);
        id = user->id;
        ASSERT_TRUE(inner->commit());  // joined: the outer unit decides
    }
    EXPECT_FALSE(seen_elsewhere(id).first);
    outer.reset();
    EXPECT_FALSE(seen_elsewhere(id).first);
}

TEST_P(directory_store_suite, membership_update_keeps_created_and_reads_its_own_writes) {
    const auto msp = make("MSP");
    membership_record first;
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto i = tx.put_identity({{}, std::nullopt, std::nullopt, msp.id, "u-9", "Nine", 0});
        if (!i) return i.error();
        auto m = tx.put_membership(
            {msp.id, i->id, membership_kind::home, msp.id, "u-9", false, {"read-only"}, 0});
        if (!m) return m.error();
        first = *m;
        // Inside write() reads see the transaction's own changes.
        EXPECT_EQ(tx.members(msp.id)->size(), 1u);
        EXPECT_EQ(tx.find_identity_by_home_user(msp.id, "u-9")->id, i->id);
        return {};
    }));
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto m = first;
        m.roles = {"manager", "read-only"};
        m.override_inherited = true;
        auto w = tx.put_membership(m);
        if (!w) return w.error();
        EXPECT_EQ(w->created_ms, first.created_ms);
        return {};
    }));
    auto got = dir_store_->get_membership(msp.id, first.identity_id);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->created_ms, first.created_ms);
    EXPECT_EQ(got->roles, (std::vector<std::string>{"manager", "read-only"}));
    EXPECT_TRUE(got->override_inherited);
    EXPECT_EQ(got->user_ref, std::optional<std::string>("u-9"));
    ASSERT_TRUE(
        dir_store_->write([&](directory_tx& tx) { return tx.delete_identity(first.identity_id); }));
    EXPECT_TRUE(dir_store_->members(msp.id)->empty());
    EXPECT_EQ(
        dir_store_->write([&](directory_tx& tx) { return tx.delete_identity(first.identity_id); })
            .error(),
        store_errc::not_found);
}

// --- opening -------------------------------------------------------------------------------

TEST(directory_open, refuses_an_unmigrated_sqlite_file) {
    orgscim::testing::temp_dir dir;
    storage_config cfg;
    cfg.sqlite.path = dir.path() + "/empty.db";
    EXPECT_THROW(open_directory(cfg), startup_error);
    cfg.backend = "oracle";
    EXPECT_THROW(open_directory(cfg), startup_error);
}

TEST(directory_open, postgresql_needs_its_uri_variable_and_a_migrated_database) {
    if (auto why = postgres_skip_reason()) GTEST_SKIP() << *why;
    storage_config cfg;
    cfg.backend = "postgresql";
    cfg.postgresql.uri_env = "ORGSCIM_TEST_DIRECTORY_PG_URI_UNSET";
    ::unsetenv(cfg.postgresql.uri_env.c_str());
    EXPECT_THROW(open_directory(cfg), startup_error);
    auto bare = open_postgres(false);
    ASSERT_NE(bare, nullptr);
    EXPECT_THROW(open_directory(bare->storage()), startup_error);
    auto migrated = open_postgres(true);
    ASSERT_NE(migrated, nullptr);
    auto d = open_directory(migrated->storage());
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->list_orgs()->empty());
}

TEST(directory_postgres_migration, orgs_of_an_older_database_get_their_paths) {
    if (auto why = postgres_skip_reason()) GTEST_SKIP() << *why;
    auto* cluster = postgres_cluster();
    ASSERT_NE(cluster, nullptr);
    const std::string uri = cluster->create_database();
    std::string db = uri.substr(uri.find(":///") + 4);
    db = db.substr(0, db.find('?'));
    const auto all = postgres::migrations();
    cluster->query(std::string(all[0].sql), db);
    cluster->query(
        "INSERT INTO orgs (id, name, parent_id, status, created_ms) VALUES ('r', 'R', NULL, "
        "'active', 1), ('k', 'K', 'r', 'active', 2), ('g', 'G', 'k', 'active', 3), ('x', 'X', "
        "'gone', 'active', 4), ('y', 'Y', 'x', 'active', 5)",
        db);
    cluster->query(std::string(all[1].sql), db);
    EXPECT_EQ(cluster->query("SELECT path FROM orgs WHERE id = 'g'", db), "/r/k/g/");
    EXPECT_EQ(cluster->query("SELECT modified_ms FROM orgs WHERE id = 'g'", db), "3");
    // A parent that no longer exists: its child starts a tree, as an insert would.
    EXPECT_EQ(cluster->query("SELECT path FROM orgs WHERE id = 'y'", db), "/x/y/");
    EXPECT_EQ(cluster->query("SELECT count(*) FROM orgs WHERE path IS NULL", db), "0");
    // Rows inserted without a path (the admin port) get one from their parent.
    cluster->query(
        "INSERT INTO orgs (id, name, parent_id, status, created_ms) VALUES ('n', 'N', 'g', "
        "'active', 4)",
        db);
    EXPECT_EQ(cluster->query("SELECT path FROM orgs WHERE id = 'n'", db), "/r/k/g/n/");
    EXPECT_THROW(cluster->query("DELETE FROM events", db), std::runtime_error);
}

// --- PostgreSQL: several instances on one database -------------------------------------------
// Each store instance has its own connection pool, as separate orgscim processes would.

orgs::member_grant grant(std::string role) {
    orgs::member_grant g;
    g.roles = {std::move(role)};
    return g;
}

class directory_postgres : public ::testing::Test {
  protected:
    static constexpr int instances = 3;

    void SetUp() override {
        if (auto why = postgres_skip_reason()) GTEST_SKIP() << *why;
        db_ = open_postgres();
        ASSERT_NE(db_, nullptr);
        for (int i = 0; i < instances; ++i) {
            stores_.push_back(open_directory(db_->storage()));
            svcs_.push_back(std::make_unique<orgs::directory_service>(*stores_.back()));
        }
        root_ = mk("Root", std::nullopt);
    }

    std::string mk(const std::string& name, std::optional<std::string> parent) {
        org_node o;
        o.name = name;
        o.parent_id = std::move(parent);
        auto r = svcs_[0]->create_org(op_, o, true);
        EXPECT_TRUE(r) << name;
        return r ? r->id : std::string();
    }

    std::string add(const std::string& org, const std::string& subject, std::string role) {
        identity_record i;
        i.issuer = "https://idp.example";
        i.subject = subject;
        i.display = subject;
        auto m = svcs_[0]->put_member(op_, org, i, membership_kind::home, grant(std::move(role)));
        EXPECT_TRUE(m) << subject;
        return m ? m->identity_id : std::string();
    }

    // Runs each job on its own thread (job i on instance i % instances), released together.
    void race(std::vector<std::function<void(orgs::directory_service&)>> jobs) {
        std::barrier start(static_cast<std::ptrdiff_t>(jobs.size()));
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            threads.emplace_back([&, i] {
                start.arrive_and_wait();
                jobs[i](*svcs_[i % instances]);
            });
        }
        for (auto& t : threads) t.join();
    }

    // Races `threads` jobs, job t running step(svc, t, i) for i = 0 .. each - 1.
    void race_steps(int threads,
                    int each,
                    const std::function<void(orgs::directory_service&, int, int)>& step) {
        std::vector<std::function<void(orgs::directory_service&)>> jobs;
        for (int t = 0; t < threads; ++t) {
            jobs.emplace_back([&, t](orgs::directory_service& svc) {
                for (int i = 0; i < each; ++i) step(svc, t, i);
            });
        }
        race(std::move(jobs));
    }

    std::unique_ptr<database> db_;
    std::vector<std::unique_ptr<directory_store>> stores_;
    std::vector<std::unique_ptr<orgs::directory_service>> svcs_;
    const orgs::actor op_ = orgs::actor::cli();
    std::string root_;
};

TEST_F(directory_postgres, racing_removals_keep_the_last_access_manager) {
    for (int round = 0; round < 12; ++round) {
        const std::string org = mk("O" + std::to_string(round), root_);
        const std::string a = add(org, "a" + std::to_string(round), "administrator");
        const std::string b = add(org, "b" + std::to_string(round), "administrator");
        std::atomic<int> removed{0};
        std::atomic<int> refused{0};
        auto remove = [&](const std::string& who) {
            return [&, who](orgs::directory_service& svc) {
                auto r = svc.remove_member(op_, org, who);
                if (r) {
                    ++removed;
                } else if (r.error().status == 409) {
                    ++refused;
                }
            };
        };
        race({remove(a), remove(b)});
        EXPECT_EQ(removed.load(), 1) << "round " << round;
        EXPECT_EQ(refused.load(), 1) << "round " << round;
        auto left = stores_[0]->members(org);
        ASSERT_TRUE(left);
        EXPECT_EQ(left->size(), 1u) << "round " << round;
    }
}

TEST_F(directory_postgres, concurrent_member_writes_are_all_kept) {
    const std::string org = mk("Busy", root_);
    constexpr int threads = 6;
    constexpr int each = 8;
    std::atomic<int> failed{0};
    race_steps(threads, each, [&](orgs::directory_service& svc, int t, int i) {
        const std::string n = std::to_string(t) + "-" + std::to_string(i);
        identity_record id;
        id.issuer = "https://idp.example";
        id.subject = "p" + n;
        id.display = n;
        if (!svc.put_member(op_, org, id, membership_kind::home, grant("read-only"))) ++failed;
        if (!svc.user_provisioned(op_, org, "u" + n, n)) ++failed;
    });
    EXPECT_EQ(failed.load(), 0);
    auto ms = stores_[0]->members(org);
    ASSERT_TRUE(ms);
    EXPECT_EQ(ms->size(), static_cast<std::size_t>(2 * threads * each));
    // One event per write, in one gap-free order of the org's log.
    auto evs = stores_[0]->list_events(org, 0, 1000);
    ASSERT_TRUE(evs);
    EXPECT_EQ(evs->total, 2 * threads * each + 1);  // + org.created
}

TEST_F(directory_postgres, read_modify_write_of_one_membership_loses_nothing) {
    const std::string org = mk("Shared", root_);
    const std::string who = add(org, "shared", "read-only");
    constexpr int threads = 6;
    constexpr int each = 8;
    std::atomic<int> failed{0};
    race_steps(threads, each, [&](orgs::directory_service& svc, int t, int i) {
        auto r = svc.store().write([&](directory_tx& tx) -> store_result<void> {
            auto m = tx.get_membership(org, who);
            if (!m) return m.error();
            m->roles.push_back("r" + std::to_string(t) + "-" + std::to_string(i));
            auto w = tx.put_membership(*m);
            if (!w) return w.error();
            return {};
        });
        if (!r) ++failed;
    });
    EXPECT_EQ(failed.load(), 0);
    auto m = stores_[0]->get_membership(org, who);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->roles.size(), static_cast<std::size_t>(1 + threads * each));
}

TEST_F(directory_postgres, racing_moves_never_make_a_cycle) {
    for (int round = 0; round < 10; ++round) {
        const std::string a = mk("A" + std::to_string(round), root_);
        const std::string b = mk("B" + std::to_string(round), root_);
        std::atomic<int> moved{0};
        std::atomic<int> refused{0};
        auto move = [&](const std::string& what, const std::string& under) {
            return [&, what, under](orgs::directory_service& svc) {
                auto cur = svc.get_org(op_, what);
                if (!cur) return;
                org_node next = *cur;
                next.parent_id = under;
                auto r = svc.update_org(op_, next, std::nullopt);
                if (r) {
                    ++moved;
                } else if (r.error().status == 400) {
                    ++refused;
                }
            };
        };
        race({move(a, b), move(b, a)});
        EXPECT_EQ(moved.load(), 1) << "round " << round;
        EXPECT_EQ(refused.load(), 1) << "round " << round;
        auto na = stores_[0]->get_org(a);
        auto nb = stores_[0]->get_org(b);
        ASSERT_TRUE(na && nb);
        const bool a_under_b = na->parent_id == b;
        const auto& child = a_under_b ? *na : *nb;
        const auto& parent = a_under_b ? *nb : *na;
        EXPECT_EQ(parent.parent_id, root_) << "round " << round;
        EXPECT_EQ(child.ancestors, (std::vector<std::string>{root_, parent.id}));
    }
}

TEST_F(directory_postgres, an_admin_port_insert_during_a_move_gets_the_new_path) {
    auto admin2 = open_backend(db_->storage());
    for (int round = 0; round < 10; ++round) {
        const std::string a = mk("A" + std::to_string(round), root_);
        const std::string a1 = mk("A1-" + std::to_string(round), a);
        const std::string b = mk("B" + std::to_string(round), root_);
        std::string kid;
        race({[&](orgs::directory_service& svc) {
                  auto cur = svc.get_org(op_, a);
                  ASSERT_TRUE(cur);
                  org_node next = *cur;
                  next.parent_id = b;
                  EXPECT_TRUE(svc.update_org(op_, next, std::nullopt));
              },
              [&](orgs::directory_service&) {
                  auto k = admin2->create_org("Kid", std::string_view(a1));
                  ASSERT_TRUE(k);
                  kid = k->id;
              }});
        auto n = stores_[0]->get_org(kid);
        ASSERT_TRUE(n);
        EXPECT_EQ(n->ancestors, (std::vector<std::string>{root_, b, a, a1})) << "round " << round;
    }
}

TEST_F(directory_postgres, one_person_added_to_two_trees_at_once_is_one_identity) {
    const std::string other = mk("Other root", std::nullopt);
    for (int round = 0; round < 8; ++round) {
        const std::string subject = "twice-" + std::to_string(round);
        std::atomic<int> ok{0};
        auto put = [&](const std::string& org) {
            return [&, org](orgs::directory_service& svc) {
                identity_record i;
                i.issuer = "https://idp.example";
                i.subject = subject;
                i.display = subject;
                if (svc.put_member(op_, org, i, membership_kind::home, grant("read-only"))) ++ok;
            };
        };
        std::atomic<int> provisioned{0};
        std::vector<std::string> ids(2);
        auto provision = [&](int slot) {
            return [&, slot](orgs::directory_service& svc) {
                auto r = svc.user_provisioned(op_, root_, "scim-" + subject, subject);
                if (r) {
                    ++provisioned;
                    ids[static_cast<std::size_t>(slot)] = r->id;
                }
            };
        };
        race({put(root_), put(other), provision(0), provision(1)});
        EXPECT_EQ(ok.load(), 2) << "round " << round;
        EXPECT_EQ(provisioned.load(), 2) << "round " << round;
        EXPECT_EQ(ids[0], ids[1]);
        auto person = stores_[0]->find_identity_by_subject("https://idp.example", subject);
        ASSERT_TRUE(person);
        EXPECT_EQ(stores_[0]->memberships_of(person->id)->size(), 2u);
    }
}

}  // namespace

// Issue 5: a child's /Users lists its members of every kind. The User store reads the
// directory's tables of the same database: own Users (home, invited copies), members added
// through the membership API without a User here, and members of the managing parent whose
// roles flow down; the kind and home org come in the membership extension.
class member_listing : public directory_store_suite {
  protected:
    void SetUp() override {
        directory_store_suite::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        orgs::register_membership_extension(reg_);
        user_t_ = reg_.find_by_id("User");
        msp_ = make("MSP");
        child_ = make("Child", msp_.id);
        sibling_ = make("Sibling", msp_.id);
        ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
            for (auto* o : {&child_, &sibling_}) {
                o->managed_by = msp_.id;
                auto u = tx.update_org(*o, std::nullopt);
                if (!u) return u.error();
            }
            return {};
        }));
        // MSP staff: alice and bob hold roles there, carol none (nothing flows from her).
        for (const char* n : {"alice", "bob", "carol"}) {
            auto u = user(msp_.id, n);
            const std::vector<std::string> roles = std::string(n) == "carol"
                                                       ? std::vector<std::string>{}
                                                       : std::vector<std::string>{"manager"};
            staff_[n] = member(msp_.id, n, u, membership_kind::home, msp_.id, u, roles);
        }
        // The child's own user, and dave: an identity without any User, added through the API.
        own_ = user(child_.id, "erin");
        dave_ = member(child_.id, "dave", std::nullopt, membership_kind::invited, msp_.id,
                       std::nullopt, {"read-only"}, /*home_org=*/msp_.id);
    }

    std::string user(const std::string& org, const std::string& name) {
        orgscim::scim::write_set ws;
        ws.attrs["userName"] = name + "@example.com";
        ws.attrs["displayName"] = name;
        auto u = backend_->create(org, *user_t_, ws);
        EXPECT_TRUE(u) << name;
        return u ? u->id : std::string();
    }

    std::string member(const std::string& org,
                       const std::string& subject,
                       std::optional<std::string> home_user,
                       membership_kind kind,
                       const std::string& home_org,
                       std::optional<std::string> user_ref,
                       std::vector<std::string> roles,
                       std::optional<std::string> ident_home = std::nullopt) {
        std::string id;
        EXPECT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
            auto i = tx.put_identity({{},
                                      std::string("https://idp"),
                                      subject,
                                      ident_home.value_or(org),
                                      home_user,
                                      subject,
                                      0});
            if (!i) return i.error();
            id = i->id;
            auto m = tx.put_membership({org, id, kind, home_org, user_ref, false, roles, 0});
            if (!m) return m.error();
            return {};
        }));
        return id;
    }

    orgscim::scim::list_result list(const std::string& org,
                                    std::int64_t offset = 0,
                                    std::int64_t limit = 100,
                                    const orgscim::scim::filter_node* f = nullptr) {
        orgscim::scim::list_request req;
        req.offset = offset;
        req.limit = limit;
        req.filter = f;
        auto r = backend_->list(org, *user_t_, req);
        EXPECT_TRUE(r);
        return r ? *r : orgscim::scim::list_result{};
    }

    static std::string kind_of(const orgscim::scim::resource_record& r) {
        return std::string(r.attrs.at(membership_extension_urn).at("kind").as_string());
    }
    static std::string home_of(const orgscim::scim::resource_record& r) {
        return std::string(r.attrs.at(membership_extension_urn).at("homeOrg").as_string());
    }
    static std::string name_of(const orgscim::scim::resource_record& r) {
        return std::string(r.attrs.at("userName").as_string());
    }

    const orgscim::scim::resource_type* user_t_ = nullptr;
    org_node msp_, child_, sibling_;
    std::map<std::string, std::string> staff_;  // subject -> identity id
    std::string own_, dave_;
};

INSTANTIATE_TEST_SUITE_P(backends,
                         member_listing,
                         ::testing::ValuesIn(all_backends()),
                         backend_name());

TEST_P(member_listing, child_lists_own_direct_and_inherited_members_with_kinds) {
    auto all = list(child_.id);
    ASSERT_EQ(all.total, 4);
    ASSERT_EQ(all.items.size(), 4u);
    // Own Users first, then direct members, then inherited ones (by identity id).
    EXPECT_EQ(all.items[0].id, own_);
    EXPECT_EQ(kind_of(all.items[0]), "home");
    EXPECT_EQ(home_of(all.items[0]), child_.id);
    EXPECT_EQ(all.items[1].id, dave_);
    EXPECT_EQ(kind_of(all.items[1]), "invited");
    EXPECT_EQ(name_of(all.items[1]), "dave");  // no User anywhere: the identity alone
    std::set<std::string> inherited;
    for (std::size_t i = 2; i < 4; ++i) {
        EXPECT_EQ(kind_of(all.items[i]), "inherited");
        EXPECT_EQ(home_of(all.items[i]), msp_.id);
        inherited.insert(name_of(all.items[i]));
    }
    EXPECT_EQ(inherited, (std::set<std::string>{"alice@example.com", "bob@example.com"}));

    // Paging crosses the kinds without gaps or repeats.
    std::vector<std::string> paged;
    for (std::int64_t off = 0; off < 5; ++off) {
        auto p = list(child_.id, off, 1);
        EXPECT_EQ(p.total, 4);
        for (auto& r : p.items) paged.push_back(r.id);
    }
    std::vector<std::string> whole;
    for (auto& r : all.items) whole.push_back(r.id);
    EXPECT_EQ(paged, whole);

    // A GET finds every kind by the listed id; the MSP's own list is unchanged.
    auto bob = backend_->get(child_.id, *user_t_, staff_["bob"], {});
    ASSERT_TRUE(bob);
    EXPECT_EQ(kind_of(*bob), "inherited");
    EXPECT_EQ(name_of(*bob), "bob@example.com");
    auto msp_list = list(msp_.id);
    EXPECT_EQ(msp_list.total, 3);
    for (auto& r : msp_list.items) EXPECT_EQ(kind_of(r), "home");
}

TEST_P(member_listing, filters_and_sorts_run_over_every_kind) {
    auto f = orgscim::scim::parse_filter("userName sw \"b\" or userName eq \"dave\"");
    ASSERT_TRUE(f);
    ASSERT_TRUE(orgscim::scim::bind(**f, *user_t_));
    auto got = list(child_.id, 0, 100, f->get());
    ASSERT_EQ(got.total, 2);
    EXPECT_EQ(kind_of(got.items[0]), "invited");
    EXPECT_EQ(kind_of(got.items[1]), "inherited");

    auto k = orgscim::scim::parse_filter(std::string(membership_extension_urn) +
                                         ":kind eq \"inherited\"");
    ASSERT_TRUE(k);
    ASSERT_TRUE(orgscim::scim::bind(**k, *user_t_));
    EXPECT_EQ(list(child_.id, 0, 100, k->get()).total, 2);

    orgscim::scim::list_request req;
    auto by = orgscim::scim::parse_attr_path("userName");
    ASSERT_TRUE(by);
    ASSERT_TRUE(orgscim::scim::bind(*by, *user_t_, orgscim::scim::scim_type::invalid_path));
    req.sort_by = *by;
    req.descending = true;
    auto sorted = backend_->list(child_.id, *user_t_, req);
    ASSERT_TRUE(sorted);
    ASSERT_EQ(sorted->items.size(), 4u);
    EXPECT_EQ(name_of(sorted->items[0]), "erin@example.com");
    EXPECT_EQ(name_of(sorted->items[1]), "dave");
    EXPECT_EQ(name_of(sorted->items[3]), "alice@example.com");
}

TEST_P(member_listing, inheritance_follows_management_override_and_other_orgs_see_nothing) {
    // An unrelated org and an unmanaged child see no one of the MSP.
    const auto other = make("Other");
    const auto unmanaged = make("Unmanaged", msp_.id);
    EXPECT_EQ(list(other.id).total, 0);
    EXPECT_EQ(list(unmanaged.id).total, 0);
    EXPECT_EQ(backend_->get(other.id, *user_t_, staff_["bob"], {}).error(), store_errc::not_found);
    // The sibling (managed too) sees the MSP's staff but not the child's members.
    auto sib = list(sibling_.id);
    EXPECT_EQ(sib.total, 2);
    EXPECT_EQ(backend_->get(sibling_.id, *user_t_, dave_, {}).error(), store_errc::not_found);
    EXPECT_EQ(backend_->get(sibling_.id, *user_t_, own_, {}).error(), store_errc::not_found);

    // A grandchild managed by the child inherits through it; an override with no roles in the
    // child stops bob there and below, Inactive in the MSP stops alice everywhere.
    auto grand = make("Grandchild", child_.id);
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        grand.managed_by = child_.id;
        auto u = tx.update_org(grand, std::nullopt);
        if (!u) return u.error();
        return {};
    }));
    EXPECT_EQ(list(grand.id).total, 3);  // alice, bob from the MSP, dave from the child
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto m = tx.put_membership({child_.id,
                                    staff_["bob"],
                                    membership_kind::inherited,
                                    msp_.id,
                                    std::nullopt,
                                    true,
                                    {},
                                    0});
        if (!m) return m.error();
        auto a = tx.get_membership(msp_.id, staff_["alice"]);
        if (!a) return a.error();
        a->roles = {"manager", "inactive"};
        auto w = tx.put_membership(*a);
        if (!w) return w.error();
        return {};
    }));
    auto child = list(child_.id);
    EXPECT_EQ(child.total, 2);           // erin, dave
    EXPECT_EQ(list(grand.id).total, 1);  // dave
    EXPECT_EQ(backend_->get(child_.id, *user_t_, staff_["bob"], {}).error(), store_errc::not_found);
}

// The directory finds the membership behind a listed id that is not a home User (the copy User
// of an invited member, or the identity id of a member without a User there), and a write
// removes that copy User with its group memberships in the same transaction.
TEST_P(member_listing, the_directory_finds_listed_memberships_and_deletes_copy_users) {
    const auto copy = user(child_.id, "frank");
    const auto frank = member(child_.id, "frank", std::nullopt, membership_kind::invited, msp_.id,
                              copy, {"read-only"}, msp_.id);
    auto by_copy = dir_store_->find_listed_membership(child_.id, copy);
    ASSERT_TRUE(by_copy);
    EXPECT_EQ(by_copy->identity_id, frank);
    EXPECT_EQ(by_copy->kind, membership_kind::invited);
    auto by_identity = dir_store_->find_listed_membership(child_.id, dave_);
    ASSERT_TRUE(by_identity);
    EXPECT_EQ(by_identity->identity_id, dave_);
    EXPECT_FALSE(by_identity->user_ref);
    // A write of the copy answers with the kind it is listed with, as a read does.
    auto written = backend_->update(child_.id, *user_t_, copy, std::nullopt, {},
                                    [](const orgscim::scim::resource_record& cur)
                                        -> orgscim::scim::result<orgscim::scim::write_set> {
                                        orgscim::scim::write_set w;
                                        w.attrs = cur.attrs;
                                        w.attrs["title"] = "contractor";
                                        return w;
                                    });
    ASSERT_TRUE(written);
    EXPECT_EQ(kind_of(*written), "invited");
    EXPECT_EQ(home_of(*written), msp_.id);
    // A home User, an inherited member, the copy's id in another org: none.
    EXPECT_EQ(dir_store_->find_listed_membership(child_.id, own_).error(), store_errc::not_found);
    EXPECT_EQ(dir_store_->find_listed_membership(child_.id, staff_["bob"]).error(),
              store_errc::not_found);
    EXPECT_EQ(dir_store_->find_listed_membership(sibling_.id, copy).error(), store_errc::not_found);
    EXPECT_EQ(dir_store_->find_listed_membership(sibling_.id, dave_).error(),
              store_errc::not_found);

    // The copy is in a group of the child: deleting it bumps the group's version.
    const auto* group_t = reg_.find_by_id("Group");
    ASSERT_NE(group_t, nullptr);
    orgscim::scim::write_set g;
    g.attrs["displayName"] = "Helpdesk";
    g.add_members = {copy};
    auto group = backend_->create(child_.id, *group_t, g);
    ASSERT_TRUE(group);
    ASSERT_TRUE(dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        auto d = tx.delete_membership(child_.id, frank);
        if (!d) return d.error();
        return tx.delete_user(child_.id, copy);
    }));
    EXPECT_EQ(backend_->get(child_.id, *user_t_, copy, {}).error(), store_errc::not_found);
    auto after = backend_->get(child_.id, *group_t, group->id, {true, false});
    ASSERT_TRUE(after);
    EXPECT_TRUE(after->members.empty());
    EXPECT_GT(after->meta.version, group->meta.version);
    EXPECT_EQ(list(child_.id).total, 4);  // erin, dave, alice, bob
    // Not a User of that org (the home User of someone else): not found, nothing changes.
    auto other = dir_store_->write([&](directory_tx& tx) -> store_result<void> {
        return tx.delete_user(child_.id, own_ + "x");
    });
    EXPECT_EQ(other.error(), store_errc::not_found);
    auto home = dir_store_->write(
        [&](directory_tx& tx) -> store_result<void> { return tx.delete_user(sibling_.id, own_); });
    EXPECT_EQ(home.error(), store_errc::not_found);
    EXPECT_TRUE(backend_->get(child_.id, *user_t_, own_, {}));
}
