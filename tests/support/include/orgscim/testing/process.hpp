#pragma once
// Test support: a child process with its stderr captured, started from argv, stopped by signal.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace orgscim::testing {

class child_process {
  public:
    /// Starts argv[0] with the given arguments and extra environment ("K=V"). stdout goes to
    /// /dev/null; stderr is captured line by line. Throws std::runtime_error if fork/exec fails.
    child_process(std::vector<std::string> argv, std::vector<std::string> env = {});
    ~child_process();  ///< kills (SIGKILL) if still running
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// Reads stderr until a line satisfies `pred` (returned) or the timeout passes (throws).
    std::string wait_for_line(const std::function<bool(const std::string&)>& pred,
                              std::chrono::milliseconds timeout);
    /// Every stderr line read so far.
    const std::vector<std::string>& lines() const { return lines_; }
    /// Sends `sig` and waits up to `timeout` for exit; returns the exit status (or -1).
    int stop(int sig, std::chrono::milliseconds timeout);
    /// Drains the remaining stderr without blocking.
    void drain();
    int pid() const { return pid_; }
    bool running();

  private:
    int pid_ = -1;
    int err_fd_ = -1;
    std::string buffer_;
    std::vector<std::string> lines_;
    bool read_some(std::chrono::milliseconds timeout);
};

/// Runs a command to completion; returns {exit status, stdout}. Throws on fork failure.
std::pair<int, std::string> run_command(const std::vector<std::string>& argv,
                                        std::string* err = nullptr);

/// True when CI=true: a service or tool a test needs that is missing is a failure there, never a
/// skip.
bool ci_requires_services();

/// A fresh temporary directory removed (recursively) at destruction.
class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace orgscim::testing
