// The `orgscim` program: the server and the admin subcommands. Exit codes scripts can rely on:
// 0 ok, 1 runtime failure, 2 usage error, 3 config error; errors are one line on stderr.

#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <orgscim/oidc/config.hpp>
#include <orgscim/plugin/app.hpp>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/invitations/import_command.hpp>
#include <orgscim/plugin/orgs/cli.hpp>
#include <orgscim/plugin/server.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/plugin/storage/oauth_store.hpp>
#include <orgscim/plugin/storage/transfer.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "log.hpp"
#include "secrets.hpp"
#include "token_issuer.hpp"

namespace po = boost::program_options;
namespace json = boost::json;
using namespace orgscim::plugin;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;
constexpr int exit_usage = 2;
constexpr int exit_config = 3;

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct runtime_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr const char* top_help =
    "orgscim - SCIM 2.0 provisioning server for organizations\n"
    "\n"
    "usage: orgscim <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve           run the HTTP server (serve --demo: with a demo organization and token)\n"
    "  demo            same as serve --demo\n"
    "  orgs create     create an organization and print its id\n"
    "  orgs list       list organizations\n"
    "  orgs tree       the organization hierarchy (also: orgs manage, orgs grant, orgs events)\n"
    "  tokens create   create a provisioning secret (printed once)\n"
    "  tokens list     list an organization's provisioning secrets (never the secrets)\n"
    "  tokens revoke   revoke a provisioning secret at once\n"
    "  clients create  create an OAuth client (client_credentials; secret printed once)\n"
    "  clients list    list an organization's OAuth clients (never the secrets)\n"
    "  clients revoke  revoke an OAuth client at once\n"
    "  clients rotate  add a secret to an OAuth client (old ones expire after --old-expires-in)\n"
    "  clients federate  let an external identity (issuer + subject) act as a client (RFC 7523)\n"
    "  issuers add     trust an OIDC issuer (Entra ID, any OpenID provider) for an organization\n"
    "  issuers list    list the issuers added here (those of the config file are not listed)\n"
    "  issuers remove  stop trusting an issuer added here\n"
    "  import          invite a list of emails (CSV or JSON lines) into an organization\n"
    "  migrate         apply pending schema migrations and print them\n"
    "  export          write every row of the database as JSON lines (backup, move)\n"
    "  import-db       load an export into a new, migrated database (SQLite -> PostgreSQL)\n"
    "\n"
    "Every command accepts --config FILE, --db PATH and --help.\n"
    "  --version       print the version\n"
    "\n"
    "exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 configuration error\n";

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string iso_time(std::int64_t ms) {
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

po::options_description common_options() {
    po::options_description d("common options");
    d.add_options()("config", po::value<std::string>()->value_name("FILE"),
                    "JSON configuration file (docs/configuration.md)")(
        "db", po::value<std::string>()->value_name("PATH"),
        "SQLite database file (overrides storage.*; default orgscim.db)")("help,h",
                                                                          "show this help");
    return d;
}

// --expires-in DAYS (tokens create, clients create, clients rotate) as an absolute time.
std::optional<std::int64_t> expiry_from(const po::variables_map& vm) {
    if (!vm.count("expires-in")) return std::nullopt;
    const auto days = vm["expires-in"].as<unsigned>();
    if (days == 0 || days > 36500) throw usage_error("--expires-in: expected 1..36500 days");
    return now_ms() + static_cast<std::int64_t>(days) * 86400000;
}

// `positional`: the option a bare argument fills (`tokens revoke ID`), or none.
po::variables_map parse(const std::vector<std::string>& args,
                        const po::options_description& d,
                        const char* positional = nullptr) {
    po::positional_options_description pos;
    if (positional) pos.add(positional, 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args).options(d).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw usage_error(e.what());
    }
    return vm;
}

bool wants_help(const po::variables_map& vm,
                const std::string& usage,
                const po::options_description& d) {
    if (!vm.count("help")) return false;
    std::cout << "usage: " << usage << "\n\n" << d << "\n";
    return true;
}

struct loaded_config {
    config cfg;
    bool explicit_base_url = false;
};

// Config file (if any), then flags: flags win.
loaded_config load(const po::variables_map& vm) {
    loaded_config out;
    if (vm.count("config")) {
        const auto path = vm["config"].as<std::string>();
        std::ifstream in(path, std::ios::binary);
        if (!in) throw config_error({path + ": cannot read file"});
        std::ostringstream ss;
        ss << in.rdbuf();
        boost::system::error_code ec;
        const auto doc = json::parse(ss.str(), ec);
        if (ec) throw config_error({path + ": invalid JSON (" + ec.message() + ")"});
        out.cfg = load_config(doc);
        out.explicit_base_url = doc.is_object() && doc.as_object().contains("public_base_url");
    }
    if (vm.count("db")) {
        const auto db = vm["db"].as<std::string>();
        if (db.empty()) throw usage_error("--db: must not be empty");
        out.cfg.storage.backend = "sqlite";
        out.cfg.storage.sqlite.path = db;
    }
    return out;
}

template <class T>
T check(orgscim::plugin::store_result<T> r, const std::string& what) {
    if (!r) {
        if (r.error() == store_errc::not_found) throw runtime_failure(what + ": not found");
        throw runtime_failure(what + ": storage error (" +
                              std::string(orgscim::scim::to_string(r.error())) + ")");
    }
    if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// The stores of the configured database. The backend is opened (and so migrated) first, also by
// the commands that only use the OAuth store.
struct stores {
    loaded_config lc;
    std::unique_ptr<backend> directory;
    std::unique_ptr<oauth_store> oauth;

    static stores open(const po::variables_map& vm, bool with_oauth = false) {
        stores s{load(vm), nullptr, nullptr};
        s.directory = open_backend(s.lc.cfg.storage);
        if (with_oauth) s.oauth = open_oauth_store(s.lc.cfg.storage);
        return s;
    }
    // The organization `id`, which must exist.
    void require_org(const std::string& id) const {
        check(directory->get_org(id), "organization " + id);
    }
};

// --json: `j` on one line, otherwise `text` (then a newline).
void print_result(const po::variables_map& vm, const json::object& j, const std::string& text) {
    std::cout << (vm.count("json") ? json::serialize(j) : text) << "\n";
}

json::value iso_time_or_null(const std::optional<std::int64_t>& ms) {
    return ms ? json::value(iso_time(*ms)) : json::value(nullptr);
}

std::string require(const po::variables_map& vm, const char* name) {
    if (!vm.count(name)) throw usage_error(std::string("the option '--") + name + "' is required");
    return vm[name].as<std::string>();
}

// --- orgs ---------------------------------------------------------------------------------

int orgs_create(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("name", po::value<std::string>()->value_name("NAME"), "organization name")(
        "parent", po::value<std::string>()->value_name("ID"), "parent organization id")(
        "json", "print {\"id\": ...}");
    const auto vm = parse(args, d);
    if (wants_help(vm, "orgscim orgs create --name NAME [--parent ID] [--json]", d)) return exit_ok;
    const auto name = require(vm, "name");
    if (name.empty()) throw usage_error("--name: must not be empty");
    const auto db = stores::open(vm);
    std::optional<std::string> parent;
    if (vm.count("parent")) parent = vm["parent"].as<std::string>();
    auto org = check(db.directory->create_org(
                         name, parent ? std::optional<std::string_view>(*parent) : std::nullopt),
                     parent ? "parent organization " + *parent : "organization");
    print_result(vm, {{"id", org.id}}, org.id);
    return exit_ok;
}

int orgs_list(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("json", "print a JSON array");
    const auto vm = parse(args, d);
    if (wants_help(vm, "orgscim orgs list [--json]", d)) return exit_ok;
    const auto db = stores::open(vm);
    const auto orgs = check(db.directory->list_orgs(), "organizations");
    if (vm.count("json")) {
        json::array a;
        for (const auto& o : orgs) {
            json::object j{{"id", o.id},
                           {"name", o.name},
                           {"status", o.status},
                           {"created", iso_time(o.created_ms)}};
            j["parent"] = o.parent_id ? json::value(*o.parent_id) : json::value(nullptr);
            a.push_back(std::move(j));
        }
        std::cout << json::serialize(a) << "\n";
    } else {
        std::cout << "ID\tNAME\tPARENT\tSTATUS\tCREATED\n";
        for (const auto& o : orgs) {
            std::cout << o.id << '\t' << o.name << '\t' << o.parent_id.value_or("-") << '\t'
                      << o.status << '\t' << iso_time(o.created_ms) << "\n";
        }
    }
    return exit_ok;
}

// --- tokens -------------------------------------------------------------------------------

int tokens_create(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("org", po::value<std::string>()->value_name("ID"), "organization id")(
        "name", po::value<std::string>()->value_name("LABEL")->default_value(""),
        "label shown by tokens list")("expires-in", po::value<unsigned>()->value_name("DAYS"),
                                      "expire after DAYS days (default: never; rotate instead)")(
        "read-only", "allow reads only (GET, POST .search)")(
        "json", "print {\"id\": ..., \"secret\": ...}");
    const auto vm = parse(args, d);
    if (wants_help(vm,
                   "orgscim tokens create --org ID [--name LABEL] [--expires-in DAYS] "
                   "[--read-only] [--json]",
                   d)) {
        return exit_ok;
    }
    const auto org_id = require(vm, "org");
    const auto expires = expiry_from(vm);
    const auto db = stores::open(vm);
    db.require_org(org_id);
    auto issued = check(issue_secret(*db.directory, org_id, vm["name"].as<std::string>(), expires,
                                     !vm.count("read-only")),
                        "organization " + org_id);
    print_result(vm, {{"id", issued.info.id}, {"secret", issued.secret}}, issued.secret);
    return exit_ok;
}

int tokens_list(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("org", po::value<std::string>()->value_name("ID"), "organization id")(
        "json", "print a JSON array");
    const auto vm = parse(args, d);
    if (wants_help(vm, "orgscim tokens list --org ID [--json]", d)) return exit_ok;
    const auto org_id = require(vm, "org");
    const auto db = stores::open(vm);
    db.require_org(org_id);
    const auto tokens = check(db.directory->list_tokens(org_id), "tokens");
    const auto now = now_ms();
    const auto state = [now](const token_info& t) -> std::string {
        if (t.revoked_ms) return "revoked";
        if (t.expires_ms && *t.expires_ms <= now) return "expired";
        return "active";
    };
    if (vm.count("json")) {
        json::array a;
        for (const auto& t : tokens) {
            json::object j{{"id", t.id},
                           {"name", t.name},
                           {"state", state(t)},
                           {"read_only", !t.can_write},
                           {"created", iso_time(t.created_ms)}};
            j["expires"] = iso_time_or_null(t.expires_ms);
            j["revoked"] = iso_time_or_null(t.revoked_ms);
            a.push_back(std::move(j));
        }
        std::cout << json::serialize(a) << "\n";
    } else {
        std::cout << "ID\tNAME\tSTATE\tSCOPE\tCREATED\tEXPIRES\n";
        for (const auto& t : tokens) {
            std::cout << t.id << '\t' << (t.name.empty() ? "-" : t.name) << '\t' << state(t) << '\t'
                      << (t.can_write ? "read-write" : "read-only") << '\t'
                      << iso_time(t.created_ms) << '\t'
                      << (t.expires_ms ? iso_time(*t.expires_ms) : std::string("never")) << "\n";
        }
    }
    return exit_ok;
}

int tokens_revoke(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("id", po::value<std::string>()->value_name("ID"), "token id");
    const auto vm = parse(args, d, "id");
    if (wants_help(vm, "orgscim tokens revoke ID", d)) return exit_ok;
    const auto id = require(vm, "id");
    const auto db = stores::open(vm);
    check(db.directory->revoke_token(id, now_ms()), "token " + id);
    return exit_ok;
}

// --- clients (OAuth, issue 4) -------------------------------------------------------------

int clients_create(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("org", po::value<std::string>()->value_name("ID"), "organization id")(
        "name", po::value<std::string>()->value_name("LABEL")->default_value(""),
        "label shown by clients list")("expires-in", po::value<unsigned>()->value_name("DAYS"),
                                       "the secret expires after DAYS days (default: never)")(
        "read-only", "tokens allow reads only (scope scim:read)")(
        "json", "print {\"client_id\": ..., \"client_secret\": ...}");
    const auto vm = parse(args, d);
    if (wants_help(vm,
                   "orgscim clients create --org ID [--name LABEL] [--expires-in DAYS] "
                   "[--read-only] [--json]",
                   d)) {
        return exit_ok;
    }
    const auto org_id = require(vm, "org");
    const auto expires = expiry_from(vm);
    const auto db = stores::open(vm, true);
    db.require_org(org_id);
    const auto gen = orgscim::oidc::generate_client_secret();
    oauth_client_info c;
    c.client_id = orgscim::oidc::generate_client_id();
    c.org_id = org_id;
    c.name = vm["name"].as<std::string>();
    const int perms = vm.count("read-only") ? orgscim::oidc::perm_read
                                            : orgscim::oidc::perm_read | orgscim::oidc::perm_write;
    c.permissions = static_cast<std::uint8_t>(perms);
    c.created_ms = now_ms();
    c.secrets.push_back({gen.record.id, gen.record.hash, c.created_ms, expires});
    check(db.oauth->create_client(c), "organization " + org_id);
    print_result(vm, {{"client_id", c.client_id}, {"client_secret", gen.secret}},
                 "client_id: " + c.client_id + "\nclient_secret: " + gen.secret);
    return exit_ok;
}

int clients_list(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("org", po::value<std::string>()->value_name("ID"), "organization id")(
        "json", "print a JSON array");
    const auto vm = parse(args, d);
    if (wants_help(vm, "orgscim clients list --org ID [--json]", d)) return exit_ok;
    const auto org_id = require(vm, "org");
    const auto db = stores::open(vm, true);
    db.require_org(org_id);
    const auto list = check(db.oauth->list_clients(org_id), "clients");
    const auto now = now_ms();
    const auto live_secrets = [now](const oauth_client_info& c) {
        std::size_t n = 0;
        for (const auto& s : c.secrets) n += !s.expires_ms || *s.expires_ms > now;
        return n;
    };
    if (vm.count("json")) {
        json::array a;
        for (const auto& c : list) {
            json::object j{{"client_id", c.client_id},
                           {"name", c.name},
                           {"state", c.revoked_ms ? "revoked" : "active"},
                           {"read_only", !(c.permissions & orgscim::oidc::perm_write)},
                           {"active_secrets", live_secrets(c)},
                           {"created", iso_time(c.created_ms)}};
            j["revoked"] = iso_time_or_null(c.revoked_ms);
            a.push_back(std::move(j));
        }
        std::cout << json::serialize(a) << "\n";
    } else {
        std::cout << "CLIENT_ID\tNAME\tSTATE\tSCOPE\tSECRETS\tCREATED\n";
        for (const auto& c : list) {
            std::cout << c.client_id << '\t' << (c.name.empty() ? "-" : c.name) << '\t'
                      << (c.revoked_ms ? "revoked" : "active") << '\t'
                      << ((c.permissions & orgscim::oidc::perm_write) ? "read-write" : "read-only")
                      << '\t' << live_secrets(c) << '\t' << iso_time(c.created_ms) << "\n";
        }
    }
    return exit_ok;
}

int clients_revoke(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("id", po::value<std::string>()->value_name("CLIENT_ID"), "client id");
    const auto vm = parse(args, d, "id");
    if (wants_help(vm, "orgscim clients revoke CLIENT_ID", d)) return exit_ok;
    const auto id = require(vm, "id");
    const auto db = stores::open(vm, true);
    check(db.oauth->revoke_client(id, now_ms()), "client " + id);
    return exit_ok;
}

int clients_rotate(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("id", po::value<std::string>()->value_name("CLIENT_ID"), "client id")(
        "expires-in", po::value<unsigned>()->value_name("DAYS"),
        "the new secret expires after DAYS days (default: never)")(
        "old-expires-in", po::value<unsigned>()->value_name("HOURS")->default_value(24),
        "the client's other secrets stop working after HOURS hours (0: now)")(
        "json", "print {\"client_id\": ..., \"client_secret\": ...}");
    const auto vm = parse(args, d, "id");
    if (wants_help(vm,
                   "orgscim clients rotate CLIENT_ID [--expires-in DAYS] [--old-expires-in HOURS] "
                   "[--json]",
                   d)) {
        return exit_ok;
    }
    const auto id = require(vm, "id");
    const auto expires = expiry_from(vm);
    const auto old_hours = vm["old-expires-in"].as<unsigned>();
    if (old_hours > 24 * 365) throw usage_error("--old-expires-in: expected 0..8760 hours");
    const auto db = stores::open(vm, true);
    const auto gen = orgscim::oidc::generate_client_secret();
    const auto now = now_ms();
    check(db.oauth->add_secret(id, {gen.record.id, gen.record.hash, now, expires}), "client " + id);
    check(db.oauth->expire_other_secrets(id, gen.record.id,
                                         now + static_cast<std::int64_t>(old_hours) * 3600000),
          "client " + id);
    print_result(vm, {{"client_id", id}, {"client_secret", gen.secret}}, gen.secret);
    return exit_ok;
}

int clients_federate(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("id", po::value<std::string>()->value_name("CLIENT_ID"), "client id")(
        "issuer", po::value<std::string>()->value_name("ISS"),
        "exact iss of the assertions (a trusted issuer of oidc.issuers)")(
        "subject", po::value<std::string>()->value_name("SUB"), "exact sub of the assertions");
    const auto vm = parse(args, d, "id");
    if (wants_help(vm, "orgscim clients federate CLIENT_ID --issuer ISS --subject SUB", d))
        return exit_ok;
    const auto id = require(vm, "id");
    const auto issuer = require(vm, "issuer");
    const auto subject = require(vm, "subject");
    if (issuer.empty() || subject.empty())
        throw usage_error("--issuer and --subject must not be empty");
    const auto db = stores::open(vm, true);
    check(db.oauth->add_federated(id, {issuer, subject}), "client " + id);
    return exit_ok;
}

// --- migrate, export, import-db (issue 7) -------------------------------------------------

// What export --json (with the file written: `output`) and import-db --json print of a transfer.
json::object summary_json(const transfer_summary& s, const std::string& output = {}) {
    json::object j{{"backend", s.backend}, {"version", s.schema_version}};
    if (!output.empty()) j["output"] = output;
    json::object rows;
    for (const auto& [table, n] : s.rows) rows[table] = n;
    j["rows"] = std::move(rows);
    j["total"] = s.total();
    return j;
}

// Trusted issuers kept in the database (issue 4): the same entry as the config's oidc.issuers[],
// built from flags (or given whole with --entry) and validated by the same loader before it is
// stored. Servers pick changes up within issuer_reload_interval.
int issuers_add(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("org", po::value<std::string>()->value_name("ID"),
                    "organization the issuer is bound to (omit: the issuer of invitees)")(
        "issuer", po::value<std::string>()->value_name("URL"),
        "exact iss (or a {tenantid} template)")(
        "discovery-url", po::value<std::string>()->value_name("URL"),
        "OpenID discovery document (default: ISSUER/.well-known/openid-configuration)")(
        "jwks-uri", po::value<std::string>()->value_name("URL"), "JWKS, instead of discovery")(
        "audience", po::value<std::vector<std::string>>()->value_name("AUD"),
        "accepted aud (repeat for several)")(
        "alg", po::value<std::vector<std::string>>()->value_name("ALG"),
        "allowed algorithm (repeat; default RS256)")(
        "preset", po::value<std::string>()->value_name("entra_v1|entra_v2"),
        "Microsoft Entra ID issuer preset")(
        "tenant", po::value<std::string>()->value_name("GUID|multi-tenant"), "Entra tenant")(
        "allow-http", "allow a plain-HTTP issuer (loopback test providers only)")(
        "entry", po::value<std::string>()->value_name("JSON"),
        "the whole issuer entry as JSON (as in the config file); other flags add to it")(
        "json", "print {\"id\": ...}");
    const auto vm = parse(args, d);
    if (wants_help(vm,
                   "orgscim issuers add [--org ID] (--issuer URL | --preset P --tenant T) "
                   "--audience AUD... [--alg ALG...] [--discovery-url URL | --jwks-uri URL] "
                   "[--allow-http] [--entry JSON] [--json]",
                   d)) {
        return exit_ok;
    }
    json::object entry;
    if (vm.count("entry")) {
        boost::system::error_code ec;
        auto v = json::parse(vm["entry"].as<std::string>(), ec);
        if (ec || !v.is_object()) throw usage_error("--entry: not a JSON object");
        entry = std::move(v.as_object());
    }
    auto set = [&](const char* flag, const char* key) {
        if (vm.count(flag)) entry[key] = vm[flag].as<std::string>();
    };
    set("org", "org");
    set("issuer", "issuer");
    set("discovery-url", "discovery_url");
    set("jwks-uri", "jwks_uri");
    set("preset", "preset");
    set("tenant", "tenant");
    auto set_list = [&](const char* flag, const char* key) {
        if (!vm.count(flag)) return;
        json::array a;
        for (const auto& x : vm[flag].as<std::vector<std::string>>()) a.emplace_back(x);
        entry[key] = std::move(a);
    };
    set_list("audience", "audiences");
    set_list("alg", "allowed_algs");
    if (!entry.contains("allowed_algs")) entry["allowed_algs"] = json::array{"RS256"};
    if (vm.count("allow-http")) entry["allow_http"] = true;
    // The config loader is the one validator: errors name the entry's keys.
    orgscim::oidc::config parsed;
    std::vector<std::string> errors;
    orgscim::oidc::load_config(json::object{{"issuers", json::array{entry}}}, "issuer", parsed,
                               errors);
    if (!errors.empty()) throw config_error(errors);
    const std::string org_id = entry.contains("org") ? std::string(entry["org"].as_string()) : "";
    const auto db = stores::open(vm, true);
    if (!org_id.empty()) db.require_org(org_id);
    trusted_issuer_record r;
    r.id = "iss_" + orgscim::oidc::generate_client_id().substr(3, 16);
    r.org_id = org_id;
    r.entry = json::serialize(entry);
    r.created_ms = now_ms();
    check(db.oauth->add_issuer(r), "issuer");
    print_result(vm, {{"id", r.id}}, r.id);
    return exit_ok;
}

int issuers_list(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("org", po::value<std::string>()->value_name("ID"), "only this organization's")(
        "json", "print a JSON array");
    const auto vm = parse(args, d);
    if (wants_help(vm, "orgscim issuers list [--org ID] [--json]", d)) return exit_ok;
    const auto db = stores::open(vm, true);
    const auto all = check(db.oauth->list_issuers(), "issuers");
    const std::string only = vm.count("org") ? vm["org"].as<std::string>() : "";
    json::array a;
    for (const auto& r : all) {
        if (!only.empty() && r.org_id != only) continue;
        a.push_back(json::object{{"id", r.id},
                                 {"org", r.org_id},
                                 {"entry", json::parse(r.entry)},
                                 {"created", iso_time(r.created_ms)}});
    }
    if (vm.count("json")) {
        std::cout << json::serialize(a) << "\n";
        return exit_ok;
    }
    std::cout << "ID\tORG\tISSUER\tCREATED\n";
    for (const auto& v : a) {
        const auto& o = v.as_object();
        const auto& e = o.at("entry").as_object();
        const auto* iss = e.if_contains("issuer");
        const auto* preset = e.if_contains("preset");
        std::cout << o.at("id").as_string() << '\t'
                  << (o.at("org").as_string().empty() ? "(invitees)"
                                                      : std::string(o.at("org").as_string()))
                  << '\t'
                  << (iss && iss->is_string()         ? std::string(iss->as_string())
                      : preset && preset->is_string() ? std::string(preset->as_string())
                                                      : "-")
                  << '\t' << o.at("created").as_string() << "\n";
    }
    return exit_ok;
}

int issuers_remove(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("id", po::value<std::string>()->value_name("ISSUER_ID"), "issuer id");
    const auto vm = parse(args, d, "id");
    if (wants_help(vm, "orgscim issuers remove ISSUER_ID", d)) return exit_ok;
    const auto id = require(vm, "id");
    const auto db = stores::open(vm, true);
    check(db.oauth->remove_issuer(id), "issuer " + id);
    return exit_ok;
}

int migrate(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("json", "print {\"backend\": ..., \"applied\": [...], \"version\": N}");
    const auto vm = parse(args, d);
    if (wants_help(vm, "orgscim migrate [--config FILE | --db PATH] [--json]", d)) return exit_ok;
    const auto lc = load(vm);
    const auto report = migrate_storage(lc.cfg.storage, now_ms());
    if (vm.count("json")) {
        json::array applied;
        for (int v : report.applied) applied.push_back(v);
        std::cout << json::serialize(json::object{{"backend", report.backend},
                                                  {"applied", std::move(applied)},
                                                  {"version", report.version}})
                  << "\n";
        return exit_ok;
    }
    if (report.applied.empty()) {
        std::cout << report.backend << ": schema version " << report.version
                  << ", nothing to apply\n";
        return exit_ok;
    }
    std::cout << report.backend << ": applied";
    for (int v : report.applied) std::cout << ' ' << v;
    std::cout << "; schema version " << report.version << "\n";
    return exit_ok;
}

int export_db(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("output,o", po::value<std::string>()->value_name("FILE"),
                    "write the export to FILE (default: standard output)")(
        "json", "with --output: print a summary as JSON");
    const auto vm = parse(args, d);
    if (wants_help(vm, "orgscim export [--config FILE | --db PATH] [--output FILE] [--json]", d))
        return exit_ok;
    if (vm.count("json") && !vm.count("output"))
        throw usage_error("--json needs --output (the export itself goes to standard output)");
    const auto lc = load(vm);
    if (!vm.count("output")) {
        export_storage(lc.cfg.storage, std::cout, now_ms());
        return exit_ok;
    }
    // Written beside the target and renamed when complete: a failed export leaves no file that
    // looks like a backup.
    const auto path = vm["output"].as<std::string>();
    const auto partial = path + ".partial";
    transfer_summary summary;
    try {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        if (!out) throw runtime_failure(partial + ": cannot write file");
        summary = export_storage(lc.cfg.storage, out, now_ms());
        out.close();
        if (!out) throw runtime_failure(partial + ": write failed");
        std::filesystem::rename(partial, path);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(partial, ignored);
        throw;
    }
    if (vm.count("json")) {
        std::cout << json::serialize(summary_json(summary, path)) << "\n";
    } else {
        std::cout << "exported " << summary.total() << " rows from " << summary.backend
                  << " (schema version " << summary.schema_version << ") to " << path << "\n";
    }
    return exit_ok;
}

int import_db(const std::vector<std::string>& args) {
    auto d = common_options();
    d.add_options()("file", po::value<std::string>()->value_name("FILE"),
                    "the export to load (- for standard input)")("json", "print a JSON summary");
    const auto vm = parse(args, d, "file");
    if (wants_help(vm, "orgscim import-db [--config FILE | --db PATH] [--json] FILE", d))
        return exit_ok;
    const auto file = require(vm, "file");
    const auto lc = load(vm);
    std::ifstream in;
    if (file != "-") {
        in.open(file, std::ios::binary);
        if (!in) throw runtime_failure(file + ": cannot read file");
    }
    const auto summary = import_storage(lc.cfg.storage, file == "-" ? std::cin : in);
    if (vm.count("json")) {
        std::cout << json::serialize(summary_json(summary)) << "\n";
    } else {
        std::cout << "imported " << summary.total() << " rows into " << summary.backend
                  << " (schema version " << summary.schema_version << ")\n";
    }
    return exit_ok;
}

// --- serve --------------------------------------------------------------------------------

struct demo_credentials {
    std::string org_id;
    std::string secret;
};

// Idempotent: the first start creates the "demo" organization, later starts reuse it; every
// start mints a fresh token because the old secrets were shown once and are gone.
demo_credentials prepare_demo(const config& cfg) {
    auto store = open_backend(cfg.storage);
    std::string org_id;
    for (const auto& o : check(store->list_orgs(), "organizations")) {
        if (o.name == "demo") {
            org_id = o.id;
            break;
        }
    }
    if (org_id.empty()) org_id = check(store->create_org("demo", std::nullopt), "organization").id;
    auto issued = check(issue_secret(*store, org_id, "demo", std::nullopt, true), "organization");
    return {org_id, std::move(issued.secret)};
}

std::string url_host(std::string address) {
    if (address.starts_with("0.0.0.0:")) return "127.0.0.1" + address.substr(7);
    if (address.starts_with("[::]:")) return "[::1]" + address.substr(4);
    return address;
}

int serve(const std::vector<std::string>& args, bool demo) {
    auto d = common_options();
    d.add_options()("listen", po::value<std::string>()->value_name("HOST:PORT"),
                    "address to listen on (default 127.0.0.1:8080; port 0 picks a free one)")(
        "demo", "create a demo organization (once) and a fresh token, print a curl line");
    const auto vm = parse(args, d);
    if (wants_help(vm, "orgscim serve [--config FILE] [--listen HOST:PORT] [--db PATH] [--demo]",
                   d)) {
        return exit_ok;
    }
    demo = demo || vm.count("demo") > 0;
    auto lc = load(vm);
    if (vm.count("listen")) {
        lc.cfg.server.listen = vm["listen"].as<std::string>();
        // Validate the flag the same way as the file.
        load_config(json::value{{"server", {{"listen", lc.cfg.server.listen}}}});
    }
    batch_access_lines();
    http_server server(lc.cfg.server);
    const auto address = url_host(server.local_address());
    if (!lc.explicit_base_url) lc.cfg.public_base_url = "http://" + address;

    std::optional<demo_credentials> creds;
    if (demo) creds = prepare_demo(lc.cfg);
    auto application = app::create_when_reachable(lc.cfg);
    if (creds) {
        const std::string base = lc.cfg.public_base_url + lc.cfg.base_path + "/scim/v2";
        std::cout << "orgscim demo\n"
                  << "  organization: " << creds->org_id << "\n"
                  << "  token:        " << creds->secret << "\n"
                  << "  SCIM base:    " << base << "\n"
                  << "list users:\n"
                  << "  curl -s -H 'Authorization: Bearer " << creds->secret << "' " << base
                  << "/Users\n"
                  << std::flush;
    }
    server.run(std::move(application), true);
    return exit_ok;
}

int dispatch(std::vector<std::string> args) {
    if (args.empty()) throw usage_error("missing command (see orgscim --help)");
    const std::string cmd = args.front();
    args.erase(args.begin());
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
        std::cout << top_help;
        return exit_ok;
    }
    if (cmd == "--version") {
        std::cout << "orgscim " << ORGSCIM_VERSION << "\n";
        return exit_ok;
    }
    if (cmd == "import")
        return orgscim::plugin::invitations::run_import_command(args, std::cout, std::cerr);
    if (cmd == "serve") return serve(args, false);
    if (cmd == "migrate") return migrate(args);
    if (cmd == "export") return export_db(args);
    if (cmd == "import-db") return import_db(args);
    if (cmd == "demo") return serve(args, true);
    if (cmd == "issuers") {
        if (args.empty()) throw usage_error("missing subcommand: orgscim issuers --help");
        const std::string sub = args.front();
        args.erase(args.begin());
        if (sub == "--help" || sub == "-h") {
            std::cout << "usage: orgscim issuers {add|list|remove} [options]  (--help on each)\n";
            return exit_ok;
        }
        if (sub == "add") return issuers_add(args);
        if (sub == "list") return issuers_list(args);
        if (sub == "remove") return issuers_remove(args);
        throw usage_error("unknown subcommand 'issuers " + sub + "' (see orgscim issuers --help)");
    }
    if (cmd == "orgs" || cmd == "tokens" || cmd == "clients") {
        const std::string group_help =
            cmd == "orgs"
                ? "usage: orgscim orgs {create|list|tree|manage|grant|events} [options]  (--help "
                  "on each)\n"
                : "usage: orgscim " + cmd + " {create|list|revoke" +
                      (cmd == "clients" ? "|rotate|federate" : "") +
                      "} [options]  (--help on each)\n";
        if (args.empty()) throw usage_error("missing subcommand: orgscim " + cmd + " --help");
        const std::string sub = args.front();
        args.erase(args.begin());
        if (sub == "--help" || sub == "-h") {
            std::cout << group_help;
            return exit_ok;
        }
        if (cmd == "orgs" && sub == "create") return orgs_create(args);
        if (cmd == "orgs" && sub == "list") return orgs_list(args);
        if (cmd == "orgs" && orgscim::plugin::orgs::is_orgs_cli_command(sub)) {
            return orgscim::plugin::orgs::run_orgs_cli(sub, args, std::cout, std::cerr);
        }
        if (cmd == "tokens" && sub == "create") return tokens_create(args);
        if (cmd == "tokens" && sub == "list") return tokens_list(args);
        if (cmd == "tokens" && sub == "revoke") return tokens_revoke(args);
        if (cmd == "clients" && sub == "create") return clients_create(args);
        if (cmd == "clients" && sub == "list") return clients_list(args);
        if (cmd == "clients" && sub == "revoke") return clients_revoke(args);
        if (cmd == "clients" && sub == "federate") return clients_federate(args);
        if (cmd == "clients" && sub == "rotate") return clients_rotate(args);
        throw usage_error("unknown subcommand '" + cmd + " " + sub + "' (see orgscim " + cmd +
                          " --help)");
    }
    throw usage_error("unknown command '" + cmd + "' (see orgscim --help)");
}

std::string one_line(std::string s) {
    for (auto& c : s) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    orgscim::plugin::configure_storage_for_this_process();
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        return dispatch(std::move(args));
    } catch (const usage_error& e) {
        std::cerr << "orgscim: " << one_line(e.what()) << "\n";
        return exit_usage;
    } catch (const config_error& e) {
        std::cerr << "orgscim: " << one_line(e.what()) << "\n";
        return exit_config;
    } catch (const std::exception& e) {
        std::cerr << "orgscim: " << one_line(e.what()) << "\n";
        return exit_runtime;
    }
}
