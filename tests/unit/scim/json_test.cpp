#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <orgscim/scim/json.hpp>

namespace orgscim::scim {
namespace {

void expect_syntax_error(std::string_view text, std::string_view detail_part) {
    auto r = parse_json(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().type, scim_type::invalid_syntax);
    EXPECT_NE(r.error().detail.find(detail_part), std::string::npos) << r.error().detail;
}

TEST(ParseJson, AcceptsValidDocuments) {
    auto r = parse_json(R"({"userName":"bjensen","emails":[{"value":"a@b"}],"n":1.5,"x":null})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->at("userName").as_string(), "bjensen");
    EXPECT_EQ(r->at("emails").as_array().size(), 1u);
    EXPECT_TRUE(parse_json("  [1,2,3]  \n"));
    EXPECT_TRUE(parse_json("\"é\""));
    EXPECT_TRUE(parse_json(R"({"a":{"b":1},"b":{"b":2}})"));  // same name in sibling objects
}

TEST(ParseJson, RejectsDuplicateNames) {
    expect_syntax_error(R"({"userName":"a","userName":"b"})", "duplicate member name \"userName\"");
    expect_syntax_error(R"({"a":{"x":1,"y":2,"x":3}})", "duplicate member name \"x\"");
    expect_syntax_error(R"([{"k":1},{"k":1,"k":2}])", "duplicate");
    std::string big = "{";
    for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\":1,";
    big += "\"k7\":2}";
    expect_syntax_error(big, "duplicate member name \"k7\"");
}

TEST(ParseJson, RejectsDepthAboveLimit) {
    std::string deep(40, '[');
    deep += std::string(40, ']');
    expect_syntax_error(deep, "nesting deeper than 32");
    std::string ok(10, '[');
    ok += std::string(10, ']');
    EXPECT_TRUE(parse_json(ok));
    EXPECT_FALSE(parse_json(ok, 5));
}

TEST(ParseJson, RejectsInvalidUtf8) {
    expect_syntax_error("{\"a\":\"\xC3\"}", "UTF-8");
    expect_syntax_error("{\"a\":\"\xFF\"}", "UTF-8");
    expect_syntax_error("{\"\xC0\xAF\":1}", "UTF-8");
}

TEST(ParseJson, RejectsTrailingDataEmptyAndTruncated) {
    expect_syntax_error(R"({"a":1} x)", "unexpected data after the value");
    expect_syntax_error(R"({"a":1}{"b":2})", "unexpected data after the value");
    expect_syntax_error("", "empty");
    expect_syntax_error("   \n", "empty");
    expect_syntax_error(R"({"a":)", "ends before");
    expect_syntax_error(R"({"a":tru})", "malformed JSON");
    expect_syntax_error(R"({"a":1,})", "malformed JSON");
    expect_syntax_error(R"({'a':1})", "malformed JSON");
}

TEST(ParseJson, LargeInput) {
    std::string s = "{\"v\":\"" + std::string(100000, 'x') + "\"}";
    auto r = parse_json(s);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->at("v").as_string().size(), 100000u);
    std::string arr = "[";
    for (int i = 0; i < 20000; ++i) arr += "{\"value\":\"m" + std::to_string(i) + "\"},";
    arr.back() = ']';
    EXPECT_TRUE(parse_json(arr));
}

TEST(ParseJson, CostComparedWithBoostParse) {
    const std::string body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2",
      "userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","active":true,
      "emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b@testuser.com"}],
      "meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName",
      "familyName":"familyName","givenName":"givenName"},"roles":[],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1234",
      "department":"Sales","manager":{"value":"abc"}}})";
    constexpr int n = 20000;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) ASSERT_TRUE(parse_json(body));
    auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) ASSERT_FALSE(boost::json::parse(body).is_null());
    auto t2 = std::chrono::steady_clock::now();
    const double ours = std::chrono::duration<double, std::micro>(t1 - t0).count() / n;
    const double boost_only = std::chrono::duration<double, std::micro>(t2 - t1).count() / n;
    std::printf("parse_json %.2f us/body, boost::json::parse %.2f us/body\n", ours, boost_only);
    EXPECT_LT(ours, boost_only * 3 + 5);  // generous: shared CI machines are noisy
}

}  // namespace
}  // namespace orgscim::scim
