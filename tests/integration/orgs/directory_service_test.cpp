// The organization rules end to end on every backend (directory_databases.hpp): inheritance,
// grants, last access manager, hierarchy errors, deprovision fan-out, events, and the
// cross-organization authorization matrix (every built-in role x every resource type x own / child
// / sibling / parent / unrelated org).
#include <gtest/gtest.h>

#include <chrono>
#include <orgscim/plugin/orgs/directory_service.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/testing/process.hpp>

#include "directory_databases.hpp"

namespace {

using namespace orgscim::plugin;
using namespace orgscim::plugin::orgs;
using namespace orgscim::directory_tests;
using P = permission;

class orgs_service : public ::testing::TestWithParam<backend_kind> {
  protected:
    void SetUp() override {
        if (auto why = GetParam().skip_reason()) GTEST_SKIP() << *why;
        db_ = GetParam().open();
        ASSERT_NE(db_, nullptr);
        backend_ = &db_->admin();
        store_ = open_directory(db_->storage(), [this] { return ++now_; });
        svc_ = std::make_unique<directory_service>(*store_);
        orgscim::scim::register_core_schemas(reg_);
        // msp -> a (managed) -> a1 (managed); msp -> b (managed); msp -> c (not managed);
        // u: another tree.
        msp_ = mk("MSP", {});
        a_ = mk("A", msp_);
        a1_ = mk("A1", a_);
        b_ = mk("B", msp_);
        c_ = mk("C", msp_, false);
        u_ = mk("U", {});
    }

    std::string mk(const std::string& name,
                   std::optional<std::string> parent,
                   bool managed = true) {
        org_node o;
        o.name = name;
        o.parent_id = parent;
        auto r = svc_->create_org(op_, o, managed);
        EXPECT_TRUE(r) << name << ": " << (r ? "" : r.error().detail);
        return r ? r->id : std::string();
    }

    // A person with `roles` in `org` (home member there), created by the operator.
    actor person(const std::string& name,
                 const std::string& org,
                 std::vector<std::string> roles,
                 membership_kind kind = membership_kind::home) {
        identity_record i;
        i.issuer = "https://idp.example";
        i.subject = name;
        i.display = name;
        auto m = svc_->put_member(op_, org, i, kind, {std::move(roles), false, {}});
        EXPECT_TRUE(m) << name << ": " << (m ? "" : m.error().detail);
        actor a;
        a.subject = "https://idp.example|" + name;
        if (m) a.identity_id = m->identity_id;
        return a;
    }

    permission_set perms(const actor& a, const std::string& org) {
        auto p = svc_->permissions(a, org);
        EXPECT_TRUE(p);
        return p ? *p : permission_set{};
    }

    std::int64_t event_count(const std::string& org) {
        return store_->list_events(org, 0, 0)->total;
    }

    std::unique_ptr<database> db_;
    backend* backend_ = nullptr;
    std::unique_ptr<directory_store> store_;
    std::unique_ptr<directory_service> svc_;
    std::int64_t now_ = 1'000'000;
    actor op_ = actor::cli();
    orgscim::scim::schema_registry reg_;
    std::string msp_, a_, a1_, b_, c_, u_;
};

INSTANTIATE_TEST_SUITE_P(backends,
                         orgs_service,
                         ::testing::ValuesIn(all_backends()),
                         backend_name());

// --- the matrix --------------------------------------------------------------------------

struct resource_kind {
    const char* name;
    permission read;
    permission write;
};
const resource_kind resource_kinds[] = {
    {"Users", P::read_users, P::write_users},
    {"Groups", P::read_users, P::manage_groups},
    {"Organizations", P::read_users, P::manage_org},
    {"Members/Roles", P::read_users, P::manage_access},
    {"Invitations", P::read_users, P::invite},
    {"Events", P::read_events, P::read_events},
};

TEST_P(orgs_service, authorization_matrix_member_of_a_child_org) {
    // The person is a member of A. Own: A. Child: A1 (managed by A). Sibling: B. Parent: MSP.
    // Unrelated: U. Unmanaged cousin: C.
    for (const auto& r : builtin_roles()) {
        const actor who = person("m-" + r.id, a_, {r.id});
        const struct {
            const char* relation;
            std::string org;
            bool reaches;
        } targets[] = {{"own", a_, true},       {"child", a1_, true},     {"sibling", b_, false},
                       {"parent", msp_, false}, {"unrelated", u_, false}, {"cousin", c_, false}};
        for (const auto& t : targets) {
            const auto got = perms(who, t.org);
            for (const auto& k : resource_kinds) {
                for (auto p : {k.read, k.write}) {
                    const bool expected = t.reaches && !r.suspends && r.permissions.has(p);
                    EXPECT_EQ(got.has(p), expected) << r.id << " x " << k.name << " x "
                                                    << t.relation << " (" << to_string(p) << ")";
                }
            }
            if (!t.reaches) {
                EXPECT_TRUE(got.empty()) << r.id << " leaks into " << t.relation;
                // Invisible orgs answer 404, not 403: existence does not leak.
                EXPECT_EQ(svc_->get_org(who, t.org).error().status, 404);
                EXPECT_EQ(svc_->events(who, t.org, 0, 10).error().status, 404);
                EXPECT_EQ(svc_->members(who, t.org).error().status, 404);
            }
        }
    }
}

TEST_P(orgs_service, authorization_matrix_msp_staff_and_credentials) {
    const actor staff = person("staff", msp_, {"full-admin"});
    const auto fa = find_builtin("full-admin")->permissions;
    EXPECT_EQ(perms(staff, msp_), fa);
    EXPECT_EQ(perms(staff, a_), fa);   // managed child
    EXPECT_EQ(perms(staff, a1_), fa);  // managed grandchild
    EXPECT_EQ(perms(staff, b_), fa);
    EXPECT_TRUE(perms(staff, c_).empty());  // not managed: no inheritance
    EXPECT_TRUE(perms(staff, u_).empty());

    orgscim::scim::caller cred{a_, "token:t1", "t1", true, true};
    const actor tok = actor::from_caller(cred);
    EXPECT_EQ(perms(tok, a_), credential_permissions(true));
    for (const auto& o : {msp_, a1_, b_, c_, u_}) EXPECT_TRUE(perms(tok, o).empty()) << o;
    orgscim::scim::caller ro{a_, "token:t2", "t2", true, false};
    EXPECT_FALSE(perms(actor::from_caller(ro), a_).has(P::write_users));
    EXPECT_EQ(svc_->get_org(tok, msp_).error().status, 404);
}

// --- inheritance ---------------------------------------------------------------------------

TEST_P(orgs_service, inheritance_is_computed_and_reaches_children_added_later) {
    const actor staff = person("staff", msp_, {"read-only"});
    const std::string later = mk("Later", a_);
    EXPECT_EQ(perms(staff, later), find_builtin("read-only")->permissions);
    // A change in the parent is visible in every child at once.
    identity_record i;
    i.id = *staff.identity_id;
    ASSERT_TRUE(
        svc_->put_member(op_, msp_, i, membership_kind::home, {{"administrator"}, false, {}}));
    EXPECT_EQ(perms(staff, later), permission_set::all());
    EXPECT_EQ(perms(staff, a1_), permission_set::all());
    // No membership rows were copied into the children.
    EXPECT_TRUE(store_->members(later)->empty());
    EXPECT_TRUE(store_->members(a1_)->empty());
}

TEST_P(orgs_service, child_override_replaces_inherited_roles) {
    const actor staff = person("staff", msp_, {"administrator"});
    identity_record i;
    i.id = *staff.identity_id;
    ASSERT_TRUE(svc_->put_member(op_, a_, i, membership_kind::invited, {{"read-only"}, true, {}}));
    EXPECT_EQ(perms(staff, a_), find_builtin("read-only")->permissions);
    EXPECT_EQ(perms(staff, a1_), find_builtin("read-only")->permissions);  // flows on down
    EXPECT_EQ(perms(staff, b_), permission_set::all());
    auto m = store_->get_membership(a_, *staff.identity_id);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->kind, membership_kind::invited);
    EXPECT_EQ(m->home_org, msp_);
}

TEST_P(orgs_service, inactive_suspends_without_deleting) {
    const actor staff = person("staff", msp_, {"administrator", "inactive"});
    EXPECT_TRUE(perms(staff, msp_).empty());
    EXPECT_TRUE(perms(staff, a_).empty());
    EXPECT_TRUE(store_->get_membership(msp_, *staff.identity_id));
}

TEST_P(orgs_service, group_mapping_grants_a_role_and_unions_with_direct_roles) {
    const auto* user_t = reg_.find_by_id("User");
    const auto* group_t = reg_.find_by_id("Group");
    orgscim::scim::write_set u;
    u.attrs["userName"] = "gina";
    auto user = backend_->create(a_, *user_t, u);
    ASSERT_TRUE(user);
    auto ident = svc_->user_provisioned(op_, a_, user->id, "gina");
    ASSERT_TRUE(ident);
    actor gina;
    gina.identity_id = ident->id;
    EXPECT_TRUE(perms(gina, a_).empty());  // a provisioned user holds no role yet
    orgscim::scim::write_set g;
    g.attrs["displayName"] = "Helpdesk";
    g.add_members = {user->id};
    auto group = backend_->create(a_, *group_t, g);
    ASSERT_TRUE(group);
    ASSERT_TRUE(svc_->set_group_roles(op_, a_, group->id, {"associate"}));
    EXPECT_EQ(perms(gina, a_), find_builtin("associate")->permissions);
    identity_record i;
    i.id = ident->id;
    ASSERT_TRUE(svc_->put_member(op_, a_, i, membership_kind::home, {{"read-only"}, false, {}}));
    EXPECT_EQ(perms(gina, a_),
              find_builtin("associate")->permissions | find_builtin("read-only")->permissions);
    // Unknown role in a mapping: 400, nothing changed.
    EXPECT_EQ(svc_->set_group_roles(op_, a_, group->id, {"nope"}).error().status, 400);
    EXPECT_EQ(store_->group_roles(a_)->size(), 1u);
}

// --- grants and the last access manager ----------------------------------------------------

TEST_P(orgs_service, nobody_grants_above_themselves) {
    const actor mgr = person("mgr", a_, {"manager"});
    const actor boss = person("boss", a_, {"administrator"});
    const actor newbie = person("newbie", a_, {"associate"});
    identity_record n;
    n.id = *newbie.identity_id;
    const auto before = event_count(a_);
    auto r = svc_->put_member(mgr, a_, n, membership_kind::home, {{"administrator"}, false, {}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 403);
    EXPECT_EQ(event_count(a_), before);
    EXPECT_EQ(store_->get_membership(a_, n.id)->roles, std::vector<std::string>{"associate"});
    // An access manager without manageOrg cannot grant Full Admin, nor create a role above
    // itself.
    auto helper =
        svc_->create_role(boss, a_, "Access desk", permission_set{P::read_users, P::manage_access});
    ASSERT_TRUE(helper);
    const actor desk = person("desk", a_, {helper->id});
    EXPECT_EQ(svc_->put_member(desk, a_, n, membership_kind::home, {{"full-admin"}, false, {}})
                  .error()
                  .status,
              403);
    EXPECT_EQ(svc_->create_role(desk, a_, "Escalate", permission_set::all()).error().status, 403);
    // Read Only holds readEvents, which desk lacks.
    EXPECT_EQ(svc_->put_member(desk, a_, n, membership_kind::home, {{"read-only"}, false, {}})
                  .error()
                  .status,
              403);
    EXPECT_TRUE(svc_->put_member(desk, a_, n, membership_kind::home, {{"associate"}, false, {}}));
    // Nor demote someone above itself.
    identity_record bi;
    bi.id = *boss.identity_id;
    EXPECT_EQ(svc_->put_member(desk, a_, bi, membership_kind::home, {{"associate"}, false, {}})
                  .error()
                  .status,
              403);
    // A role that does not exist: 400.
    EXPECT_EQ(
        svc_->put_member(boss, a_, n, membership_kind::home, {{"root"}, false, {}}).error().status,
        400);
}

TEST_P(orgs_service, last_access_manager_cannot_be_removed_or_demoted) {
    const actor boss = person("boss", a_, {"administrator"});
    identity_record bi;
    bi.id = *boss.identity_id;
    auto demote =
        svc_->put_member(boss, a_, bi, membership_kind::home, {{"full-admin"}, false, {}});
    ASSERT_FALSE(demote);
    EXPECT_EQ(demote.error().status, 409);
    EXPECT_EQ(svc_->remove_member(boss, a_, bi.id).error().status, 409);
    EXPECT_EQ(svc_->put_member(boss, a_, bi, membership_kind::home, {{"inactive"}, false, {}})
                  .error()
                  .status,
              409);
    EXPECT_EQ(store_->get_membership(a_, bi.id)->roles, std::vector<std::string>{"administrator"});
    const actor second = person("second", a_, {"full-admin-access"});
    EXPECT_TRUE(svc_->remove_member(second, a_, bi.id));
    EXPECT_EQ(store_->get_membership(a_, bi.id).error(), store_errc::not_found);
    auto evs = store_->list_events(a_, 0, 1);
    EXPECT_EQ(evs->items.at(0).ev.action, "member.removed");
    EXPECT_EQ(evs->items.at(0).ev.actor, second.subject);
}

TEST_P(orgs_service, invited_members_come_from_the_immediate_parent_only) {
    const actor staff = person("staff", msp_, {"read-only"});
    identity_record i;
    i.id = *staff.identity_id;
    EXPECT_TRUE(svc_->put_member(op_, a_, i, membership_kind::invited, {{"manager"}, false, {}}));
    // a1's parent is a, where staff now is a member: allowed. u is another tree: refused.
    EXPECT_TRUE(svc_->put_member(op_, a1_, i, membership_kind::invited, {{}, false, {}}));
    EXPECT_EQ(
        svc_->put_member(op_, u_, i, membership_kind::invited, {{}, false, {}}).error().status,
        400);
    EXPECT_EQ(
        svc_->put_member(op_, a_, i, membership_kind::inherited, {{}, false, {}}).error().status,
        400);
}

// --- hierarchy -----------------------------------------------------------------------------

TEST_P(orgs_service, create_child_defaults_to_managed_and_logs_in_both_orgs) {
    const actor boss = person("boss", msp_, {"full-admin"});
    org_node o;
    o.name = "Customer";
    o.parent_id = msp_;
    o.settings = {{"invitationExpiryHours", 360}};
    const auto before = event_count(msp_);
    auto r = svc_->create_org(boss, o, true);
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(r->managed_by, msp_);
    EXPECT_EQ(r->ancestors, std::vector<std::string>{msp_});
    EXPECT_EQ(event_count(msp_), before + 1);
    EXPECT_EQ(store_->list_events(r->id, 0, 1)->items.at(0).ev.action, "org.created");
    // Read-only staff cannot; a root needs the operator; bad settings are refused.
    const actor ro = person("ro", msp_, {"read-only"});
    EXPECT_EQ(svc_->create_org(ro, o, true).error().status, 403);
    org_node root;
    root.name = "Root";
    EXPECT_EQ(svc_->create_org(boss, root, true).error().status, 403);
    o.parent_id = u_;
    EXPECT_EQ(svc_->create_org(boss, o, true).error().status, 404);
    o.parent_id = msp_;
    o.settings = {{"invitationExpiryHours", -1}};
    EXPECT_EQ(svc_->create_org(boss, o, true).error().status, 400);
    o.settings = {{"resendCooldownHours", "6"}};
    EXPECT_EQ(svc_->create_org(boss, o, true).error().status, 400);
    o.settings = {{"parentUserExpiryHours", 72}, {"reminderBeforeHours", 24}};
    EXPECT_TRUE(svc_->create_org(boss, o, true));
}

TEST_P(orgs_service, cycles_and_other_trees_are_refused_and_change_nothing) {
    auto a = *store_->get_org(a_);
    const auto before = event_count(a_);
    a.parent_id = a1_;  // under its own child
    auto r = svc_->update_org(op_, a, std::nullopt);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 400);
    auto a1 = *store_->get_org(a1_);
    a1.parent_id = u_;
    a1.managed_by.reset();
    EXPECT_NE(svc_->update_org(op_, a1, std::nullopt).error().detail.find("another"),
              std::string::npos);
    a1.parent_id = "missing";
    EXPECT_EQ(svc_->update_org(op_, a1, std::nullopt).error().status, 400);
    EXPECT_EQ(store_->get_org(a_)->parent_id, msp_);
    EXPECT_EQ(store_->get_org(a1_)->parent_id, a_);
    EXPECT_EQ(event_count(a_), before);
    // managedBy must be the parent.
    auto b = *store_->get_org(b_);
    b.managed_by = a_;
    EXPECT_EQ(svc_->update_org(op_, b, std::nullopt).error().status, 400);
    // A legal move within the tree works and moves the subtree.
    a1.parent_id = b_;
    a1.managed_by = b_;
    ASSERT_TRUE(svc_->update_org(op_, a1, std::nullopt));
    EXPECT_EQ(store_->get_org(a1_)->ancestors, (std::vector<std::string>{msp_, b_}));
}

TEST_P(orgs_service, delete_with_children_needs_cascade) {
    EXPECT_EQ(svc_->delete_org(op_, a_, false, std::nullopt).error().status, 409);
    EXPECT_TRUE(store_->get_org(a1_));
    ASSERT_TRUE(svc_->delete_org(op_, a_, true, std::nullopt));
    EXPECT_EQ(store_->get_org(a_).error(), store_errc::not_found);
    EXPECT_EQ(store_->get_org(a1_).error(), store_errc::not_found);
    EXPECT_EQ(store_->list_events(msp_, 0, 1)->items.at(0).ev.action, "org.deleted");
}

TEST_P(orgs_service, disabled_org_serves_no_writes) {
    const actor staff = person("staff", msp_, {"administrator"});
    auto a = *store_->get_org(a_);
    a.status = "disabled";
    ASSERT_TRUE(svc_->update_org(staff, a, std::nullopt));
    const auto p = perms(staff, a_);
    EXPECT_TRUE(p.has(P::read_users));
    EXPECT_FALSE(p.has(P::write_users));
    EXPECT_FALSE(p.has(P::invite));
    identity_record i;
    i.id = *staff.identity_id;
    EXPECT_EQ(
        svc_->put_member(staff, a_, i, membership_kind::invited, {{}, false, {}}).error().status,
        403);
    orgscim::scim::caller cred{a_, "token:t", "t", true, true};
    EXPECT_FALSE(perms(actor::from_caller(cred), a_).has(P::write_users));
    // ... and can be enabled again.
    a = *store_->get_org(a_);
    a.status = "active";
    EXPECT_TRUE(svc_->update_org(staff, a, std::nullopt));
    EXPECT_TRUE(perms(staff, a_).has(P::write_users));
}

// --- deprovision fan-out -------------------------------------------------------------------

TEST_P(orgs_service, leaver_leaves_everywhere_in_one_transaction) {
    const auto* user_t = reg_.find_by_id("User");
    orgscim::scim::write_set u;
    u.attrs["userName"] = "leo";
    auto user = backend_->create(msp_, *user_t, u);
    ASSERT_TRUE(user);
    auto ident = svc_->user_provisioned(op_, msp_, user->id, "leo");
    ASSERT_TRUE(ident);
    EXPECT_EQ(svc_->user_provisioned(op_, msp_, user->id, "leo")->id, ident->id);  // idempotent
    identity_record i;
    i.id = ident->id;
    ASSERT_TRUE(svc_->put_member(op_, a_, i, membership_kind::invited, {{"manager"}, false, {}}));
    ASSERT_TRUE(svc_->put_member(op_, b_, i, membership_kind::invited, {{"associate"}, false, {}}));
    ASSERT_TRUE(svc_->put_member(op_, a1_, i, membership_kind::invited, {{}, false, {}}));

    // active=false: every child membership goes, the home one stays.
    auto n = svc_->user_deprovisioned(op_, msp_, user->id, false);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 3u);
    auto left = store_->memberships_of(ident->id);
    ASSERT_EQ(left->size(), 1u);
    EXPECT_EQ(left->front().org_id, msp_);
    for (const auto& o : {a_, b_, a1_}) {
        EXPECT_EQ(store_->list_events(o, 0, 1)->items.at(0).ev.action, "member.deprovisioned");
    }
    EXPECT_EQ(store_->list_events(msp_, 0, 1)->items.at(0).ev.action, "identity.deprovisioned");

    // DELETE: the identity goes too.
    EXPECT_EQ(*svc_->user_deprovisioned(op_, msp_, user->id, true), 1u);
    EXPECT_EQ(store_->get_identity(ident->id).error(), store_errc::not_found);
    EXPECT_EQ(*svc_->user_deprovisioned(op_, msp_, "unknown-user", true), 0u);
}

// --- speed ---------------------------------------------------------------------------------

TEST_P(orgs_service, decision_walks_ancestors_not_children) {
    // The target is three levels below the MSP; then 10,000 children are added under the MSP.
    org_node deep;
    deep.name = "deep";
    deep.parent_id = a1_;
    auto d = svc_->create_org(op_, deep, true);
    ASSERT_TRUE(d);
    const actor staff = person("staff", msp_, {"manager"});
    // The best of five batches: the machine is shared, the minimum is the stable figure.
    auto time_decisions = [&] {
        double best = 1e18;
        for (int batch = 0; batch < 5; ++batch) {
            constexpr int rounds = 100;
            const auto t0 = std::chrono::steady_clock::now();
            for (int k = 0; k < rounds; ++k) {
                EXPECT_EQ(perms(staff, d->id), find_builtin("manager")->permissions);
            }
            best = std::min(best, std::chrono::duration<double, std::micro>(
                                      std::chrono::steady_clock::now() - t0)
                                          .count() /
                                      rounds);
        }
        return best;
    };
    const double small = time_decisions();
    ASSERT_TRUE(store_->write([&](directory_tx& tx) -> store_result<void> {
        for (int k = 0; k < 10000; ++k) {
            org_node o;
            o.name = "cust-" + std::to_string(k);
            o.parent_id = msp_;
            o.managed_by = msp_;
            auto r = tx.insert_org(std::move(o));
            if (!r) return r.error();
        }
        return {};
    }));
    const double large = time_decisions();
    std::printf(
        "[ figures ] decision 3 levels below the MSP: %.1f us with 5 orgs, %.1f us with 10,005 "
        "(ratio %.2f)\n",
        small, large, large / small);
    // Walking 10,000 children would multiply the time; walking ancestors does not.
    EXPECT_LT(large, std::max(small * 5, 2000.0));
}

TEST_P(orgs_service, person_actor_from_oidc_issuer_and_subject) {
    const actor staff = person("staff", msp_, {"read-only"});
    auto p = svc_->person("https://idp.example", "staff", "jti-1");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->identity_id, staff.identity_id);
    EXPECT_EQ(p->subject, "https://idp.example|staff");
    EXPECT_EQ(perms(*p, a_), find_builtin("read-only")->permissions);
    auto stranger = svc_->person("https://idp.example", "nobody", "jti-2");
    ASSERT_TRUE(stranger);
    EXPECT_FALSE(stranger->identity_id);
    EXPECT_TRUE(perms(*stranger, msp_).empty());
    // Same subject from another issuer is another person.
    EXPECT_FALSE(svc_->person("https://evil.example", "staff", "")->identity_id);
}

}  // namespace
