#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <orgscim/plugin/invitations/import.hpp>
#include <orgscim/plugin/invitations/import_command.hpp>
#include <orgscim/plugin/invitations/memory_directory.hpp>
#include <sstream>

#include "sqlite/sqlite_invitation_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace inv = orgscim::plugin::invitations;
namespace fs = std::filesystem;

namespace {

TEST(parse_import, csv_with_optional_columns_quotes_and_bom) {
    auto rows = inv::parse_import(
        "\xEF\xBB\xBF"
        "Name,Email,Role,Groups\r\n"
        "\"Doe, Jane\",jane@example.com,Administrator,Helpdesk;Ops\r\n"
        "Bob,bob@example.com,,\r\n"
        "\r\n"
        "NoMail,,,\n",
        "");
    ASSERT_TRUE(rows) << rows.error().detail;
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[0].name, "Doe, Jane");
    EXPECT_EQ((*rows)[0].email, "jane@example.com");
    EXPECT_EQ((*rows)[0].role, "Administrator");
    EXPECT_EQ((*rows)[0].groups, (std::vector<std::string>{"Helpdesk", "Ops"}));
    EXPECT_EQ((*rows)[0].line, 2u);
    EXPECT_EQ((*rows)[1].role, "");
    EXPECT_EQ((*rows)[2].error, "missing email");
    EXPECT_EQ((*rows)[2].line, 5u);
}

TEST(parse_import, csv_without_email_column_is_refused) {
    EXPECT_FALSE(inv::parse_import("name,role\nx,y\n", "csv"));
    EXPECT_FALSE(inv::parse_import("", "csv"));
    EXPECT_FALSE(inv::parse_import("email\n", "xml"));
}

TEST(parse_import, json_lines) {
    auto rows = inv::parse_import(
        "{\"email\":\"a@example.com\",\"name\":\"A\",\"groups\":[\"G\"]}\n"
        "not json\n"
        "{\"email\":\"b@example.com\",\"role\":\"Associate\",\"groups\":\"X|Y\"}\n",
        "");
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[0].groups, std::vector<std::string>{"G"});
    EXPECT_EQ((*rows)[1].error, "bad JSON");
    EXPECT_EQ((*rows)[2].role, "Associate");
    EXPECT_EQ((*rows)[2].groups, (std::vector<std::string>{"X", "Y"}));
}

class import_test : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("orgscim-imp-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        cfg_.path = (dir_ / "db.sqlite").string();
        migrated_ = std::make_unique<orgscim::plugin::sqlite_store>(cfg_);
        store_ = std::make_unique<orgscim::plugin::sqlite_invitation_store>(cfg_);
        directory_.add_org({"acme", "Acme", "active", "", {}, ""});
        directory_.add_role("acme", "Associate");
        directory_.add_role("acme", "Administrator");
        directory_.add_group("acme", "Helpdesk");
        directory_.add_member("acme", {"member@example.com", "k", "home", {}, {}});
        svc_ = std::make_unique<inv::service>(inv::service_config{{}, "https://id.example.com"},
                                              *store_, directory_, nullptr);
    }
    void TearDown() override {
        svc_.reset();
        store_.reset();
        migrated_.reset();
        fs::remove_all(dir_);
    }

    fs::path dir_;
    orgscim::plugin::sqlite_config cfg_;
    std::unique_ptr<orgscim::plugin::sqlite_store> migrated_;
    std::unique_ptr<orgscim::plugin::sqlite_invitation_store> store_;
    inv::memory_directory directory_;
    std::unique_ptr<inv::service> svc_;
};

TEST_F(import_test, same_file_twice_creates_nothing_new) {
    auto rows = inv::parse_import(
        "email,name,role\n"
        "a@example.com,A,\n"
        "b@example.com,B,Administrator\n"
        "member@example.com,M,\n"
        "A@Example.com,dup,\n"
        "broken,,\n",
        "csv");
    ASSERT_TRUE(rows);
    inv::import_options opt;
    opt.org_id = "acme";
    opt.role = "Associate";
    opt.groups = {"Helpdesk"};
    std::vector<std::pair<std::size_t, std::size_t>> progress;
    auto first = inv::run_import(
        *svc_, opt, *rows, [&](std::size_t d, std::size_t t) { progress.emplace_back(d, t); });
    ASSERT_TRUE(first);
    ASSERT_EQ(first->size(), 5u);
    EXPECT_EQ((*first)[0].outcome, "invited");
    EXPECT_EQ((*first)[1].outcome, "invited");
    EXPECT_EQ((*first)[2].outcome, "skipped");
    EXPECT_EQ((*first)[2].code, "alreadyMember");
    EXPECT_EQ((*first)[3].outcome, "skipped");
    EXPECT_EQ((*first)[3].code, "alreadyInvited");
    EXPECT_EQ((*first)[4].outcome, "error");
    EXPECT_EQ((*first)[4].code, "invalidEmail");
    EXPECT_EQ(progress.back(), (std::pair<std::size_t, std::size_t>{5, 5}));
    auto b = svc_->get("acme", (*first)[1].id);
    EXPECT_EQ(b->roles, std::vector<std::string>{"Administrator"});
    EXPECT_EQ(b->groups, std::vector<std::string>{"Helpdesk"});

    auto second = inv::run_import(*svc_, opt, *rows);
    ASSERT_TRUE(second);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ((*second)[i].outcome, "skipped") << i;
    EXPECT_EQ(svc_->list("acme")->size(), 2u);
}

TEST_F(import_test, dry_run_creates_nothing) {
    auto rows = inv::parse_import("email\nx@example.com\ny@example.com\n", "");
    inv::import_options opt;
    opt.org_id = "acme";
    opt.dry_run = true;
    auto out = inv::run_import(*svc_, opt, *rows);
    ASSERT_TRUE(out);
    EXPECT_EQ((*out)[0].outcome, "valid");
    EXPECT_TRUE(svc_->list("acme")->empty());
}

TEST_F(import_test, unknown_org_fails_the_whole_import) {
    auto rows = inv::parse_import("email\nx@example.com\n", "");
    inv::import_options opt;
    opt.org_id = "nope";
    EXPECT_EQ(inv::run_import(*svc_, opt, *rows).error(), inv::errc::org_unavailable);
}

// The command as `orgscim import` runs it, on a database created by the storage backend.
TEST_F(import_test, command_line) {
    auto org = migrated_->create_org("Command Org", std::nullopt);
    ASSERT_TRUE(org);
    auto file = dir_ / "people.csv";
    std::ofstream(file) << "email,name\nq@example.com,Q\nr@example.com,R\n";
    std::ostringstream out, err;
    std::vector<std::string> args = {"--org",      org->id, "--role",  "Associate",
                                     "--no-email", "--db",  cfg_.path, file.string()};
    EXPECT_EQ(inv::run_import_command(args, out, err), 0) << err.str();
    EXPECT_NE(out.str().find("line 2\tq@example.com\tinvited"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("2 rows: 2 invited, 0 skipped, 0 errors"), std::string::npos);
    std::ostringstream out2, err2;
    EXPECT_EQ(inv::run_import_command(args, out2, err2), 0);
    EXPECT_NE(out2.str().find("2 rows: 0 invited, 2 skipped, 0 errors"), std::string::npos)
        << out2.str();

    std::ostringstream o3, e3;
    EXPECT_EQ(inv::run_import_command({"--role", "x", file.string()}, o3, e3), 2);
    std::vector<std::string> bad_org = {"--org", "nope", "--db", cfg_.path, file.string()};
    EXPECT_EQ(inv::run_import_command(bad_org, o3, e3), 1);
}

}  // namespace
