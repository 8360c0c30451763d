// Table-driven PATCH tests: tests/fixtures/patch/*.json, each {"rows": [row...]} with
//   {"name": ..., "type": "User"|"Group" (default User), "resource": {stored form},
//    "patch": {PatchOp body}, "compat": {switch: bool} (optional),
//    "members_in_json": true (optional: Group members are in the JSON, members == nullptr),
//    "expected": {stored form} | "error": {"status": 400, "scimType": "mutability"},
//    "member_delta": {"clear_all": bool, "add": [...], "remove": [...]} (optional),
//    "needs_member_list": bool (optional)}
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <orgscim/scim/json.hpp>
#include <orgscim/scim/patch.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/validate.hpp>
#include <random>
#include <sstream>

namespace orgscim::scim {
namespace {

namespace json = boost::json;

struct patch_row {
    std::string file;
    std::size_t index = 0;
    json::object row;
};

void PrintTo(const patch_row& r, std::ostream* os) { *os << r.file << " row " << r.index; }

std::vector<patch_row> load_rows() {
    std::vector<patch_row> rows;
    const auto dir = std::filesystem::path(ORGSCIM_SOURCE_DIR) / "tests" / "fixtures" / "patch";
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        auto doc = parse_json(ss.str(), 64);
        if (!doc) throw std::runtime_error(p.string() + ": " + doc.error().detail);
        std::size_t i = 0;
        for (const auto& row : doc->at("rows").as_array())
            rows.push_back({p.filename().string(), i++, row.as_object()});
    }
    return rows;
}

compat_options compat_from(const json::object& row) {
    compat_options c;
    const auto* o = row.if_contains("compat");
    if (!o) return c;
    for (const auto& kv : o->as_object()) {
        bool v = kv.value().as_bool();
        if (kv.key() == "case_insensitive_ops")
            c.case_insensitive_ops = v;
        else if (kv.key() == "string_booleans")
            c.string_booleans = v;
        else if (kv.key() == "remove_members_by_value_list")
            c.remove_members_by_value_list = v;
        else if (kv.key() == "idempotent_remove")
            c.idempotent_remove = v;
        else if (kv.key() == "manager_as_string")
            c.manager_as_string = v;
        else
            throw std::runtime_error("unknown compat switch " + std::string(kv.key()));
    }
    return c;
}

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

class PatchFixture : public ::testing::TestWithParam<patch_row> {
  protected:
    static void SetUpTestSuite() {
        reg = new schema_registry;
        register_core_schemas(*reg);
    }
    static void TearDownTestSuite() {
        delete reg;
        reg = nullptr;
    }
    static schema_registry* reg;
};
schema_registry* PatchFixture::reg = nullptr;

TEST_P(PatchFixture, Row) {
    const auto& row = GetParam().row;
    SCOPED_TRACE(GetParam().file + " row " + std::to_string(GetParam().index) + ": " +
                 std::string(row.at("name").as_string()));
    std::string type_name = "User";
    if (auto* t = row.if_contains("type")) type_name = t->as_string();
    const resource_type* type = reg->find_by_id(type_name);
    ASSERT_NE(type, nullptr);
    const compat_options compat = compat_from(row);
    json::object resource = row.at("resource").as_object();
    const json::object original = resource;

    member_delta delta;
    const bool in_json = row.if_contains("members_in_json") != nullptr;
    member_delta* members = (type_name == "Group" && !in_json) ? &delta : nullptr;

    auto req = parse_patch(row.at("patch"), *type, compat);
    result<void> applied =
        req ? apply_patch(resource, *req, *type, compat, members) : result<void>(req.error());
    if (auto* e = row.if_contains("error")) {
        ASSERT_FALSE(applied) << "expected an error, got " << json::serialize(resource);
        EXPECT_EQ(applied.error().status, e->at("status").as_int64());
        if (auto* st = e->as_object().if_contains("scimType")) {
            EXPECT_EQ(to_string(applied.error().type), st->as_string()) << applied.error().detail;
        }
        EXPECT_FALSE(applied.error().detail.empty());
        EXPECT_EQ(resource, original) << "a failed PATCH must leave the resource unchanged";
        return;
    }
    ASSERT_TRUE(applied) << applied.error().detail;
    if (auto* nm = row.if_contains("needs_member_list")) {
        EXPECT_EQ(needs_member_list(*req), nm->as_bool());
    }
    if (auto* x = row.if_contains("expected")) {
        EXPECT_EQ(json::value(resource), *x) << "got " << json::serialize(resource);
    }
    if (auto* md = row.if_contains("member_delta")) {
        const auto& m = md->as_object();
        bool clear = false;
        if (auto* c = m.if_contains("clear_all")) clear = c->as_bool();
        EXPECT_EQ(delta.clear_all, clear);
        json::array none;
        EXPECT_EQ(strings(delta.add), m.contains("add") ? m.at("add").as_array() : none);
        EXPECT_EQ(strings(delta.remove), m.contains("remove") ? m.at("remove").as_array() : none);
    } else if (members) {
        EXPECT_FALSE(delta.touched());
    }
}

std::string row_name(const ::testing::TestParamInfo<patch_row>& info) {
    std::string n = info.param.file.substr(0, info.param.file.find('.')) + "_" +
                    std::to_string(info.param.index);
    for (char& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return n;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PatchFixture, ::testing::ValuesIn(load_rows()), row_name);

TEST(PatchFixtures, EnoughRows) { EXPECT_GE(load_rows().size(), 50u); }

// Random operation lists over a pool of paths and values: every outcome is either a clean error
// that leaves the resource untouched or a resource that is already in normalized stored form.
TEST(PatchFuzz, ErrorsLeaveResourceUntouchedAndResultsAreNormalized) {
    schema_registry reg;
    register_core_schemas(reg);
    const resource_type& user = *reg.find_by_id("User");
    const std::vector<std::string> paths = {
        "",
        "userName",
        "displayName",
        "name",
        "name.givenName",
        "emails",
        "emails[type eq \"work\"]",
        "emails[type eq \"work\"].value",
        "emails[value co \"x\"].primary",
        "emails.value",
        "active",
        "id",
        "groups",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "nosuch",
        "emails[",
        "x509Certificates",
        "password",
        "externalId",
        "addresses[type eq \"home\"].locality"};
    const std::vector<json::value> values = {
        json::value("x"),
        json::value(true),
        json::value("False"),
        json::value(nullptr),
        json::value(7),
        json::parse(R"({"givenName":"G","familyName":"F"})"),
        json::parse(R"([{"value":"a@x","type":"work","primary":true},{"value":"b@x"}])"),
        json::parse(R"({"value":"c@x","type":"home"})"),
        json::parse(
            R"({"name.givenName":"Q","active":"True","emails[type eq \"work\"].value":"w"})"),
        json::parse(
            R"({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m"}})"),
        json::parse(R"([{"value":"a@x"}])"),
        json::array(),
        json::object()};
    const char* ops[] = {"add", "Replace", "remove", "bogus"};
    std::mt19937 rng(7);
    const json::object start = json::parse(R"({"userName":"u","emails":[{"value":"a@x",
        "type":"work"}],"name":{"givenName":"A"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
        {"department":"D"}})")
                                   .as_object();
    std::size_t succeeded = 0;
    for (int iter = 0; iter < 3000; ++iter) {
        json::array list;
        const std::size_t n = 1 + rng() % 3;
        for (std::size_t i = 0; i < n; ++i) {
            json::object o;
            o["op"] = ops[rng() % 4];
            const auto& p = paths[rng() % paths.size()];
            if (!p.empty()) o["path"] = p;
            if (rng() % 5) o["value"] = values[rng() % values.size()];
            list.push_back(std::move(o));
        }
        json::value body = {{"schemas", json::array{patch_op_urn}}, {"Operations", list}};
        json::object res = start;
        auto req = parse_patch(body, user, {});
        if (!req) {
            EXPECT_EQ(req.error().status, 400);
            continue;
        }
        auto r = apply_patch(res, *req, user, {}, nullptr);
        if (!r) {
            EXPECT_EQ(r.error().status, 400) << json::serialize(body) << r.error().detail;
            EXPECT_EQ(res, start) << json::serialize(body);
            continue;
        }
        ++succeeded;
        json::object again = res;
        ASSERT_TRUE(validate_resource(again, user, {}, validation_mode::patched))
            << json::serialize(body);
        EXPECT_EQ(again, res) << json::serialize(body);
    }
    EXPECT_GT(succeeded, 300u);
}

}  // namespace
}  // namespace orgscim::scim
