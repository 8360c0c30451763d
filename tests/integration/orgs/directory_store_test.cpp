// directory_store on SQLite (a real file in a temp dir, migrated by open_backend()).
#include <gtest/gtest.h>

#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/testing/process.hpp>

#include "sqlite/sqlite_store.hpp"

namespace {

using namespace orgscim::plugin;
using orgscim::scim::store_errc;

class directory_sqlite : public ::testing::Test {
  protected:
    void SetUp() override {
        cfg_.backend = "sqlite";
        cfg_.sqlite.path = dir_.path() + "/orgscim.db";
        backend_ = std::make_unique<sqlite_store>(cfg_.sqlite);  // migrates
        dir_store_ = open_directory(cfg_, [this] { return ++now_; });
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

    orgscim::testing::temp_dir dir_;
    storage_config cfg_;
    std::unique_ptr<backend> backend_;
    std::unique_ptr<directory_store> dir_store_;
    std::int64_t now_ = 1000;
    orgscim::scim::schema_registry reg_;
};

TEST_F(directory_sqlite, tree_keeps_ancestors_and_descendants) {
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

TEST_F(directory_sqlite, orgs_created_through_the_admin_port_get_a_path) {
    auto root = backend_->create_org("Root", std::nullopt);
    ASSERT_TRUE(root);
    auto kid = backend_->create_org("Kid", std::string_view(root->id));
    ASSERT_TRUE(kid);
    auto n = dir_store_->get_org(kid->id);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->ancestors, (std::vector<std::string>{root->id}));
    EXPECT_EQ(n->status, "active");
}

TEST_F(directory_sqlite, move_rewrites_the_subtree_paths) {
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

TEST_F(directory_sqlite, failed_write_rolls_back_change_and_event) {
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

TEST_F(directory_sqlite, events_page_newest_first_and_outlive_their_org) {
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

TEST_F(directory_sqlite, identities_memberships_and_roles) {
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

TEST_F(directory_sqlite, groups_of_reads_scim_group_members_and_delete_org_drops_resources) {
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

TEST(directory_open, refuses_an_unmigrated_database_and_postgres) {
    orgscim::testing::temp_dir dir;
    storage_config cfg;
    cfg.sqlite.path = dir.path() + "/empty.db";
    EXPECT_THROW(open_directory(cfg), startup_error);
    cfg.backend = "postgresql";
    EXPECT_THROW(open_directory(cfg), startup_error);
}

}  // namespace
