// Table-driven filter tests: tests/fixtures/filter/*.json. Each file is
// {"resources": {name: wire-form resource}, "rows": [row...]} where a row is one of
//   {"source": f, "error": "invalidFilter"}                       parse or bind must fail
//   {"source": f, "tree": "(and (eq userName \"x\") (pr title))"}  parse tree after bind
//   {"source": f, "resource": name | {...}, "matches": bool}       evaluation
// with an optional "type": "Group" (default "User").
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/json.hpp>
#include <orgscim/scim/schema.hpp>
#include <random>
#include <sstream>

namespace orgscim::scim {
namespace {

namespace json = boost::json;

std::string op_text(compare_op op) {
    static const char* names[] = {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"};
    return names[static_cast<int>(op)];
}

std::string tree(const filter_node& f) {
    return std::visit(
        [](const auto& n) -> std::string {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, comparison>) {
                std::string s = "(" + op_text(n.op) + " " + n.path.to_string();
                if (n.op != compare_op::pr) s += " " + json::serialize(n.value);
                return s + ")";
            } else if constexpr (std::is_same_v<T, logical>) {
                return std::string("(") + (n.op == logical::and_ ? "and " : "or ") + tree(*n.lhs) +
                       " " + tree(*n.rhs) + ")";
            } else if constexpr (std::is_same_v<T, negation>) {
                return "(not " + tree(*n.inner) + ")";
            } else {
                return "(" + n.path.to_string() + "[] " + tree(*n.inner) + ")";
            }
        },
        f.v);
}

struct fixture_row {
    std::string file;
    std::size_t index = 0;
    json::object row;
    json::object resources;
};

void PrintTo(const fixture_row& r, std::ostream* os) { *os << r.file << " row " << r.index; }

std::vector<fixture_row> load_rows() {
    std::vector<fixture_row> rows;
    const std::filesystem::path dir =
        std::filesystem::path(ORGSCIM_SOURCE_DIR) / "tests" / "fixtures" / "filter";
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
        const auto& o = doc->as_object();
        json::object resources;
        if (auto* r = o.if_contains("resources")) resources = r->as_object();
        std::size_t i = 0;
        for (const auto& row : o.at("rows").as_array())
            rows.push_back({p.filename().string(), i++, row.as_object(), resources});
    }
    return rows;
}

class FilterFixture : public ::testing::TestWithParam<fixture_row> {
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
schema_registry* FilterFixture::reg = nullptr;

TEST_P(FilterFixture, Row) {
    const auto& r = GetParam();
    const auto& row = r.row;
    const std::string source(row.at("source").as_string());
    SCOPED_TRACE(r.file + " row " + std::to_string(r.index) + ": " + source);
    std::string type_name = "User";
    if (auto* t = row.if_contains("type")) type_name = t->as_string();
    const resource_type* type = reg->find_by_id(type_name);
    ASSERT_NE(type, nullptr);

    auto parsed = parse_filter(source);
    result<void> bound = parsed ? bind(**parsed, *type) : result<void>(parsed.error());
    if (auto* e = row.if_contains("error")) {
        ASSERT_FALSE(bound) << "expected an error, parsed as " << tree(**parsed);
        EXPECT_EQ(bound.error().status, 400);
        EXPECT_EQ(to_string(bound.error().type), e->as_string());
        EXPECT_FALSE(bound.error().detail.empty());
        return;
    }
    ASSERT_TRUE(bound) << bound.error().detail;
    if (auto* t = row.if_contains("tree")) {
        EXPECT_EQ(tree(**parsed), t->as_string());
    }
    if (auto* m = row.if_contains("matches")) {
        const json::value& res = row.at("resource");
        const json::object& obj =
            res.is_string() ? r.resources.at(res.as_string()).as_object() : res.as_object();
        EXPECT_EQ(matches(**parsed, obj), m->as_bool());
    }
}

std::string row_name(const ::testing::TestParamInfo<fixture_row>& info) {
    std::string n = info.param.file.substr(0, info.param.file.find('.')) + "_" +
                    std::to_string(info.param.index);
    for (char& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return n;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FilterFixture, ::testing::ValuesIn(load_rows()), row_name);

TEST(FilterFixtures, EnoughRows) { EXPECT_GE(load_rows().size(), 80u); }

TEST(FilterParse, NumbersKeepTheirJsonType) {
    auto value_of = [](std::string_view src) {
        auto f = parse_filter(src);
        EXPECT_TRUE(f) << src;
        return f ? std::get<comparison>((*f)->v).value : json::value();
    };
    EXPECT_EQ(value_of("x eq 42"), json::value(42));
    EXPECT_EQ(value_of("x eq -7"), json::value(-7));
    EXPECT_EQ(value_of("x eq 0"), json::value(0));
    EXPECT_EQ(value_of("x eq -1.5e3"), json::value(-1500.0));
    EXPECT_EQ(value_of("x eq 2.25"), json::value(2.25));
    EXPECT_TRUE(value_of("x eq 99999999999999999999").is_double());
    EXPECT_FALSE(parse_filter("x eq 1e"));
    EXPECT_FALSE(parse_filter("x eq -"));
    EXPECT_FALSE(parse_filter("x eq +1"));
    EXPECT_FALSE(parse_filter("x eq 1e999"));
}

TEST(FilterLimits, LengthDepthTerms) {
    filter_limits lim;
    lim.max_length = 30;
    auto r = parse_filter(std::string(31, 'a'), lim);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().type, scim_type::invalid_filter);
    lim = {};
    lim.max_depth = 3;
    EXPECT_TRUE(parse_filter("((( userName pr )))", lim));
    EXPECT_FALSE(parse_filter("(((( userName pr ))))", lim));
    EXPECT_FALSE(parse_filter("not(not(not(not(userName pr))))", lim));
    lim = {};
    lim.max_terms = 3;
    EXPECT_TRUE(parse_filter("a pr and b pr and c pr", lim));
    EXPECT_FALSE(parse_filter("a pr and b pr and c pr and d pr", lim));
    EXPECT_FALSE(parse_filter("emails[type eq \"a\" and value pr and primary pr].value pr", lim));
}

TEST(FilterLimits, DefaultDepthStopsDeepNesting) {
    std::string deep(10000, '(');
    deep += "userName pr" + std::string(10000, ')');
    filter_limits lim;
    lim.max_length = 100000;
    auto r = parse_filter(deep, lim);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().detail.find("nesting"), std::string::npos);
}

// Garbage, truncations and mutations of valid filters: the parser must answer (ok or
// invalidFilter), never crash or throw. Run under ASan/UBSan in CI for full value.
TEST(FilterFuzz, NeverCrashes) {
    schema_registry reg;
    register_core_schemas(reg);
    const resource_type& user = *reg.find_by_id("User");
    const std::vector<std::string> seeds = {
        R"(userName eq "bjensen")",
        R"(emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp"])",
        R"(not (title pr) and (userType eq "Employee" or userType eq "Intern"))",
        R"(meta.lastModified gt "2011-05-13T04:42:34Z" and name.familyName sw "J\u00e9")",
        R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x")",
        R"(emails[type eq "work"].value ew ".org" and active eq true and x509Certificates pr)",
    };
    const std::string alphabet = "abcdeqnotrp ()[]\"\\.:-_01239 eEuU\x01\xC3\xA9\xFF";
    std::mt19937 rng(12345);
    json::object res{{"userName", "bjensen"}, {"title", "x"}, {"active", true}};
    std::size_t ok = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        std::string s = seeds[rng() % seeds.size()];
        switch (rng() % 4) {
            case 0:
                s = s.substr(0, rng() % (s.size() + 1));
                break;
            case 1:
                s[rng() % s.size()] = alphabet[rng() % alphabet.size()];
                break;
            case 2:
                s.insert(rng() % (s.size() + 1), 1, alphabet[rng() % alphabet.size()]);
                break;
            default: {
                s.clear();
                const std::size_t n = rng() % 40;
                for (std::size_t i = 0; i < n; ++i) s.push_back(alphabet[rng() % alphabet.size()]);
            }
        }
        auto f = parse_filter(s);
        if (!f) {
            EXPECT_EQ(f.error().type, scim_type::invalid_filter) << s;
            continue;
        }
        if (bind(**f, user)) {
            (void)matches(**f, res);
            ++ok;
        }
    }
    EXPECT_GT(ok, 100u);  // the mutations keep a fair share of valid filters
}

}  // namespace
}  // namespace orgscim::scim
