#include "pg_cluster.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <orgscim/testing/process.hpp>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace orgscim::testing {

namespace {

std::string bin(const char* tool) {
    const char* env = std::getenv("ORGSCIM_PG_BIN");
    std::string dir = env != nullptr && *env != '\0' ? env : "/usr/lib/postgresql/15/bin";
    return dir + "/" + tool;
}

constexpr unsigned nobody_uid = 65534;

// As root, the server tools run as `nobody`.
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
    if (::geteuid() != 0) return argv;
    std::vector<std::string> out = {"/usr/sbin/runuser", "-u", "nobody", "--"};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

std::string log_tail(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::string out;
    for (std::size_t i = lines.size() > 8 ? lines.size() - 8 : 0; i < lines.size(); ++i)
        out += lines[i] + " | ";
    return out;
}

// Runs argv with stdout and stderr appended to `log` (no pipes: pg_ctl leaves a server behind
// that would hold a pipe open), waits, returns the exit status.
int run_logged(const std::vector<std::string>& argv, const std::string& log) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("pg_cluster: fork failed");
    if (pid == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        int in = ::open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        if (in >= 0) ::dup2(in, 0);
        // Nothing of the test process (sockets, pipes) may leak into a long-lived server.
        for (int f = 3; f < 1024; ++f) ::close(f);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// initdb is the slow part (seconds), and ctest runs every test in its own process: build one
// template data directory per machine and user, under a lock, and copy it for each cluster.
std::string template_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                       "/orgscim-pg-template-15-" + std::to_string(::geteuid());
    std::string lock = base + ".lock";
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("pg_cluster: cannot open " + lock);
    ::flock(fd, LOCK_EX);
    std::string data = base + "/data";
    if (!std::filesystem::exists(base + "/ready")) {
        std::filesystem::remove_all(base);
        std::filesystem::create_directories(base);
        if (::geteuid() == 0 && ::chown(base.c_str(), nobody_uid, static_cast<gid_t>(-1)) != 0) {
            ::close(fd);
            throw std::runtime_error("pg_cluster: cannot chown " + base);
        }
        int rc = run_logged(as_server_user({bin("initdb"), "-D", data, "-U", "postgres", "-A",
                                            "trust", "-E", "UTF8", "--locale=C", "--no-sync"}),
                            base + "/initdb.log");
        if (rc != 0) {
            std::string tail = log_tail(base + "/initdb.log");
            ::close(fd);
            throw std::runtime_error("pg_cluster: initdb failed: " + tail);
        }
        std::ofstream(base + "/ready") << "ok\n";
    }
    ::close(fd);  // releases the lock
    return data;
}

std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Starts a shell that stops the server in `dir` and removes `dir` once the returned descriptor
// is closed: by the destructor, or by the kernel when this process ends without one (an abort,
// a SIGKILL, a ctest timeout), so no test leaves a server behind. The descriptor is the only
// write end of the shell's stdin, kept from every other child by O_CLOEXEC.
int start_watchdog(const std::string& dir, pid_t& pid) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pg_cluster: pipe failed");
    std::string stop;
    for (const auto& a :
         as_server_user({bin("pg_ctl"), "-D", dir + "/data", "-m", "immediate", "-w", "stop"}))
        stop += quoted(a) + " ";
    const std::string script = "cat >/dev/null; " + stop + ">/dev/null 2>&1; rm -rf " + quoted(dir);
    pid = ::fork();
    if (pid < 0) throw std::runtime_error("pg_cluster: fork failed");
    if (pid == 0) {
        ::setsid();  // outside the test's process group, which a timeout kills
        ::dup2(fds[0], 0);
        const int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0) {
            ::dup2(null, 1);
            ::dup2(null, 2);
        }
        for (int f = 3; f < 1024; ++f) ::close(f);
        ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[0]);
    return fds[1];
}

}  // namespace

pg_cluster::pg_cluster() {
    char tmpl[] = "/tmp/orgscim-pg-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("pg_cluster: mkdtemp failed");
    dir_ = tmpl;
    watchdog_fd_ = start_watchdog(dir_, watchdog_pid_);
    try {
        if (::geteuid() == 0 && ::chown(dir_.c_str(), nobody_uid, static_cast<gid_t>(-1)) != 0) {
            throw std::runtime_error("pg_cluster: cannot chown " + dir_ + " to nobody");
        }
        const std::string data = dir_ + "/data";
        if (run_logged({"/bin/cp", "-a", template_dir(), data}, dir_ + "/cp.log") != 0) {
            throw std::runtime_error("pg_cluster: copying the initdb template failed: " +
                                     log_tail(dir_ + "/cp.log"));
        }
        start();
    } catch (...) {
        release_watchdog();
        throw;
    }
}

void pg_cluster::start() {
    if (started_) return;
    const std::string opts = "-h '' -k " + dir_ + " -p " + std::to_string(port_) +
                             " -c fsync=off -c shared_buffers=32MB -c max_connections=200";
    int rc =
        run_logged(as_server_user({bin("pg_ctl"), "-D", dir_ + "/data", "-l", dir_ + "/server.log",
                                   "-w", "-t", "60", "-o", opts, "start"}),
                   dir_ + "/pg_ctl.log");
    if (rc != 0) {
        throw std::runtime_error("pg_cluster: pg_ctl start failed: " +
                                 log_tail(dir_ + "/pg_ctl.log") + log_tail(dir_ + "/server.log"));
    }
    started_ = true;
}

void pg_cluster::stop() {
    if (!started_) return;
    run_logged(
        as_server_user({bin("pg_ctl"), "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}),
        "/dev/null");
    started_ = false;
}

pg_cluster::~pg_cluster() { release_watchdog(); }

// The watchdog's shell is the one way a cluster ends, with or without this process.
void pg_cluster::release_watchdog() noexcept {
    if (watchdog_fd_ < 0) return;
    ::close(watchdog_fd_);  // the shell stops the server and removes the folder
    watchdog_fd_ = -1;
    int status = 0;
    ::waitpid(watchdog_pid_, &status, 0);
    started_ = false;
}

std::string pg_cluster::uri(std::string_view db) const {
    return "postgresql:///" + std::string(db) + "?host=" + dir_ + "&port=" + std::to_string(port_) +
           "&user=postgres";
}

std::string pg_cluster::query(const std::string& sql, std::string_view db) const {
    PGconn* c = PQconnectdb(uri(db).c_str());
    if (PQstatus(c) != CONNECTION_OK) {
        std::string msg = PQerrorMessage(c);
        PQfinish(c);
        throw std::runtime_error("pg_cluster: connect: " + msg);
    }
    PGresult* r = PQexec(c, sql.c_str());
    auto st = PQresultStatus(r);
    std::string out;
    if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    std::string msg = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        throw std::runtime_error("pg_cluster: " + sql + ": " + msg);
    return out;
}

std::string pg_cluster::create_database() {
    static std::atomic<int> n{0};
    std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++n);
    query("CREATE DATABASE " + name +
          " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
    return uri(name);
}

pg_cluster* pg_cluster::shared(std::string* error) {
    static std::once_flag once;
    static std::unique_ptr<pg_cluster> cluster;
    static std::string why;
    std::call_once(once, [] {
        try {
            cluster = std::make_unique<pg_cluster>();
        } catch (const std::exception& e) {
            why = e.what();
        }
    });
    if (!cluster && error != nullptr) *error = why;
    return cluster.get();
}

}  // namespace orgscim::testing
