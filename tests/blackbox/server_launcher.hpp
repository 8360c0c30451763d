#pragma once
// Starts the real `orgscim serve` on port 0 with a temporary SQLite database, and mints
// organizations and provisioning secrets through the real CLI.

#include <memory>
#include <orgscim/testing/http_client.hpp>
#include <orgscim/testing/process.hpp>
#include <string>
#include <vector>

namespace orgscim::testing {

struct tenant {
    std::string org;
    std::string token;
};

class orgscim_server {
  public:
    /// `extra_args` go after `serve`; `config_json` (if not empty) is written to a file and passed
    /// with --config. The server and the CLI get `--db <temp dir>/orgscim.db` unless the config
    /// has a "storage" section (e.g. PostgreSQL).
    explicit orgscim_server(std::vector<std::string> extra_args = {},
                            const std::string& config_json = {},
                            std::vector<std::string> env = {});
    ~orgscim_server();

    unsigned short port() const { return port_; }
    const std::string& db() const { return db_; }
    const std::string& dir() const { return dir_.path(); }
    child_process& process() { return *proc_; }

    /// Runs `orgscim <args...> --db <db>` and returns stdout; fails the test on a non-zero exit.
    std::string cli(std::vector<std::string> args);
    /// A new organization and a read-write provisioning secret for it.
    tenant new_tenant(const std::string& name);

    void restart();
    static std::string binary();

  private:
    void start();
    temp_dir dir_;
    std::string db_;
    std::string config_path_;
    std::vector<std::string> extra_args_;
    std::vector<std::string> env_;
    std::unique_ptr<child_process> proc_;
    unsigned short port_ = 0;
    bool uses_db_flag_ = true;
};

}  // namespace orgscim::testing
