#include <gtest/gtest.h>

#include <orgscim/scim/path.hpp>
#include <orgscim/scim/schema.hpp>

namespace orgscim::scim {
namespace {

class PathTest : public ::testing::Test {
  protected:
    void SetUp() override {
        register_core_schemas(reg);
        user = reg.find_by_id("User");
        group = reg.find_by_id("Group");
    }
    result<attr_path> bound(std::string_view text, const resource_type* t = nullptr) {
        auto p = parse_attr_path(text);
        if (!p) return p.error();
        if (auto r = bind(*p, t ? *t : *user, scim_type::invalid_path); !r) return r.error();
        return p;
    }
    schema_registry reg;
    const resource_type* user = nullptr;
    const resource_type* group = nullptr;
};

TEST_F(PathTest, Parses) {
    auto p = parse_attr_path("name.givenName");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->attr, "name");
    EXPECT_EQ(p->sub, "givenName");
    EXPECT_TRUE(p->urn.empty());
    p = parse_attr_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->urn, enterprise_user_urn);
    EXPECT_EQ(p->attr, "manager");
    EXPECT_EQ(p->sub, "value");
    EXPECT_TRUE(parse_attr_path("members.$ref"));
}

TEST_F(PathTest, RejectsMalformed) {
    for (const char* bad : {"", ".", "name.", ".name", "1abc", "a b", "name.given.x", "na*me",
                            "urn:x", "emails[type eq \"work\"]", "urn:a b:c"}) {
        auto p = parse_attr_path(bad);
        ASSERT_FALSE(p) << bad;
        EXPECT_EQ(p.error().type, scim_type::invalid_path);
    }
}

TEST_F(PathTest, BindsCaseInsensitivelyToCanonicalNames) {
    auto p = bound("NAME.GIVENNAME");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->to_string(), "name.givenName");
    EXPECT_EQ(p->attr_def->name, "name");
    EXPECT_EQ(p->sub_def->name, "givenName");
    EXPECT_FALSE(p->in_extension);
    p = bound("emails.VALUE");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->to_string(), "emails.value");
}

TEST_F(PathTest, BindsUrnQualifiedNames) {
    auto p = bound("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:MANAGER.value");
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->in_extension);
    EXPECT_EQ(p->to_string(),
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
    p = bound("urn:ietf:params:scim:schemas:core:2.0:User:userName");
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->in_extension);
    EXPECT_EQ(p->to_string(), "userName");
    EXPECT_EQ(p->attr_def->name, "userName");
    p = bound("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->attr, "employeeNumber");
}

TEST_F(PathTest, BindsCommonAttributes) {
    for (const char* t : {"id", "externalId", "meta.lastModified", "meta.created",
                          "meta.resourceType", "meta.location", "meta.version"}) {
        EXPECT_TRUE(bound(t)) << t;
        EXPECT_TRUE(bound(t, group)) << t;
    }
    EXPECT_EQ(bound("EXTERNALID")->to_string(), "externalId");
    EXPECT_EQ(bound("meta.LASTMODIFIED")->sub_def->type, attr_type::date_time);
}

TEST_F(PathTest, UnknownNamesUseTheRequestedScimType) {
    auto p = bound("nosuch");
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().type, scim_type::invalid_path);
    EXPECT_FALSE(bound("name.nosuch"));
    EXPECT_FALSE(bound("userName.x"));  // simple attribute has no sub-attributes
    EXPECT_FALSE(bound("members", user));
    EXPECT_TRUE(bound("members.value", group));
    EXPECT_FALSE(bound("urn:example:unknown:1.0:User:x"));
    EXPECT_FALSE(bound("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName"));
    auto q = parse_attr_path("bogus");
    auto r = bind(*q, *user, scim_type::invalid_filter);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().type, scim_type::invalid_filter);
    EXPECT_EQ(r.error().status, 400);
}

}  // namespace
}  // namespace orgscim::scim
