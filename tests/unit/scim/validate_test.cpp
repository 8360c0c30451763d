#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <orgscim/scim/json.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/validate.hpp>

namespace orgscim::scim {
namespace {

namespace json = boost::json;

class ValidateTest : public ::testing::Test {
  protected:
    void SetUp() override { register_core_schemas(reg); }
    result<json::object> run(std::string_view body,
                             const char* type = "User",
                             validation_mode mode = validation_mode::create,
                             compat_options compat = {}) {
        auto v = parse_json(body);
        if (!v) return v.error();
        json::object o = v->as_object();
        if (auto r = validate_resource(o, *reg.find_by_id(type), compat, mode); !r)
            return r.error();
        return o;
    }
    void expect_invalid(std::string_view body, const char* type = "User") {
        auto r = run(body, type);
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error().status, 400);
        EXPECT_EQ(r.error().type, scim_type::invalid_value) << r.error().detail;
    }
    schema_registry reg;
};

TEST_F(ValidateTest, NormalizesToStoredForm) {
    auto r = run(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id":"client-chosen","meta":{"resourceType":"User"},"USERNAME":"bjensen",
        "Name":{"GivenName":"B"},"emails":[{"Value":"a@x","Primary":"True"}],
        "groups":[{"value":"g"}],"password":"secret","active":"false",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Manager":"m1",
          "department":"D"}})");
    ASSERT_TRUE(r) << r.error().detail;
    auto expected = json::parse(R"({"userName":"bjensen","name":{"givenName":"B"},
        "emails":[{"value":"a@x","primary":true}],"active":false,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m1"},
          "department":"D"}})");
    EXPECT_EQ(json::value(*r), expected) << json::serialize(*r);
}

TEST_F(ValidateTest, FoldsQualifiedAndDottedKeys) {
    auto r = run(R"({"urn:ietf:params:scim:schemas:core:2.0:User:userName":"u",
        "name.familyName":"J","name":{"givenName":"B"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"7"})");
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(json::value(*r), json::parse(R"({"userName":"u","name":{"familyName":"J",
        "givenName":"B"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
        {"employeeNumber":"7"}})"));
}

TEST_F(ValidateTest, DropsReadOnlySubAttributesAndNulls) {
    auto r = run(R"({"displayName":"G","members":[{"value":"u1","display":"x","type":"User"}],
        "externalId":null})",
                 "Group");
    ASSERT_TRUE(r) << r.error().detail;
    EXPECT_EQ(json::value(*r),
              json::parse(R"({"displayName":"G","members":[{"value":"u1","type":"User"}]})"));
}

TEST_F(ValidateTest, RejectsBadInput) {
    expect_invalid(R"({"displayName":"no userName"})");
    expect_invalid(R"({"userName":""})");
    expect_invalid(R"({"userName":"u","favoriteColor":"x"})");
    expect_invalid(R"({"userName":"u","name":{"nickname":"x"}})");
    expect_invalid(R"({"userName":"u","active":"yes"})");
    expect_invalid(R"({"userName":"u","active":1})");
    expect_invalid(R"({"userName":5})");
    expect_invalid(R"({"userName":"u","title":["a"]})");
    expect_invalid(R"({"userName":"u","emails":[{"value":1}]})");
    expect_invalid(R"({"userName":"u","emails":[{"value":"a","primary":true},
        {"value":"b","primary":true}]})");
    expect_invalid(R"({"userName":"u","userName2":"x"})");
    expect_invalid(R"({"userName":"u","USERNAME":"v"})");
    expect_invalid(R"({"userName":"u","urn:example:other:1.0:User:x":"y"})");
    expect_invalid(R"({"userName":"u",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"notobject"})");
    expect_invalid(R"({"userName":"u",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"nosuch":1}})");
    expect_invalid(R"({"members":[]})", "Group");
    expect_invalid(R"({"displayName":"G","members":[{"value":"u","bogus":1}]})", "Group");
    expect_invalid(R"({"displayName":"G","userName":"x"})", "Group");
}

TEST_F(ValidateTest, CompatSwitchesOff) {
    compat_options strict;
    strict.string_booleans = false;
    strict.manager_as_string = false;
    EXPECT_FALSE(
        run(R"({"userName":"u","active":"True"})", "User", validation_mode::create, strict));
    EXPECT_FALSE(run(
        R"({"userName":"u","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m"}})",
        "User", validation_mode::create, strict));
}

TEST_F(ValidateTest, SingleValueOfMultiValuedIsWrapped) {
    auto r = run(R"({"userName":"u","emails":{"value":"a@x"}})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->at("emails"), json::parse(R"([{"value":"a@x"}])"));
}

TEST_F(ValidateTest, IsIdempotent) {
    auto r = run(R"({"userName":"u","emails":[{"value":"a","primary":"true"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m"})");
    ASSERT_TRUE(r) << r.error().detail;
    json::object again = *r;
    ASSERT_TRUE(validate_resource(again, *reg.find_by_id("User"), {}, validation_mode::patched));
    EXPECT_EQ(again, *r);
}

}  // namespace
}  // namespace orgscim::scim
