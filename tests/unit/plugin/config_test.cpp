#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <orgscim/plugin/config.hpp>

namespace {

using namespace orgscim::plugin;
using ::testing::HasSubstr;

config load(std::string_view text) { return load_config(boost::json::parse(text)); }

std::vector<std::string> errors_of(std::string_view text) {
    try {
        load(text);
    } catch (const config_error& e) {
        return e.errors();
    }
    return {};
}

TEST(config, empty_document_gives_defaults) {
    const auto c = load("{}");
    EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
    EXPECT_EQ(c.server.max_body_bytes, 1048576u);
    EXPECT_EQ(c.server.credential_cache_ms, 5000u);
    EXPECT_EQ(c.storage.backend, "sqlite");
    EXPECT_EQ(c.storage.sqlite.path, "orgscim.db");
    EXPECT_TRUE(c.storage.sqlite.write_coroutines);
    EXPECT_EQ(c.public_base_url, "http://127.0.0.1:8080");
    EXPECT_EQ(c.base_path, "");
    EXPECT_EQ(c.scim.default_count, 100);
}

TEST(config, write_threads_default_by_backend_and_a_set_value_wins) {
    EXPECT_EQ(load("{}").server.write_threads, 8u);
    EXPECT_EQ(load(R"({"storage": {"backend": "postgresql"}})").server.write_threads, 0u);
    EXPECT_EQ(load(R"({"server": {"threads": 2}, "storage": {"backend": "postgresql"}})")
                  .server.write_threads,
              0u);
    EXPECT_EQ(load(R"({"server": {"write_threads": 3}, "storage": {"backend": "postgresql"}})")
                  .server.write_threads,
              3u);
    EXPECT_EQ(load(R"({"server": {"write_threads": 0}})").server.write_threads, 0u);
}

TEST(config, every_key_is_read) {
    const auto c = load(R"({
      "public_base_url": "https://idp.example.com",
      "base_path": "/api/scim",
      "server": {"listen": "[::1]:0", "threads": 3, "write_threads": 0, "max_body_bytes": 2097152,
                 "max_header_bytes": 16384, "read_timeout_ms": 100, "idle_timeout_ms": 200,
                 "shutdown_grace_ms": 300, "credential_cache_ms": 0, "access_log": false},
      "storage": {"backend": "postgresql",
                  "sqlite": {"path": "x.db", "busy_timeout_ms": 7, "synchronous": "full",
                             "write_coroutines": false},
                  "postgresql": {"uri_env": "PGURI", "pool_size": 3, "connect_timeout_ms": 4,
                                 "statement_timeout_ms": 5}},
      "scim": {"default_count": 10, "max_results": 20, "max_filter_length": 300,
               "max_json_depth": 16, "bulk": {"max_operations": 5, "max_payload_bytes": 4096},
               "compat": {"case_insensitive_ops": false, "string_booleans": false,
                          "remove_members_by_value_list": false, "idempotent_remove": false,
                          "manager_as_string": false}}
    })");
    EXPECT_EQ(c.public_base_url, "https://idp.example.com");
    EXPECT_EQ(c.base_path, "/api/scim");
    EXPECT_EQ(c.server.listen, "[::1]:0");
    EXPECT_EQ(c.server.threads, 3u);
    EXPECT_EQ(c.server.write_threads, 0u);
    EXPECT_EQ(c.server.max_body_bytes, 2097152u);
    EXPECT_EQ(c.server.max_header_bytes, 16384u);
    EXPECT_EQ(c.server.read_timeout_ms, 100u);
    EXPECT_EQ(c.server.idle_timeout_ms, 200u);
    EXPECT_EQ(c.server.shutdown_grace_ms, 300u);
    EXPECT_EQ(c.server.credential_cache_ms, 0u);
    EXPECT_FALSE(c.server.access_log);
    EXPECT_EQ(c.storage.backend, "postgresql");
    EXPECT_EQ(c.storage.sqlite.path, "x.db");
    EXPECT_EQ(c.storage.sqlite.busy_timeout_ms, 7u);
    EXPECT_EQ(c.storage.sqlite.synchronous, "full");
    EXPECT_FALSE(c.storage.sqlite.write_coroutines);
    EXPECT_EQ(c.storage.postgresql.uri_env, "PGURI");
    EXPECT_EQ(c.storage.postgresql.pool_size, 3u);
    EXPECT_EQ(c.storage.postgresql.connect_timeout_ms, 4u);
    EXPECT_EQ(c.storage.postgresql.statement_timeout_ms, 5u);
    EXPECT_EQ(c.scim.default_count, 10);
    EXPECT_EQ(c.scim.max_results, 20);
    EXPECT_EQ(c.scim.max_filter_length, 300u);
    EXPECT_EQ(c.scim.max_json_depth, 16u);
    EXPECT_EQ(c.scim.bulk.max_operations, 5u);
    EXPECT_EQ(c.scim.bulk.max_payload_bytes, 4096u);
    EXPECT_FALSE(c.scim.compat.case_insensitive_ops);
    EXPECT_FALSE(c.scim.compat.string_booleans);
    EXPECT_FALSE(c.scim.compat.remove_members_by_value_list);
    EXPECT_FALSE(c.scim.compat.idempotent_remove);
    EXPECT_FALSE(c.scim.compat.manager_as_string);
}

struct bad_case {
    const char* doc;
    const char* expected;  // the exact error line
};

class bad_config : public ::testing::TestWithParam<bad_case> {};

TEST_P(bad_config, names_the_path) {
    const auto errors = errors_of(GetParam().doc);
    ASSERT_FALSE(errors.empty()) << GetParam().doc;
    EXPECT_THAT(errors, ::testing::Contains(std::string(GetParam().expected)))
        << "got: " << ::testing::PrintToString(errors);
}

INSTANTIATE_TEST_SUITE_P(
    table,
    bad_config,
    ::testing::Values(
        bad_case{"[]", "(document): expected object"},
        bad_case{R"({"foo": 1})", "foo: unknown key"},
        bad_case{R"({"server": 1})", "server: expected object"},
        bad_case{R"({"server": {"threads": -1}})", "server.threads: expected unsigned integer"},
        bad_case{R"({"server": {"threads": "2"}})", "server.threads: expected unsigned integer"},
        bad_case{R"({"server": {"threads": 1.5}})", "server.threads: expected unsigned integer"},
        bad_case{R"({"server": {"threads": 5000}})", "server.threads: must be between 0 and 1024"},
        bad_case{R"({"server": {"write_threads": -2}})",
                 "server.write_threads: expected unsigned integer"},
        bad_case{R"({"server": {"write_threads": 2000}})",
                 "server.write_threads: must be between 0 and 1024"},
        bad_case{R"({"server": {"listen": "localhost"}})",
                 "server.listen: expected HOST:PORT (e.g. \"127.0.0.1:8080\", \"[::1]:8080\")"},
        bad_case{R"({"server": {"listen": "1.2.3.4:70000"}})",
                 "server.listen: expected HOST:PORT (e.g. \"127.0.0.1:8080\", \"[::1]:8080\")"},
        bad_case{R"({"server": {"listen": 8080}})", "server.listen: expected string"},
        bad_case{R"({"server": {"max_body_bytes": 0}})",
                 "server.max_body_bytes: must be between 1024 and 1073741824"},
        bad_case{R"({"server": {"read_timeout_ms": 0}})",
                 "server.read_timeout_ms: must be between 1 and 86400000"},
        bad_case{R"({"server": {"access_log": "yes"}})", "server.access_log: expected boolean"},
        bad_case{R"({"server": {"credential_cache_ms": -1}})",
                 "server.credential_cache_ms: expected unsigned integer"},
        bad_case{R"({"server": {"credential_cache_ms": 1.5}})",
                 "server.credential_cache_ms: expected unsigned integer"},
        bad_case{R"({"server": {"credential_cache_ms": "5000"}})",
                 "server.credential_cache_ms: expected unsigned integer"},
        bad_case{R"({"server": {"credential_cache_ms": 60001}})",
                 "server.credential_cache_ms: must be between 0 and 60000"},
        bad_case{R"({"server": {"credential_cache_ms": 18446744073709551615}})",
                 "server.credential_cache_ms: must be between 0 and 60000"},
        bad_case{R"({"server": {"timeout": 1}})", "server.timeout: unknown key"},
        bad_case{
            R"({"storage": {"backend": "mysql"}})",
            "storage.backend: unknown backend \"mysql\" (expected \"sqlite\" or \"postgresql\")"},
        bad_case{R"({"storage": {"sqlite": {"path": ""}}})",
                 "storage.sqlite.path: must not be empty"},
        bad_case{R"({"storage": {"sqlite": {"write_coroutines": 1}}})",
                 "storage.sqlite.write_coroutines: expected boolean"},
        bad_case{R"({"storage": {"sqlite": {"synchronous": "off"}}})",
                 "storage.sqlite.synchronous: expected \"normal\" or \"full\""},
        bad_case{R"({"storage": {"sqlite": {"journal": "wal"}}})",
                 "storage.sqlite.journal: unknown key"},
        bad_case{R"({"storage": {"postgresql": {"uri": "postgres://u:p@h/db"}}})",
                 "storage.postgresql.uri: unknown key"},
        bad_case{R"({"storage": {"postgresql": {"pool_size": 0}}})",
                 "storage.postgresql.pool_size: must be between 1 and 256"},
        bad_case{R"({"scim": {"default_count": 2000, "max_results": 1000}})",
                 "scim.default_count: must not exceed scim.max_results (1000)"},
        bad_case{R"({"scim": {"max_results": 0}})",
                 "scim.max_results: must be between 1 and 1000000"},
        bad_case{R"({"scim": {"bulk": {"max_ops": 1}}})", "scim.bulk.max_ops: unknown key"},
        bad_case{R"({"scim": {"bulk": {"max_payload_bytes": 4194304}}})",
                 "scim.bulk.max_payload_bytes: must not exceed server.max_body_bytes (1048576)"},
        bad_case{R"({"scim": {"compat": {"string_booleans": 1}}})",
                 "scim.compat.string_booleans: expected boolean"},
        bad_case{R"({"scim": {"compat": {"lenient": true}}})", "scim.compat.lenient: unknown key"},
        bad_case{R"({"oidc": 3})", "oidc: expected object"},
        bad_case{R"({"public_base_url": "example.com"})",
                 "public_base_url: expected an absolute http(s) URL"},
        bad_case{R"({"public_base_url": "ftp://example.com"})",
                 "public_base_url: scheme must be http or https"},
        bad_case{R"({"public_base_url": "https://example.com/"})",
                 "public_base_url: must not end with '/'"},
        bad_case{R"({"public_base_url": "https://example.com/x?y=1"})",
                 "public_base_url: must not have user info, a query or a fragment"},
        bad_case{R"({"public_base_url": 5})", "public_base_url: expected string"},
        bad_case{
            R"({"base_path": "api"})",
            "base_path: expected \"\" or a path like \"/api/scim\" (leading '/', no trailing '/')"},
        bad_case{
            R"({"base_path": "/api/"})",
            "base_path: expected \"\" or a path like \"/api/scim\" (leading '/', no trailing '/')"},
        bad_case{R"({"base_path": "/a/../b"})", "base_path: must be a normalized path"},
        bad_case{R"({"base_path": "/a b"})",
                 "base_path: only letters, digits, '/', '-', '_', '.' and '~' allowed"}));

TEST(config, collects_every_error_at_once) {
    const auto errors = errors_of(R"({"server": {"threads": "x", "bogus": 1},
                                      "storage": {"backend": "mysql"}, "zzz": 0})");
    EXPECT_EQ(errors.size(), 4u) << ::testing::PrintToString(errors);
    try {
        load(R"({"server": {"threads": "x"}, "zzz": 0})");
        FAIL();
    } catch (const config_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("server.threads: expected unsigned integer"));
        EXPECT_THAT(e.what(), HasSubstr("zzz: unknown key"));
    }
}

TEST(config, file_errors_name_the_file) {
    EXPECT_THROW(load_config_file("/nonexistent/orgscim.json"), config_error);
    const auto path = std::filesystem::temp_directory_path() / "orgscim-config-test-bad.json";
    {
        std::ofstream out(path);
        out << "{ \"server\": ";
    }
    try {
        load_config_file(path.string());
        FAIL() << "invalid JSON accepted";
    } catch (const config_error& e) {
        ASSERT_EQ(e.errors().size(), 1u);
        EXPECT_THAT(e.errors()[0], HasSubstr(path.string() + ": invalid JSON"));
    }
    std::filesystem::remove(path);
}

// Examples are tests: every examples/config/*.json must load (found at test time, so a new
// example is covered without touching this file).
TEST(config, every_example_loads) {
    const std::filesystem::path dir =
        std::filesystem::path(ORGSCIM_SOURCE_DIR) / "examples" / "config";
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        ++n;
        SCOPED_TRACE(entry.path().string());
        EXPECT_NO_THROW({
            try {
                load_config_file(entry.path().string());
            } catch (const config_error& e) {
                ADD_FAILURE() << e.what();
                throw;
            }
        });
    }
    EXPECT_GE(n, 3u);
}

}  // namespace
