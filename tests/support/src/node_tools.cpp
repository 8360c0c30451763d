#include <boost/json/parse.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <orgscim/testing/node_tools.hpp>
#include <stdexcept>
#include <string_view>

namespace orgscim::testing {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string find_node() {
    const char* path = std::getenv("PATH");
    std::string_view rest = path ? path : "/usr/bin";
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const fs::path dir(rest.substr(0, colon));
        if (fs::exists(dir / "node")) return (dir / "node").string();
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    return {};
}

bool node_tools_present(const std::string& source_dir) {
    const fs::path tools = fs::path(source_dir) / "tests/tools/node_modules";
    return !find_node().empty() && fs::exists(tools / "oidc-provider") &&
           fs::exists(tools / "smtp-server");
}

oidc_provider::oidc_provider(const std::string& source_dir, std::vector<std::string> args)
    : source_dir_(source_dir) {
    std::vector<std::string> argv{find_node(), source_dir + "/tests/tools/oidc-provider.mjs",
                                  "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    proc_ = std::make_unique<child_process>(argv);
    const auto line = proc_->wait_for_line(
        [](const std::string& l) { return l.starts_with("OIDC_PROVIDER_URL="); }, 30s);
    if (line.empty()) throw std::runtime_error("oidc-provider did not start");
    url_ = line.substr(line.find('=') + 1);
    const auto port = static_cast<unsigned short>(std::stoi(url_.substr(url_.rfind(':') + 1)));
    client_ = std::make_unique<http_client>("127.0.0.1", port);
}

oidc_provider::~oidc_provider() {
    client_.reset();
    if (proc_ && proc_->running()) proc_->stop(SIGKILL, 5s);
}

std::string oidc_provider::client_token(const std::string& form) {
    auto r = client_->request("POST", "/token",
                              {{"Authorization", "Basic c2NpbS1jbGllbnQ6czNjcmV0"},
                               {"Content-Type", "application/x-www-form-urlencoded"}},
                              form);
    if (r.status != 200) throw std::runtime_error("token endpoint: " + r.body);
    return std::string(boost::json::parse(r.body).at("access_token").as_string());
}

std::string oidc_provider::sign_in(const std::string& login, const std::string& scope) {
    std::string err;
    auto [rc, out] = run_command({find_node(), source_dir_ + "/tests/tools/oidc-sign-in.mjs",
                                  "--issuer", url_, "--login", login, "--scope", scope},
                                 &err);
    if (rc != 0 || out.empty()) throw std::runtime_error("sign-in of " + login + ": " + err);
    return out;
}

}  // namespace orgscim::testing
