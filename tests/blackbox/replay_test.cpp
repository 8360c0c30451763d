// Replays recorded interactions against the real `orgscim serve`: every file under fixtures/ is
// one sequence of requests with the status and (partial) body each must produce. A new case is
// a new file. Format: docs/testing.md.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "pg_cluster.hpp"
#include "server_launcher.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace orgscim::testing;

namespace {

bool iequals_ascii(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string substitute(std::string s, const std::map<std::string, std::string>& vars) {
    for (auto pos = s.find("${"); pos != std::string::npos; pos = s.find("${", pos)) {
        auto end = s.find('}', pos);
        if (end == std::string::npos) break;
        auto name = s.substr(pos + 2, end - pos - 2);
        auto it = vars.find(name);
        if (it == vars.end()) {
            pos = end;
            continue;
        }
        s.replace(pos, end - pos + 1, it->second);
        pos += it->second.size();
    }
    return s;
}

json::value substitute(const json::value& v, const std::map<std::string, std::string>& vars) {
    if (v.is_string()) return json::string(substitute(std::string(v.as_string()), vars));
    if (v.is_array()) {
        json::array a;
        for (const auto& e : v.as_array()) a.push_back(substitute(e, vars));
        return a;
    }
    if (v.is_object()) {
        json::object o;
        for (const auto& kv : v.as_object()) o[kv.key()] = substitute(kv.value(), vars);
        return o;
    }
    return v;
}

// Partial match: objects are subsets ("$absent" forbids a key), arrays match element-wise with
// the same length, "$any" matches any value; "$count:N" on an array checks only its length.
void expect_match(const json::value& expected,
                  const json::value* actual,
                  const std::string& at,
                  std::vector<std::string>& errors) {
    if (expected.is_string() && expected.as_string() == "$absent") {
        if (actual) errors.push_back(at + ": expected absent, got " + json::serialize(*actual));
        return;
    }
    if (!actual) {
        errors.push_back(at + ": missing, expected " + json::serialize(expected));
        return;
    }
    if (expected.is_string() && expected.as_string() == "$any") return;
    if (expected.is_string() && expected.as_string().starts_with("$count:")) {
        auto n = std::stoul(std::string(expected.as_string().subview().substr(7)));
        if (!actual->is_array() || actual->as_array().size() != n) {
            errors.push_back(at + ": expected an array of " + std::to_string(n) + ", got " +
                             json::serialize(*actual));
        }
        return;
    }
    if (expected.is_object()) {
        if (!actual->is_object()) {
            errors.push_back(at + ": expected object, got " + json::serialize(*actual));
            return;
        }
        for (const auto& kv : expected.as_object()) {
            expect_match(kv.value(), actual->as_object().if_contains(kv.key()),
                         at + "." + std::string(kv.key()), errors);
        }
        return;
    }
    if (expected.is_array()) {
        if (!actual->is_array() || actual->as_array().size() != expected.as_array().size()) {
            errors.push_back(at + ": expected " + json::serialize(expected) + ", got " +
                             json::serialize(*actual));
            return;
        }
        for (std::size_t i = 0; i < expected.as_array().size(); ++i) {
            expect_match(expected.as_array()[i], &actual->as_array()[i],
                         at + "[" + std::to_string(i) + "]", errors);
        }
        return;
    }
    if (expected.is_number() && actual->is_number()) {
        if (expected.to_number<double>() != actual->to_number<double>()) {
            errors.push_back(at + ": expected " + json::serialize(expected) + ", got " +
                             json::serialize(*actual));
        }
        return;
    }
    if (expected != *actual) {
        errors.push_back(at + ": expected " + json::serialize(expected) + ", got " +
                         json::serialize(*actual));
    }
}

const json::value* at_path(const json::value& v, std::string_view path) {
    const json::value* cur = &v;
    while (!path.empty() && cur) {
        auto dot = path.find('.');
        auto key = path.substr(0, dot);
        path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
        if (cur->is_object()) {
            cur = cur->as_object().if_contains(key);
        } else if (cur->is_array()) {
            auto i = std::stoul(std::string(key));
            cur = i < cur->as_array().size() ? &cur->as_array()[i] : nullptr;
        } else {
            cur = nullptr;
        }
    }
    return cur;
}

std::vector<std::string> fixture_files() {
    std::vector<std::string> out;
    fs::path root = fs::path(ORGSCIM_SOURCE_DIR) / "tests/blackbox/fixtures";
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file() && e.path().extension() == ".json") {
            out.push_back(fs::relative(e.path(), root).string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

// (backend, fixture file): every sequence runs on SQLite and on PostgreSQL (issue 7), so both
// backends answer the same requests the same way.
using replay_case = std::tuple<std::string, std::string>;

class replay : public ::testing::TestWithParam<replay_case> {
  protected:
    void SetUp() override {
        const auto& backend = std::get<0>(GetParam());
        if (backend == "sqlite") {
            server_ = std::make_unique<orgscim_server>();
            return;
        }
        std::string why;
        auto* pg = pg_cluster::shared(&why);
        if (!pg) {
            if (ci_requires_services()) FAIL() << "PostgreSQL did not start: " << why;
            GTEST_SKIP() << "PostgreSQL unavailable: " << why;
        }
        ::setenv("ORGSCIM_REPLAY_PG_URI", pg->create_database().c_str(), 1);
        server_ = std::make_unique<orgscim_server>(std::vector<std::string>{},
                                                   R"({"storage":{"backend":"postgresql",
                           "postgresql":{"uri_env":"ORGSCIM_REPLAY_PG_URI"}}})");
    }
    std::string fixture_of_case() const { return std::get<1>(GetParam()); }
    std::unique_ptr<orgscim_server> server_;
};

TEST_P(replay, sequence) {
    const std::string fixture = fixture_of_case();
    fs::path file = fs::path(ORGSCIM_SOURCE_DIR) / "tests/blackbox/fixtures" / fixture;
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    auto doc = json::parse(ss.str());
    auto t = server_->new_tenant(fixture);
    auto other = server_->new_tenant(fixture + "-other");
    std::map<std::string, std::string> vars{
        {"org", t.org}, {"token", t.token}, {"other_org", other.org}, {"other_token", other.token}};
    http_client client("127.0.0.1", server_->port());
    std::size_t n = 0;
    for (const auto& step_v : doc.at("steps").as_array()) {
        const auto& step = step_v.as_object();
        std::string label = fixture + " step " + std::to_string(n++);
        if (auto* d = step.if_contains("name")) label += " (" + std::string(d->as_string()) + ")";
        std::string method(step.at("method").as_string());
        std::string path = substitute(std::string(step.at("path").as_string()), vars);
        std::string prefix = "/scim/v2";
        if (auto* p = step.if_contains("prefix")) {
            prefix = substitute(std::string(p->as_string()), vars);
        }
        std::vector<std::pair<std::string, std::string>> headers;
        bool auth = true;
        if (auto* a = step.if_contains("auth")) auth = a->as_bool();
        if (auth) headers.emplace_back("Authorization", "Bearer " + t.token);
        if (auto* h = step.if_contains("headers")) {
            for (const auto& kv : h->as_object()) {
                auto v = substitute(std::string(kv.value().as_string()), vars);
                std::erase_if(headers, [&](auto& p) { return iequals_ascii(p.first, kv.key()); });
                headers.emplace_back(std::string(kv.key()), v);
            }
        }
        std::string body;
        if (auto* r = step.if_contains("request")) body = json::serialize(substitute(*r, vars));
        if (auto* r = step.if_contains("raw_body")) body = std::string(r->as_string());
        if (auto* r = step.if_contains("body_bytes")) body.assign(r->to_number<std::size_t>(), 'x');
        if (!body.empty() && !step.contains("headers")) {
            headers.emplace_back("Content-Type", "application/scim+json");
        } else if (!body.empty()) {
            bool has_ct = false;
            for (auto& h : headers) has_ct = has_ct || iequals_ascii(h.first, "Content-Type");
            if (!has_ct) headers.emplace_back("Content-Type", "application/scim+json");
        }
        auto reply = client.request(method, encode_query(prefix + path), headers, body);
        const auto& want = step.at("status");
        if (want.is_string() && want.as_string() == "$4xx") {
            EXPECT_TRUE(reply.status >= 400 && reply.status < 500)
                << label << ": status " << reply.status;
        } else {
            EXPECT_EQ(reply.status, want.to_number<int>())
                << label << "\nbody: " << reply.body.substr(0, 2000);
        }
        if (auto* eh = step.if_contains("response_headers")) {
            for (const auto& kv : eh->as_object()) {
                auto got = reply.header(kv.key());
                std::string exp = substitute(std::string(kv.value().as_string()), vars);
                if (exp == "$any") {
                    EXPECT_FALSE(got.empty()) << label << ": header " << kv.key();
                } else if (exp == "$absent") {
                    EXPECT_TRUE(got.empty()) << label << ": header " << kv.key();
                } else {
                    EXPECT_EQ(got, exp) << label << ": header " << kv.key();
                }
            }
        }
        json::value actual;
        if (!reply.body.empty()) {
            boost::system::error_code ec;
            actual = json::parse(reply.body, ec);
            if (ec && step.contains("response")) ADD_FAILURE() << label << ": body not JSON";
        }
        if (auto* er = step.if_contains("response")) {
            std::vector<std::string> errors;
            expect_match(substitute(*er, vars), &actual, "$", errors);
            for (const auto& e : errors) ADD_FAILURE() << label << ": " << e;
        }
        if (auto* c = step.if_contains("capture")) {
            for (const auto& kv : c->as_object()) {
                const json::value* v = at_path(actual, kv.value().as_string());
                ASSERT_TRUE(v) << label << ": nothing to capture at " << kv.value();
                vars[std::string(kv.key())] =
                    v->is_string() ? std::string(v->as_string()) : json::serialize(*v);
            }
        }
        if (auto* c = step.if_contains("capture_headers")) {
            for (const auto& kv : c->as_object()) {
                vars[std::string(kv.key())] = reply.header(kv.value().as_string());
            }
        }
        if (HasFatalFailure()) return;
    }
}

INSTANTIATE_TEST_SUITE_P(fixtures,
                         replay,
                         ::testing::Combine(::testing::Values("sqlite", "postgresql"),
                                            ::testing::ValuesIn(fixture_files())),
                         [](const auto& info) {
                             std::string n =
                                 std::get<0>(info.param) + "_" + std::get<1>(info.param);
                             for (auto& c : n) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return n;
                         });

}  // namespace
