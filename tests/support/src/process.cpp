#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <orgscim/testing/process.hpp>
#include <stdexcept>
#include <string_view>

namespace orgscim::testing {

namespace {
std::vector<char*> cstrings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}
}  // namespace

child_process::child_process(std::vector<std::string> argv, std::vector<std::string> env) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        dup2(fds[1], 2);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        for (auto& e : env) putenv(e.data());
        auto args = cstrings(argv);
        execv(args[0], args.data());
        _exit(127);
    }
    close(fds[1]);
    err_fd_ = fds[0];
}

child_process::~child_process() {
    if (running()) stop(SIGKILL, std::chrono::milliseconds(2000));
    if (err_fd_ >= 0) close(err_fd_);
}

bool child_process::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

bool child_process::read_some(std::chrono::milliseconds timeout) {
    pollfd p{err_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buf[4096];
    ssize_t n = read(err_fd_, buf, sizeof buf);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
        lines_.push_back(buffer_.substr(0, nl));
        buffer_.erase(0, nl + 1);
    }
    return true;
}

std::string child_process::wait_for_line(const std::function<bool(const std::string&)>& pred,
                                         std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t seen = 0;
    for (;;) {
        for (; seen < lines_.size(); ++seen) {
            if (pred(lines_[seen])) return lines_[seen];
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        if (!read_some(std::min(left, std::chrono::milliseconds(100))) && !running()) {
            if (!read_some(std::chrono::milliseconds(0))) break;
        }
    }
    std::string all;
    for (const auto& l : lines_) all += l + "\n";
    throw std::runtime_error("expected line not seen; stderr so far:\n" + all + buffer_);
}

void child_process::drain() {
    while (read_some(std::chrono::milliseconds(0))) {
    }
}

int child_process::stop(int sig, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            drain();
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        drain();
        usleep(10000);
    }
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
}

std::pair<int, std::string> run_command(const std::vector<std::string>& argv_in, std::string* err) {
    std::vector<std::string> argv = argv_in;
    int out[2], errp[2];
    if (pipe(out) != 0 || pipe(errp) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(errp[1], 2);
        // Only fds 1 and 2 may hold the pipes: a daemon started by the command must not keep
        // them open, or the caller waits for EOF until the daemon exits.
        close(out[0]);
        close(errp[0]);
        close(out[1]);
        close(errp[1]);
        auto args = cstrings(argv);
        execv(args[0], args.data());
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    std::string so, se;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, 30000) <= 0) break;
        for (auto& f : fds) {
            if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP))) continue;
            char buf[4096];
            ssize_t n = read(f.fd, buf, sizeof buf);
            if (n <= 0) {
                close(f.fd);
                f.fd = -1;
                --open_fds;
                continue;
            }
            (f.fd == out[0] ? so : se).append(buf, static_cast<std::size_t>(n));
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (err) *err = se;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), so};
}

temp_dir::temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "orgscim-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

bool ci_requires_services() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string_view(ci) == "true";
}

}  // namespace orgscim::testing
