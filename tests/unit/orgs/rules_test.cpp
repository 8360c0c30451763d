#include <gtest/gtest.h>

#include <orgscim/plugin/orgs/rules.hpp>

namespace {

using namespace orgscim::plugin::orgs;
using P = permission;

role builtin_role(std::string_view id) {
    const role* r = find_builtin(id);
    EXPECT_NE(r, nullptr) << id;
    return r ? *r : role{};
}

TEST(Permissions, WireNamesRoundTrip) {
    for (std::size_t i = 0; i < permission_count; ++i) {
        const auto p = static_cast<permission>(i);
        EXPECT_EQ(parse_permission(to_string(p)), p);
    }
    EXPECT_FALSE(parse_permission("ReadUsers").has_value());
    EXPECT_FALSE(parse_permission("").has_value());
}

TEST(Permissions, SetOperations) {
    permission_set s{P::read_users, P::invite};
    EXPECT_TRUE(s.has(P::invite));
    EXPECT_FALSE(s.has(P::manage_org));
    EXPECT_TRUE(permission_set::all().covers(s));
    EXPECT_FALSE(s.covers(permission_set::all()));
    EXPECT_EQ(s.names(), (std::vector<std::string>{"readUsers", "invite"}));
    s.remove(P::invite);
    EXPECT_EQ(s, permission_set{P::read_users});
    EXPECT_EQ(permission_set(0xffffffffu), permission_set::all());
}

TEST(BuiltinRoles, MatchTheSeedProducts) {
    EXPECT_EQ(builtin_role("full-admin-access").name, "Full Admin with Access Management");
    EXPECT_EQ(builtin_role("full-admin-access").permissions, permission_set::all());
    // Full Admin does everything but grant roles.
    EXPECT_FALSE(builtin_role("full-admin").permissions.has(P::manage_access));
    EXPECT_TRUE(builtin_role("full-admin").permissions.has(P::manage_org));
    EXPECT_EQ(builtin_role("read-only").permissions,
              (permission_set{P::read_users, P::read_events}));
    EXPECT_EQ(builtin_role("administrator").permissions, permission_set::all());
    // MSPComplete: managers invite, only administrators grant Administrator.
    EXPECT_TRUE(builtin_role("manager").permissions.has(P::invite));
    EXPECT_FALSE(builtin_role("manager").permissions.has(P::manage_access));
    EXPECT_EQ(builtin_role("associate").permissions, permission_set{P::read_users});
    EXPECT_TRUE(builtin_role("inactive").suspends);
    EXPECT_TRUE(builtin_role("inactive").permissions.empty());
    EXPECT_EQ(builtin_roles().size(), 7u);
    EXPECT_EQ(find_builtin("Full Admin"), nullptr);
}

TEST(Grant, NobodyGrantsAboveThemselves) {
    const role admin = builtin_role("administrator");
    const role manager = builtin_role("manager");
    const role fa = builtin_role("full-admin");
    // An administrator grants anything.
    EXPECT_TRUE(check_grant(admin.permissions, std::vector<role>{admin, manager}));
    // A manager has no manageAccess: cannot grant at all.
    auto r = check_grant(manager.permissions, std::vector<role>{manager});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 403);
    // A custom role with manageAccess but no manageOrg cannot grant Full Admin (needs manageOrg).
    permission_set access_only{P::manage_access, P::read_users, P::write_users};
    auto r2 = check_grant(access_only, std::vector<role>{fa});
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().status, 403);
    EXPECT_NE(r2.error().detail.find("Full Admin"), std::string::npos);
    // ... but can grant Associate.
    EXPECT_TRUE(check_grant(access_only, std::vector<role>{builtin_role("associate")}));
    // Inactive holds nothing: anyone with manageAccess may suspend.
    EXPECT_TRUE(check_grant(access_only, std::vector<role>{builtin_role("inactive")}));
}

TEST(LastAccessManager, CannotBeRemovedOrDemoted) {
    EXPECT_EQ(check_last_access_manager(1, true, false).error().status, 409);
    EXPECT_TRUE(check_last_access_manager(2, true, false));
    EXPECT_TRUE(check_last_access_manager(1, true, true));
    EXPECT_TRUE(check_last_access_manager(1, false, false));
    EXPECT_TRUE(check_last_access_manager(0, false, false));
}

TEST(LastAccessManager, InactiveIsNotAManager) {
    EXPECT_TRUE(is_access_manager(std::vector<role>{builtin_role("administrator")}));
    EXPECT_FALSE(is_access_manager(
        std::vector<role>{builtin_role("administrator"), builtin_role("inactive")}));
    EXPECT_FALSE(is_access_manager(std::vector<role>{builtin_role("full-admin")}));
    EXPECT_FALSE(is_access_manager(std::vector<role>{}));
}

TEST(ResolveRoles, BuiltinsCustomAndUnknown) {
    std::vector<role> custom{{"c1", "Helpdesk", permission_set{P::read_users}, false, false, "o"}};
    auto ok = resolve_roles(std::vector<std::string>{"manager", "c1"}, custom);
    ASSERT_TRUE(ok);
    ASSERT_EQ(ok->size(), 2u);
    EXPECT_EQ((*ok)[1].name, "Helpdesk");
    auto bad = resolve_roles(std::vector<std::string>{"c2"}, custom);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().status, 400);
    EXPECT_EQ(bad.error().type, orgscim::scim::scim_type::invalid_value);
}

org_shape shape(std::string id, std::vector<std::string> anc) {
    return {std::move(id), std::move(anc), false};
}

TEST(Hierarchy, NoCycles) {
    // msp -> a -> a1
    const auto a1 = shape("a1", {"msp", "a"});
    const auto a = shape("a", {"msp"});
    EXPECT_FALSE(check_parent("a", a, a1));  // a under its own grandchild
    EXPECT_FALSE(check_parent("a", a, a));   // itself
    EXPECT_FALSE(check_parent("msp", shape("msp", {}), a1));
    EXPECT_EQ(check_parent("a", a, a1).error().status, 400);
    EXPECT_TRUE(check_parent("new", std::nullopt, a1));
}

TEST(Hierarchy, MovesStayInTheirTree) {
    const auto a = shape("a", {"msp"});
    const auto b = shape("b", {"msp"});
    const auto other = shape("x", {"other-root"});
    EXPECT_TRUE(check_parent("a1", shape("a1", {"msp", "a"}), b));
    auto r = check_parent("a1", shape("a1", {"msp", "a"}), other);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().detail.find("another"), std::string::npos);
    // A new org may start under any parent the caller manages.
    EXPECT_TRUE(check_parent("n", std::nullopt, other));
    (void)a;
}

TEST(Hierarchy, ManagedByIsTheParent) {
    EXPECT_TRUE(check_managed_by(std::nullopt, std::nullopt));
    EXPECT_TRUE(check_managed_by(std::string("p"), std::string("p")));
    EXPECT_FALSE(check_managed_by(std::string("q"), std::string("p")));
    EXPECT_FALSE(check_managed_by(std::string("q"), std::nullopt));
}

TEST(Hierarchy, StatusAndDelete) {
    EXPECT_TRUE(check_status("active"));
    EXPECT_TRUE(check_status("disabled"));
    EXPECT_FALSE(check_status("Active"));
    EXPECT_EQ(check_delete(2, false).error().status, 409);
    EXPECT_TRUE(check_delete(2, true));
    EXPECT_TRUE(check_delete(0, false));
}

member_facts roles_of(std::initializer_list<std::string_view> ids, bool override_ = false) {
    member_facts f;
    for (auto id : ids) {
        const role* r = find_builtin(id);
        f.granted |= r->permissions;
        f.suspended = f.suspended || r->suspends;
    }
    f.override_inherited = override_;
    return f;
}

TEST(Inheritance, ParentRolesApplyInManagedChildren) {
    // msp (member: full admin) -> child (managed) -> grandchild (managed)
    std::vector<level> chain{
        {false, false, roles_of({"full-admin"})}, {true, false, {}}, {true, false, {}}};
    EXPECT_EQ(effective_permissions(chain), builtin_role("full-admin").permissions);
}

TEST(Inheritance, UnmanagedChildBreaksTheChain) {
    std::vector<level> chain{
        {false, false, roles_of({"administrator"})}, {false, false, {}}, {true, false, {}}};
    EXPECT_TRUE(effective_permissions(chain).empty());
}

TEST(Inheritance, ChildOverrideReplacesInheritedRoles) {
    std::vector<level> chain{{false, false, roles_of({"administrator"})},
                             {true, false, roles_of({"read-only"}, true)}};
    EXPECT_EQ(effective_permissions(chain), builtin_role("read-only").permissions);
    // Without override the child's own roles add up with the inherited ones.
    chain[1].member = roles_of({"read-only"});
    EXPECT_EQ(effective_permissions(chain), permission_set::all());
}

TEST(Inheritance, InactiveSuspendsAtThatLevel) {
    std::vector<level> chain{{false, false, roles_of({"administrator", "inactive"})},
                             {true, false, {}}};
    EXPECT_TRUE(effective_permissions(chain).empty());
    // A child's own grant still applies below a suspension in the parent.
    chain[1].member = roles_of({"associate"});
    EXPECT_EQ(effective_permissions(chain), builtin_role("associate").permissions);
    // Inactive in the child suspends there even when the parent grants.
    std::vector<level> c2{{false, false, roles_of({"administrator"})},
                          {true, false, roles_of({"inactive"})}};
    EXPECT_TRUE(effective_permissions(c2).empty());
}

TEST(Inheritance, DisabledTargetServesNoWrites) {
    std::vector<level> chain{{false, false, roles_of({"administrator"})}, {true, true, {}}};
    const auto p = effective_permissions(chain);
    EXPECT_TRUE(p.has(P::read_users));
    EXPECT_TRUE(p.has(P::manage_org));  // so it can be enabled again
    EXPECT_FALSE(p.has(P::write_users));
    EXPECT_FALSE(p.has(P::invite));
    EXPECT_FALSE(p.has(P::manage_access));
    // A disabled parent does not disable its children.
    std::vector<level> c2{{false, true, roles_of({"administrator"})}, {true, false, {}}};
    EXPECT_EQ(effective_permissions(c2), permission_set::all());
}

TEST(Inheritance, NoMembershipAnywhereIsNothing) {
    std::vector<level> chain{{false, false, {}}, {true, false, {}}};
    EXPECT_TRUE(effective_permissions(chain).empty());
    EXPECT_TRUE(effective_permissions({}).empty());
}

TEST(Credentials, UsersAndGroupsOnly) {
    EXPECT_EQ(credential_permissions(false), permission_set{P::read_users});
    EXPECT_EQ(credential_permissions(true),
              (permission_set{P::read_users, P::write_users, P::manage_groups}));
}

}  // namespace
