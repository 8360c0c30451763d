#include "server_launcher.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <fstream>
#include <stdexcept>

namespace orgscim::testing {

std::string orgscim_server::binary() { return ORGSCIM_BIN; }

orgscim_server::orgscim_server(std::vector<std::string> extra_args,
                               const std::string& config_json,
                               std::vector<std::string> env)
    : extra_args_(std::move(extra_args)), env_(std::move(env)) {
    db_ = dir_.path() + "/orgscim.db";
    // --db means SQLite at that path: a config that chooses its storage must not get it.
    uses_db_flag_ = config_json.find("\"storage\"") == std::string::npos;
    if (!config_json.empty()) {
        config_path_ = dir_.path() + "/config.json";
        std::ofstream(config_path_) << config_json;
    }
    start();
}

orgscim_server::~orgscim_server() {
    if (proc_) proc_->stop(SIGTERM, std::chrono::milliseconds(5000));
}

void orgscim_server::start() {
    std::vector<std::string> argv{binary(), "serve", "--listen", "127.0.0.1:0"};
    if (uses_db_flag_) {
        argv.push_back("--db");
        argv.push_back(db_);
    }
    if (!config_path_.empty()) {
        argv.push_back("--config");
        argv.push_back(config_path_);
    }
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    proc_ = std::make_unique<child_process>(argv, env_);
    auto line = proc_->wait_for_line(
        [](const std::string& l) { return l.find("\"listening\"") != std::string::npos; },
        std::chrono::seconds(20));
    auto v = boost::json::parse(line);
    std::string addr(v.at("address").as_string());
    port_ = static_cast<unsigned short>(std::stoi(addr.substr(addr.rfind(':') + 1)));
}

void orgscim_server::restart() {
    proc_->stop(SIGTERM, std::chrono::milliseconds(5000));
    start();
}

std::string orgscim_server::cli(std::vector<std::string> args) {
    std::vector<std::string> argv{binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (uses_db_flag_) {
        argv.push_back("--db");
        argv.push_back(db_);
    }
    if (!config_path_.empty()) {  // the same storage as the server (e.g. PostgreSQL)
        argv.push_back("--config");
        argv.push_back(config_path_);
    }
    std::string err;
    auto [status, out] = run_command(argv, &err);
    if (status != 0) {
        throw std::runtime_error("orgscim CLI failed (" + std::to_string(status) + "): " + err);
    }
    return out;
}

tenant orgscim_server::new_tenant(const std::string& name) {
    tenant t;
    auto org = boost::json::parse(cli({"orgs", "create", "--name", name, "--json"}));
    t.org = org.at("id").as_string().c_str();
    auto tok = boost::json::parse(cli({"tokens", "create", "--org", t.org, "--json"}));
    t.token = tok.at("secret").as_string().c_str();
    return t;
}

}  // namespace orgscim::testing
