#include <boost/json/parse.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <orgscim/testing/node_tools.hpp>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

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
    port_ = static_cast<unsigned short>(std::stoi(url_.substr(url_.rfind(':') + 1)));
    client_ = std::make_unique<http_client>("127.0.0.1", port_);
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

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

smtp_sink::smtp_sink(const std::string& source_dir, std::vector<std::string> args) {
    std::vector<std::string> argv{find_node(), source_dir + "/tests/tools/smtp-sink.mjs", "--dir",
                                  dir_.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    proc_ = std::make_unique<child_process>(argv);
    const auto line =
        proc_->wait_for_line([](const std::string& l) { return l.starts_with("SMTP_PORT="); }, 20s);
    if (line.empty()) throw std::runtime_error("smtp sink did not start");
    port_ = static_cast<unsigned short>(std::stoi(line.substr(line.find('=') + 1)));
}

smtp_sink::~smtp_sink() {
    if (proc_ && proc_->running()) proc_->stop(SIGKILL, 5s);
}

std::size_t smtp_sink::received() const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_.path()))
        if (e.path().extension() == ".eml") ++n;
    return n;
}

bool smtp_sink::wait_received(std::size_t n, std::chrono::milliseconds timeout) const {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (received() < n && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(10ms);
    return received() >= n;
}

std::string smtp_sink::message(std::size_t n, std::chrono::milliseconds timeout) const {
    const auto file = fs::path(dir_.path()) / (std::to_string(n) + ".eml");
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!fs::exists(file) && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(20ms);
    return fs::exists(file) ? slurp(file) : std::string();
}

std::string smtp_sink::next_to(const std::string& to, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        for (const auto& f : fs::directory_iterator(dir_.path())) {
            if (f.path().extension() != ".eml" || seen_.count(f.path().string())) continue;
            auto eml = slurp(f.path());
            if (eml.find("To: " + to) == std::string::npos &&
                eml.find("<" + to + ">") == std::string::npos)
                continue;
            seen_.insert(f.path().string());
            return eml;
        }
        std::this_thread::sleep_for(20ms);
    }
    return {};
}

}  // namespace orgscim::testing
