#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>
#include <functional>
#include <iostream>
#include <map>
#include <orgscim/plugin/audit/events.hpp>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/orgs/cli.hpp>
#include <orgscim/plugin/orgs/directory_service.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/scim/service.hpp>

namespace orgscim::plugin::orgs {

namespace po = boost::program_options;
namespace json = boost::json;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

struct opened {
    std::unique_ptr<backend> store;  // migrates the database
    std::unique_ptr<directory_store> dir;
};

opened open(const po::variables_map& vm) {
    config cfg;
    if (vm.count("config")) cfg = load_config_file(vm["config"].as<std::string>());
    if (vm.count("db")) {
        cfg.storage.backend = "sqlite";
        cfg.storage.sqlite.path = vm["db"].as<std::string>();
    }
    opened o;
    o.store = open_backend(cfg.storage);
    o.dir = open_directory(cfg.storage);
    return o;
}

void print_tree(std::ostream& out,
                const std::map<std::string, std::vector<const org_node*>>& kids,
                const org_node& o,
                int depth) {
    out << std::string(static_cast<std::size_t>(depth) * 2, ' ') << o.name << "  " << o.id << "  "
        << o.status;
    if (o.managed_by) out << "  managed";
    out << "\n";
    auto it = kids.find(o.id);
    if (it == kids.end()) return;
    for (const auto* k : it->second) print_tree(out, kids, *k, depth + 1);
}

}  // namespace

bool is_orgs_cli_command(std::string_view sub) noexcept {
    return sub == "tree" || sub == "manage" || sub == "grant" || sub == "events" ||
           sub == "disable" || sub == "enable";
}

int run_orgs_cli(std::string_view sub,
                 const std::vector<std::string>& args,
                 std::ostream& out,
                 std::ostream& err) {
    po::options_description d("options");
    d.add_options()("config", po::value<std::string>()->value_name("FILE"),
                    "JSON configuration file")("db", po::value<std::string>()->value_name("PATH"),
                                               "SQLite database file")("help,h", "show this help");
    if (sub == "tree") d.add_options()("json", "print a JSON array with ancestors");
    if (sub == "manage" || sub == "grant" || sub == "events" || sub == "disable" ||
        sub == "enable") {
        d.add_options()("org", po::value<std::string>()->value_name("ID"), "organization id");
    }
    if (sub == "manage") d.add_options()("off", "stop being managed by the parent");
    if (sub == "grant") {
        d.add_options()("issuer", po::value<std::string>(), "OIDC issuer of the person")(
            "subject", po::value<std::string>(), "OIDC subject of the person")(
            "name", po::value<std::string>(), "display name")(
            "role", po::value<std::vector<std::string>>()->composing(), "role id (repeatable)")(
            "override", "the roles replace what the parent's roles would give");
    }
    if (sub == "events") d.add_options()("count", po::value<int>()->default_value(20), "how many");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(d).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        err << "orgscim: " << e.what() << "\n";
        return exit_usage;
    }
    if (vm.count("help")) {
        out << "usage: orgscim orgs " << sub << " [options]\n\n" << d << "\n";
        return exit_ok;
    }
    auto need = [&](const char* k) -> std::optional<std::string> {
        if (!vm.count(k)) {
            err << "orgscim: the option '--" << k << "' is required\n";
            return std::nullopt;
        }
        return vm[k].as<std::string>();
    };
    auto fail = [&](const scim::error& e) {
        err << "orgscim: " << e.detail << "\n";
        return exit_failure;
    };

    if (sub == "tree") {
        auto db = open(vm);
        auto all = db.dir->list_orgs();
        if (!all) return fail(scim::to_scim_error(all.error(), "Organization"));
        if (vm.count("json")) {
            json::array a;
            for (const auto& o : *all) {
                json::array anc;
                for (const auto& x : o.ancestors) anc.emplace_back(x);
                a.push_back(json::object{
                    {"id", o.id},
                    {"name", o.name},
                    {"parent", o.parent_id ? json::value(*o.parent_id) : json::value(nullptr)},
                    {"managedBy", o.managed_by ? json::value(*o.managed_by) : json::value(nullptr)},
                    {"status", o.status},
                    {"ancestors", std::move(anc)}});
            }
            out << json::serialize(a) << "\n";
            return exit_ok;
        }
        std::map<std::string, std::vector<const org_node*>> kids;
        for (const auto& o : *all) {
            if (o.parent_id) kids[*o.parent_id].push_back(&o);
        }
        for (const auto& o : *all) {
            if (!o.parent_id) print_tree(out, kids, o, 0);
        }
        return exit_ok;
    }

    auto org = need("org");
    if (!org) return exit_usage;
    auto db = open(vm);
    directory_service svc(*db.dir);
    const actor op = actor::cli();

    if (sub == "manage") {
        auto cur = db.dir->get_org(*org);
        if (!cur) return fail(scim::to_scim_error(cur.error(), "Organization"));
        org_node next = *cur;
        if (vm.count("off")) {
            next.managed_by.reset();
        } else {
            next.managed_by = next.parent_id;
        }
        auto r = svc.update_org(op, next, std::nullopt);
        if (!r) return fail(r.error());
        out << r->id << " managedBy " << r->managed_by.value_or("-") << "\n";
        return exit_ok;
    }
    if (sub == "disable" || sub == "enable") {
        auto cur = db.dir->get_org(*org);
        if (!cur) return fail(scim::to_scim_error(cur.error(), "Organization"));
        org_node next = *cur;
        next.status = sub == "disable" ? "disabled" : "active";
        auto r = svc.update_org(op, next, std::nullopt);
        if (!r) return fail(r.error());
        out << r->id << " " << r->status << "\n";
        return exit_ok;
    }
    if (sub == "grant") {
        auto iss = need("issuer");
        auto subj = need("subject");
        if (!iss || !subj) return exit_usage;
        identity_record i;
        i.issuer = *iss;
        i.subject = *subj;
        i.display = vm.count("name") ? vm["name"].as<std::string>() : *subj;
        member_grant g;
        if (vm.count("role")) g.roles = vm["role"].as<std::vector<std::string>>();
        g.override_inherited = vm.count("override") > 0;
        auto r = svc.put_member(op, *org, i, membership_kind::home, g);
        if (!r) return fail(r.error());
        out << r->identity_id << "\n";
        return exit_ok;
    }
    // events
    auto page = svc.events(op, *org, 0, vm["count"].as<int>());
    if (!page) return fail(page.error());
    for (const auto& e : page->items) {
        out << audit::format_time(e.time_ms) << "  " << e.ev.action << "  " << e.ev.target_type
            << "/" << e.ev.target_id << "  by " << e.ev.actor;
        if (!e.ev.detail.empty()) out << "  " << json::serialize(e.ev.detail);
        out << "\n";
    }
    return exit_ok;
}

}  // namespace orgscim::plugin::orgs
