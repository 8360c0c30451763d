#include <unistd.h>

#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/invitations/import.hpp>
#include <orgscim/plugin/invitations/import_command.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/plugin/storage/invitation_backend.hpp>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/schema.hpp>
#include <sstream>

namespace orgscim::plugin::invitations {

namespace po = boost::program_options;

namespace {

// The organization directory as far as the storage backend knows it, for the operator's
// command line: organizations from org_store, members from the org's SCIM Users (by email).
// The operator holds every permission, so any role and group is grantable.
// TODO(h6): switch to the organization model's directory (plugin/orgs) once it implements
// org_directory, so roles and groups are checked against the org's own.
class backend_directory final : public org_directory {
  public:
    explicit backend_directory(backend& b) : b_(b) {
        scim::register_core_schemas(reg_);
        users_ = reg_.find_by_endpoint("Users");
    }
    std::optional<org_view> find_org(std::string_view id) override {
        auto o = b_.get_org(id);
        if (!o) return std::nullopt;
        return org_view{o->id, o->name, o->status, o->parent_id.value_or(""), {}, ""};
    }
    bool is_member(std::string_view org, std::string_view email) override {
        std::string text = "emails.value eq \"" + std::string(email) + "\" or userName eq \"" +
                           std::string(email) + "\"";
        auto f = scim::parse_filter(text);
        if (!f || !scim::bind(**f, *users_)) return false;
        scim::list_request lr;
        lr.filter = f->get();
        lr.limit = 0;
        auto r = b_.list(org, *users_, lr);
        return r && r->total > 0;
    }
    bool role_exists(std::string_view, std::string_view) override { return true; }
    bool group_exists(std::string_view, std::string_view) override { return true; }
    bool can_grant(std::string_view, std::string_view, std::string_view) override { return true; }
    bool inviter_active(std::string_view, std::string_view) override { return true; }
    std::optional<parent_user> find_parent_user(std::string_view, std::string_view) override {
        return std::nullopt;
    }
    scim::result<grant_report> grant(std::string_view,
                                     const verified_identity&,
                                     std::string_view,
                                     const std::vector<std::string>&,
                                     const std::vector<std::string>&) override {
        return scim::error::not_implemented("memberships are granted by the server");
    }
    std::vector<std::string> access_manager_emails(std::string_view) override { return {}; }
    std::vector<company_choice> manageable_companies(const verified_identity&,
                                                     std::string_view) override {
        return {};
    }
    scim::result<void> set_managed_by(std::string_view,
                                      std::string_view,
                                      const verified_identity&) override {
        return scim::error::not_implemented("not from the command line");
    }
    scim::result<std::string> create_company(std::string_view,
                                             const verified_identity&,
                                             std::string_view) override {
        return scim::error::not_implemented("not from the command line");
    }

  private:
    backend& b_;
    scim::schema_registry reg_;
    const scim::resource_type* users_ = nullptr;
};

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

void draw_progress(std::ostream& err, std::size_t done, std::size_t total) {
    constexpr std::size_t width = 30;
    std::size_t filled = total == 0 ? width : done * width / total;
    err << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done
        << "/" << total << std::flush;
}

}  // namespace

int run_import_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    po::options_description d("import options");
    d.add_options()("org", po::value<std::string>()->value_name("ID"), "organization id")(
        "role", po::value<std::string>()->value_name("ROLE"), "role for rows without one")(
        "groups", po::value<std::string>()->value_name("G1,G2"), "groups for every row")(
        "format", po::value<std::string>()->value_name("csv|jsonl"), "default: guessed")(
        "dry-run", "validate every row, create nothing")("no-email",
                                                         "create invitations without email")(
        "config", po::value<std::string>()->value_name("FILE"), "JSON configuration file")(
        "db", po::value<std::string>()->value_name("PATH"), "SQLite database file")(
        "file", po::value<std::string>()->value_name("FILE"), "CSV or JSON lines; - for stdin")(
        "help,h", "show this help");
    po::positional_options_description pos;
    pos.add("file", 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(d).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        err << "orgscim import: " << e.what() << "\n";
        return 2;
    }
    if (vm.count("help")) {
        out << "usage: orgscim import --org ID --role ROLE [--groups G1,G2] [--dry-run] "
               "[--no-email] FILE\n\n"
            << d << "\n";
        return 0;
    }
    for (const char* need : {"org", "file"}) {
        if (!vm.count(need)) {
            err << "orgscim import: the option '--" << need << "' is required\n";
            return 2;
        }
    }

    config cfg;
    try {
        if (vm.count("config")) cfg = load_config_file(vm["config"].as<std::string>());
    } catch (const config_error& e) {
        for (const auto& m : e.errors()) err << "orgscim import: " << m << "\n";
        return 3;
    }
    if (vm.count("db")) {
        cfg.storage.backend = "sqlite";
        cfg.storage.sqlite.path = vm["db"].as<std::string>();
    }

    std::string text;
    const auto file = vm["file"].as<std::string>();
    {
        std::ostringstream ss;
        if (file == "-") {
            ss << std::cin.rdbuf();
        } else {
            std::ifstream in(file, std::ios::binary);
            if (!in) {
                err << "orgscim import: cannot read " << file << "\n";
                return 1;
            }
            ss << in.rdbuf();
        }
        text = ss.str();
    }
    auto rows = parse_import(text, vm.count("format") ? vm["format"].as<std::string>() : "");
    if (!rows) {
        err << "orgscim import: " << rows.error().detail << "\n";
        return 2;
    }

    try {
        auto db = open_backend(cfg.storage);  // applies migrations
        auto inv_store = open_invitation_backend(cfg.storage);
        backend_directory dir(*db);
        service_config sc;
        sc.public_base_url = cfg.public_base_url;
        service svc(sc, *inv_store, dir, {});

        import_options opt;
        opt.org_id = vm["org"].as<std::string>();
        if (vm.count("role")) opt.role = vm["role"].as<std::string>();
        if (vm.count("groups")) opt.groups = split_list(vm["groups"].as<std::string>());
        opt.dry_run = vm.count("dry-run") > 0;
        opt.send_email = vm.count("no-email") == 0;
        opt.batch = 500;
        bool tty = ::isatty(STDERR_FILENO) == 1;
        auto result = run_import(svc, opt, *rows, [&](std::size_t done, std::size_t total) {
            if (tty) draw_progress(err, done, total);
        });
        if (tty) err << "\n";
        if (!result) {
            err << "orgscim import: " << to_scim_error(result.error()).detail << " ("
                << to_string(result.error()) << ")\n";
            return 1;
        }
        std::size_t invited = 0, skipped = 0, failed = 0;
        for (const auto& l : *result) {
            out << "line " << l.line << "\t" << l.email << "\t" << l.outcome;
            if (!l.code.empty()) out << "\t" << l.code;
            if (!l.id.empty()) out << "\t" << l.id;
            out << "\n";
            if (l.outcome == "invited" || l.outcome == "valid") ++invited;
            if (l.outcome == "skipped") ++skipped;
            if (l.outcome == "error") ++failed;
        }
        out << result->size() << " rows: " << invited << (opt.dry_run ? " valid" : " invited")
            << ", " << skipped << " skipped, " << failed << " errors"
            << "\n";
        return 0;
    } catch (const startup_error& e) {
        err << "orgscim import: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace orgscim::plugin::invitations
