// `orgscim migrate`, `orgscim export` and `orgscim import-db` as an operator runs them to move an
// SQLite installation to PostgreSQL (docs/deployment.md): exit codes, --json, one-line errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <orgscim/testing/process.hpp>
#include <sstream>

#include "cli_fixture.hpp"
#include "pg_cluster.hpp"
#include "postgres/postgres_migrations.hpp"
#include "sqlite/sqlite_migrations.hpp"

namespace {

using orgscim::testing::run_command;
using orgscim::testing::temp_dir;
using ::testing::HasSubstr;

// The schema versions of this build: each migration adds one, so the lists say what the program
// reports without the test naming a number that the next migration changes.
int sqlite_version() { return static_cast<int>(orgscim::plugin::sqlite::migrations().size()); }
int postgres_version() { return static_cast<int>(orgscim::plugin::postgres::migrations().size()); }

// What `migrate --json` prints after applying migrations `first`..`version` (none when `first`
// is past `version`).
boost::json::value migrated(std::string_view backend, int first, int version) {
    boost::json::array applied;
    for (int v = first; v <= version; ++v) applied.emplace_back(v);
    return {{"backend", backend}, {"applied", std::move(applied)}, {"version", version}};
}

struct cli_transfer : orgscim::testing::cli_fixture {
    std::string db = dir.path() + "/old.db";
    std::string dump = dir.path() + "/orgscim.jsonl";

    static boost::json::value parsed(const std::string& out) { return boost::json::parse(out); }
    static int lines(const std::string& s) {
        return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
    }

    // A config file selecting a fresh database of the throwaway cluster; the URI is passed in the
    // environment (inherited by the orgscim child), as in production.
    std::string postgres_config() {
        std::string why;
        auto* cluster = orgscim::testing::pg_cluster::shared(&why);
        if (cluster == nullptr) {
            if (orgscim::testing::ci_requires_services())
                throw std::runtime_error("CI=true and PostgreSQL could not be started: " + why);
            return {};
        }
        static int n = 0;
        const std::string var = "ORGSCIM_TEST_CLI_PG_URI_" + std::to_string(++n);
        ::setenv(var.c_str(), cluster->create_database().c_str(), 1);
        const std::string path = dir.path() + "/pg" + std::to_string(n) + ".json";
        std::ofstream(path)
            << R"({"storage": {"backend": "postgresql", "postgresql": {"uri_env": ")" << var
            << R"("}}})";
        return path;
    }

    std::string read(const std::string& path) {
        std::ifstream in(path);
        std::ostringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
};

TEST_F(cli_transfer, help_and_usage_errors) {
    for (const char* cmd : {"migrate", "export", "import-db"}) {
        auto [rc, out] = run({cmd, "--help"});
        EXPECT_EQ(rc, 0) << cmd;
        EXPECT_THAT(out, HasSubstr(std::string("usage: orgscim ") + cmd)) << cmd;
    }
    EXPECT_THAT(run({"--help"}).second, HasSubstr("import-db"));
    for (std::vector<std::string> a : {std::vector<std::string>{"import-db", "--db", db},
                                       {"export", "--db", db, "--json"},
                                       {"migrate", "--bogus"},
                                       {"import-db", "a", "b"}}) {
        std::string err;
        EXPECT_EQ(run(a, &err).first, 2) << ::testing::PrintToString(a);
        EXPECT_THAT(err, ::testing::StartsWith("orgscim: "));
        EXPECT_EQ(lines(err), 1) << err;
    }
    const std::string bad = dir.path() + "/bad.json";
    std::ofstream(bad) << R"({"storage": {"backend": "mysql"}})";
    EXPECT_EQ(run({"migrate", "--config", bad}).first, 3);
    EXPECT_EQ(run({"import-db", "--config", bad, dump}).first, 3);
}

TEST_F(cli_transfer, migrate_prints_what_it_applied) {
    auto [rc, out] = run({"migrate", "--db", db, "--json"});
    ASSERT_EQ(rc, 0);
    EXPECT_EQ(parsed(out), migrated("sqlite", 1, sqlite_version()));
    auto [rc2, again] = run({"migrate", "--db", db, "--json"});
    ASSERT_EQ(rc2, 0);
    EXPECT_EQ(parsed(again), migrated("sqlite", sqlite_version() + 1, sqlite_version()));
    auto [rc3, plain] = run({"migrate", "--db", db});
    EXPECT_EQ(rc3, 0);
    EXPECT_EQ(plain, "sqlite: schema version " + std::to_string(sqlite_version()) +
                         ", nothing to apply\n");
    // The database a server then opens is the one migrate made.
    EXPECT_EQ(run({"orgs", "create", "--name", "after", "--db", db}).first, 0);
}

TEST_F(cli_transfer, export_of_a_missing_database_fails_without_a_file) {
    std::string err;
    EXPECT_EQ(run({"export", "--db", dir.path() + "/none.db", "--output", dump}, &err).first, 1);
    EXPECT_THAT(err, HasSubstr("cannot open SQLite database"));
    EXPECT_EQ(lines(err), 1) << err;
    EXPECT_FALSE(std::ifstream(dump).good());
    EXPECT_FALSE(std::ifstream(dump + ".partial").good());
}

TEST_F(cli_transfer, sqlite_installation_moves_to_postgresql) {
    const auto pg = postgres_config();
    if (pg.empty()) GTEST_SKIP() << "PostgreSQL could not be started (CI=true makes this fail)";

    auto [orc, org_out] = run({"orgs", "create", "--name", "acme", "--db", db, "--json"});
    ASSERT_EQ(orc, 0);
    const std::string org(parsed(org_out).at("id").as_string());
    ASSERT_EQ(run({"orgs", "create", "--name", "eu", "--parent", org, "--db", db}).first, 0);
    auto [trc, tok] = run({"tokens", "create", "--org", org, "--db", db, "--json"});
    ASSERT_EQ(trc, 0);
    const std::string token_id(parsed(tok).at("id").as_string());
    auto [crc, client] = run({"clients", "create", "--org", org, "--db", db, "--json"});
    ASSERT_EQ(crc, 0);
    const std::string client_id(parsed(client).at("client_id").as_string());

    // 1. export
    auto [erc, exported] = run({"export", "--db", db, "--output", dump, "--json"});
    ASSERT_EQ(erc, 0);
    const auto summary = parsed(exported);
    EXPECT_EQ(summary.at("backend"), "sqlite");
    EXPECT_EQ(summary.at("version"), sqlite_version());
    EXPECT_EQ(summary.at("rows").at("orgs"), 2);
    EXPECT_EQ(summary.at("rows").at("tokens"), 1);
    EXPECT_EQ(summary.at("rows").at("oauth_clients"), 1);
    const auto text = read(dump);
    EXPECT_THAT(text, ::testing::StartsWith("{\"format\":\"orgscim-export\""));
    EXPECT_EQ(lines(text), summary.at("total").as_int64() + 2) << "header + rows + trailer";
    auto [src, to_stdout] = run({"export", "--db", db});
    ASSERT_EQ(src, 0);
    EXPECT_EQ(lines(to_stdout), lines(text));

    // 2. import before migrating: refused, with the next step in the message.
    std::string err;
    EXPECT_EQ(run({"import-db", "--config", pg, dump}, &err).first, 1);
    EXPECT_THAT(err, HasSubstr("run orgscim migrate"));
    EXPECT_EQ(lines(err), 1) << err;

    // 3. migrate the target
    auto [mrc, pg_out] = run({"migrate", "--config", pg, "--json"});
    ASSERT_EQ(mrc, 0);
    EXPECT_EQ(parsed(pg_out), migrated("postgresql", 1, postgres_version()));

    // 4. import
    auto [irc, imported] = run({"import-db", "--config", pg, dump, "--json"});
    ASSERT_EQ(irc, 0) << imported;
    EXPECT_EQ(parsed(imported).at("backend"), "postgresql");
    EXPECT_EQ(parsed(imported).at("total"), summary.at("total"));
    EXPECT_EQ(parsed(imported).at("rows"), summary.at("rows"));

    auto [lrc, orgs] = run({"orgs", "list", "--config", pg, "--json"});
    ASSERT_EQ(lrc, 0);
    EXPECT_EQ(orgs, run({"orgs", "list", "--db", db, "--json"}).second);
    auto [tlrc, tokens] = run({"tokens", "list", "--org", org, "--config", pg, "--json"});
    ASSERT_EQ(tlrc, 0);
    EXPECT_EQ(parsed(tokens).at(0).at("id"), token_id.c_str());
    auto [clrc, clients] = run({"clients", "list", "--org", org, "--config", pg, "--json"});
    ASSERT_EQ(clrc, 0);
    EXPECT_EQ(parsed(clients).at(0).at("client_id"), client_id.c_str());

    // A second import into the same database is refused and changes nothing.
    err.clear();
    EXPECT_EQ(run({"import-db", "--config", pg, dump}, &err).first, 1);
    EXPECT_THAT(err, HasSubstr("not empty"));
    EXPECT_EQ(lines(err), 1) << err;
    EXPECT_EQ(run({"orgs", "list", "--config", pg, "--json"}).second, orgs);

    // New rows after the import (sequences continue past the imported ones).
    EXPECT_EQ(run({"orgs", "create", "--name", "later", "--config", pg}).first, 0);
    auto after = parsed(run({"orgs", "list", "--config", pg, "--json"}).second).as_array();
    ASSERT_EQ(after.size(), 3u);
    EXPECT_EQ(after.back().at("name"), "later");
}

TEST_F(cli_transfer, an_export_of_another_schema_version_is_refused) {
    ASSERT_EQ(run({"orgs", "create", "--name", "acme", "--db", db}).first, 0);
    ASSERT_EQ(run({"export", "--db", db, "--output", dump}).first, 0);
    auto text = read(dump);
    const std::string v = "\"schema_version\":" + std::to_string(sqlite_version());
    const std::string newer = std::to_string(sqlite_version() + 1);
    ASSERT_NE(text.find(v), std::string::npos);
    text.replace(text.find(v), v.size(), "\"schema_version\":" + newer);
    std::ofstream(dump, std::ios::trunc) << text;

    const std::string target = dir.path() + "/new.db";
    ASSERT_EQ(run({"migrate", "--db", target}).first, 0);
    std::string err;
    EXPECT_EQ(run({"import-db", "--db", target, dump}, &err).first, 1);
    EXPECT_THAT(err, HasSubstr("schema version " + newer));
    EXPECT_EQ(lines(err), 1) << err;
    EXPECT_EQ(run({"orgs", "list", "--db", target}).second, "ID\tNAME\tPARENT\tSTATUS\tCREATED\n");
}

}  // namespace
