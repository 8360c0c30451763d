#pragma once
// plugin::config: the whole configuration, one JSON document validated completely at load
// (unknown keys rejected, every error names its JSON path) and immutable afterwards.
// docs/configuration.md documents every key.

#include <boost/json/fwd.hpp>
#include <cstddef>
#include <memory>
#include <orgscim/oidc/config.hpp>
#include <orgscim/scim/config.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace orgscim::plugin {

namespace invitations {
struct module_config;  // orgscim/plugin/invitations/module.hpp
}

/// The operator's fault: a bad config. Carries every problem found, each prefixed with its path.
class config_error : public std::runtime_error {
  public:
    explicit config_error(std::vector<std::string> errors);
    const std::vector<std::string>& errors() const noexcept { return errors_; }

  private:
    std::vector<std::string> errors_;
};

/// Start-up failed for a reason outside the config (database cannot be opened, port taken).
class startup_error : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct server_config {
    std::string listen = "127.0.0.1:8080";
    unsigned threads = 0;  ///< 0: one per core
    /// Threads that run the requests which change data (POST, PUT, PATCH, DELETE) apart from
    /// the I/O threads, so that writes waiting for the database (on SQLite, for a commit they
    /// share with other writes) hold none of the threads that read. 0: on the I/O threads.
    /// When the file leaves it out, load_config() sets it by backend: 8 on SQLite, whose group
    /// commit needs writes that wait together; 0 on PostgreSQL, where more writers at once
    /// queue on their organization's tree lock and wrote less (docs/performance.md).
    unsigned write_threads = 8;
    std::size_t max_body_bytes = 1048576;
    std::size_t max_header_bytes = 8192;
    unsigned read_timeout_ms = 30000;  ///< a whole request must arrive within this
    unsigned idle_timeout_ms = 60000;  ///< keep-alive connections idle longer are closed
    unsigned shutdown_grace_ms = 10000;
    /// How long a valid provisioning-secret check is reused without asking the database; also
    /// how long a secret revoked elsewhere keeps working here. 0: no reuse.
    unsigned credential_cache_ms = 5000;
    bool access_log = true;
};

struct sqlite_config {
    std::string path = "orgscim.db";
    unsigned busy_timeout_ms = 5000;
    /// "normal" survives a crash of the process (kill -9); "full" also survives power loss.
    std::string synchronous = "normal";
    /// `orgscim serve` runs writes as coroutines of one writer thread, and those queued together
    /// share one transaction and one COMMIT; false: server.write_threads hand the file's gate
    /// from thread to thread.
    bool write_coroutines = true;
};

struct postgres_config {
    std::string uri_env = "ORGSCIM_POSTGRES_URI";  ///< name of the variable holding the URI
    unsigned pool_size = 8;
    unsigned connect_timeout_ms = 5000;
    unsigned statement_timeout_ms = 10000;
    /// The HTTP host's reads of Users and Groups share one pipelined connection per I/O thread
    /// and wait for it in coroutines (pg::pipe), instead of one blocking round trip each.
    bool pipeline_reads = true;
};

struct storage_config {
    std::string backend = "sqlite";  ///< "sqlite" | "postgresql"
    sqlite_config sqlite;
    postgres_config postgresql;
};

struct config {
    /// Absolute URL clients use to reach this server, without trailing slash; Location headers,
    /// meta.location and invitation links are built from it, never from the Host header.
    std::string public_base_url = "http://127.0.0.1:8080";
    /// Path prefix below which orgscim is mounted ("" standalone, "/api/<instance>" in Glewlwyd).
    std::string base_path;
    server_config server;
    storage_config storage;
    scim::config scim;
    oidc::config oidc;
    /// The "invitations" key (issue 6), parsed by invitations::parse_module_config; never null
    /// after load_config (defaults when the key is absent: no SMTP, so no email is sent).
    std::shared_ptr<const invitations::module_config> invitations;
};

/// Validates and converts. Throws config_error listing every problem ("server.threads: expected
/// unsigned integer", "storage.backend: unknown backend \"mysql\"", "foo: unknown key").
config load_config(const boost::json::value& doc);
/// Reads a file and calls load_config. Throws config_error (unreadable file, invalid JSON).
config load_config_file(const std::string& path);

}  // namespace orgscim::plugin
