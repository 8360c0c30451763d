// The tests' throwaway PostgreSQL cluster (pg_cluster.hpp) is stopped and removed even when the
// test process ends without running its destructor (an abort, a SIGKILL, a ctest timeout).
#include "pg_cluster.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace {

// Processes whose command line mentions `text`.
int processes_mentioning(const std::string& text) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(e.path() / "cmdline");
        std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (cmd.find(text) != std::string::npos) ++n;
    }
    return n;
}

TEST(pg_cluster, a_test_process_killed_without_its_destructor_leaves_no_server_behind) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        std::string line;
        try {
            orgscim::testing::pg_cluster c;
            line = c.socket_dir() + "\n";
            if (::write(fds[1], line.data(), line.size()) < 0) ::_exit(1);
            ::raise(SIGKILL);  // no destructor runs
        } catch (const std::exception& e) {
            line = std::string("!") + e.what() + "\n";
            if (::write(fds[1], line.data(), line.size()) < 0) ::_exit(1);
            ::_exit(1);
        }
    }
    ::close(fds[1]);
    std::string dir;
    char ch = 0;
    while (::read(fds[0], &ch, 1) == 1 && ch != '\n') dir += ch;
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    if (dir.starts_with("!")) {
        if (orgscim::testing::ci_requires_services()) FAIL() << dir;
        GTEST_SKIP() << "PostgreSQL is not available: " << dir;
    }
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    ASSERT_FALSE(dir.empty());

    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until &&
           (std::filesystem::exists(dir) || processes_mentioning(dir) > 0)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_FALSE(std::filesystem::exists(dir));
    EXPECT_EQ(processes_mentioning(dir), 0) << "a server of " << dir << " still runs";
}

}  // namespace
