#include <gtest/gtest.h>

#include <orgscim/scim/schema.hpp>

namespace orgscim::scim {
namespace {

class SchemaTest : public ::testing::Test {
  protected:
    void SetUp() override { register_core_schemas(reg); }
    schema_registry reg;
};

TEST_F(SchemaTest, RegistersUserGroupAndEnterprise) {
    ASSERT_EQ(reg.schemas().size(), 3u);
    ASSERT_EQ(reg.resource_types().size(), 2u);
    const auto* user = reg.find_by_endpoint("users");
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(user->id, "User");
    EXPECT_EQ(user->endpoint, "/Users");
    EXPECT_EQ(user->core->id, user_schema_urn);
    ASSERT_EQ(user->extensions.size(), 1u);
    EXPECT_FALSE(user->extensions[0].required);
    EXPECT_EQ(user->extension("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER"),
              user->extensions[0].ext);
    EXPECT_EQ(user->extension(group_schema_urn), nullptr);
    EXPECT_EQ(reg.find_by_id("group")->endpoint, "/Groups");
    EXPECT_EQ(reg.find_by_endpoint("Nope"), nullptr);
    EXPECT_NE(reg.find_schema(enterprise_user_urn), nullptr);
}

TEST_F(SchemaTest, UserDescriptors) {
    const schema* u = reg.find_schema(user_schema_urn);
    const attribute* un = u->find("USERNAME");
    ASSERT_NE(un, nullptr);
    EXPECT_EQ(un->name, "userName");
    EXPECT_TRUE(un->required);
    EXPECT_FALSE(un->case_exact);
    EXPECT_EQ(un->uniqueness, uniqueness::server);
    const attribute* pw = u->find("password");
    ASSERT_NE(pw, nullptr);
    EXPECT_EQ(pw->mutability, mutability::write_only);
    EXPECT_EQ(pw->returned, returned::never);
    const attribute* groups = u->find("groups");
    EXPECT_EQ(groups->mutability, mutability::read_only);
    EXPECT_TRUE(groups->multi_valued);
    EXPECT_EQ(u->find("active")->type, attr_type::boolean);
    const attribute* emails = u->find("emails");
    ASSERT_NE(emails->sub("Primary"), nullptr);
    EXPECT_EQ(emails->sub("primary")->type, attr_type::boolean);
    EXPECT_EQ(emails->sub("type")->canonical_values,
              (std::vector<std::string>{"work", "home", "other"}));
    EXPECT_EQ(u->find("name")->sub("givenname")->name, "givenName");
    for (const char* n : {"displayName", "nickName", "profileUrl", "title", "userType",
                          "preferredLanguage", "locale", "timezone", "phoneNumbers", "ims",
                          "photos", "addresses", "entitlements", "roles", "x509Certificates"})
        EXPECT_NE(u->find(n), nullptr) << n;
    EXPECT_EQ(u->find("x509Certificates")->sub("value")->type, attr_type::binary);
    EXPECT_EQ(u->find("addresses")->sub("value"), nullptr);
}

TEST_F(SchemaTest, GroupAndEnterpriseDescriptors) {
    const schema* g = reg.find_schema(group_schema_urn);
    EXPECT_TRUE(g->find("displayName")->required);
    EXPECT_EQ(g->find("displayName")->uniqueness, uniqueness::server);
    const attribute* m = g->find("members");
    EXPECT_TRUE(m->multi_valued);
    EXPECT_EQ(m->sub("value")->mutability, mutability::immutable);
    EXPECT_EQ(m->sub("display")->mutability, mutability::read_only);
    EXPECT_EQ(m->sub("type")->canonical_values, (std::vector<std::string>{"User", "Group"}));
    EXPECT_NE(m->sub("$ref"), nullptr);
    const schema* e = reg.find_schema(enterprise_user_urn);
    for (const char* n :
         {"employeeNumber", "costCenter", "organization", "division", "department", "manager"})
        EXPECT_NE(e->find(n), nullptr) << n;
    EXPECT_EQ(e->find("manager")->sub("displayName")->mutability, mutability::read_only);
}

TEST_F(SchemaTest, CommonAttributes) {
    EXPECT_EQ(find_common_attribute("ID")->name, "id");
    EXPECT_TRUE(find_common_attribute("id")->case_exact);
    EXPECT_EQ(find_common_attribute("id")->mutability, mutability::read_only);
    EXPECT_TRUE(find_common_attribute("externalId")->case_exact);
    EXPECT_EQ(find_common_attribute("externalid")->mutability, mutability::read_write);
    const attribute* meta = find_common_attribute("meta");
    EXPECT_EQ(meta->sub("lastmodified")->type, attr_type::date_time);
    EXPECT_EQ(meta->sub("created")->type, attr_type::date_time);
    EXPECT_NE(meta->sub("resourceType"), nullptr);
    EXPECT_NE(meta->sub("location"), nullptr);
    EXPECT_NE(meta->sub("version"), nullptr);
    EXPECT_EQ(find_common_attribute("userName"), nullptr);
}

TEST(Iequals, Ascii) {
    EXPECT_TRUE(iequals("userName", "USERNAME"));
    EXPECT_FALSE(iequals("userName", "userNam"));
    EXPECT_TRUE(iequals("", ""));
}

}  // namespace
}  // namespace orgscim::scim
