#pragma once
// A throwaway PostgreSQL cluster for tests: initdb + pg_ctl from the PostgreSQL 15 binaries into a
// fresh temp dir, listening only on a unix socket inside that dir (no TCP port to collide on).
// PostgreSQL refuses to run as root, so under root the server runs as `nobody` via runuser.
// Reusable by any test that needs a real server (storage suite, black-box tests).

#include <sys/types.h>

#include <memory>
#include <orgscim/testing/process.hpp>  // ci_requires_services()
#include <string>
#include <string_view>

namespace orgscim::testing {

class pg_cluster {
  public:
    /// Starts the cluster (takes a few seconds). Throws std::runtime_error naming the failing step
    /// and the tail of the server log. Binaries: $ORGSCIM_PG_BIN or /usr/lib/postgresql/15/bin.
    pg_cluster();
    /// Stops the server (immediate mode) and removes the directory, through a watchdog process
    /// that does the same when this process ends without the destructor (abort, SIGKILL).
    ~pg_cluster();
    pg_cluster(const pg_cluster&) = delete;
    pg_cluster& operator=(const pg_cluster&) = delete;

    /// libpq URI of database `db` as superuser `postgres` (trust auth over the socket).
    std::string uri(std::string_view db = "postgres") const;
    /// Creates a new empty database (UTF8, C collation) and returns its URI.
    std::string create_database();
    /// Runs one SQL statement as superuser on `db`; returns the first column of the first row
    /// (or ""). Throws std::runtime_error on error.
    std::string query(const std::string& sql, std::string_view db = "postgres") const;

    /// Stops the server at once (immediate mode: like a crash; committed data survives) and
    /// starts it again on the same data (a database failover as clients see it).
    void stop();
    void start();

    const std::string& socket_dir() const { return dir_; }
    int port() const { return port_; }

    /// The process-wide cluster, started on first use; nullptr if it could not start, then
    /// `error` says why. Stopped at exit.
    static pg_cluster* shared(std::string* error = nullptr);

  private:
    void release_watchdog() noexcept;

    std::string dir_;
    int port_ = 5432;
    bool started_ = false;
    int watchdog_fd_ = -1;  // closing it (or this process ending) ends the cluster, see .cpp
    pid_t watchdog_pid_ = -1;
};

}  // namespace orgscim::testing
