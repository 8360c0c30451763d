// Imports N emails (default 10,000) into a fresh SQLite database with emails queued, twice (the
// second run must create nothing), and prints the wall time of each run.
//   orgscim_import_bench [N]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <orgscim/plugin/invitations/import.hpp>
#include <orgscim/plugin/invitations/memory_directory.hpp>
#include <string>

#include "sqlite/sqlite_invitation_store.hpp"
#include "sqlite/sqlite_store.hpp"

namespace inv = orgscim::plugin::invitations;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 10000;
    auto dir = fs::temp_directory_path() / ("orgscim-import-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    orgscim::plugin::sqlite_config cfg;
    cfg.path = (dir / "db.sqlite").string();
    int rc = 0;
    {
        orgscim::plugin::sqlite_store migrated(cfg);
        orgscim::plugin::sqlite_invitation_store store(cfg);
        inv::memory_directory directory;
        directory.add_org({"acme", "Acme", "active", "", {}, ""});
        directory.add_role("acme", "Associate");
        inv::service svc({{}, "https://id.example.com"}, store, directory, nullptr);

        std::string csv = "email,name\n";
        for (int i = 0; i < n; ++i)
            csv += "person" + std::to_string(i) + "@example.com,Person " + std::to_string(i) + "\n";
        auto rows = inv::parse_import(csv, "csv");
        inv::import_options opt;
        opt.org_id = "acme";
        opt.role = "Associate";
        for (int run = 1; run <= 2; ++run) {
            auto start = std::chrono::steady_clock::now();
            auto out = inv::run_import(svc, opt, *rows);
            double secs =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::size_t invited = 0;
            for (const auto& l : *out) invited += l.outcome == "invited";
            std::printf("run %d: %d rows, %zu invited, %.2f s (%.0f rows/s)\n", run, n, invited,
                        secs, n / secs);
            if (run == 1 && (invited != static_cast<std::size_t>(n) || secs >= 10.0)) rc = 1;
            if (run == 2 && invited != 0) rc = 1;
        }
    }
    fs::remove_all(dir);
    return rc;
}
