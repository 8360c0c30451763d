#include "pg_cluster.hpp"

#include <libpq-fe.h>
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

}  // namespace

pg_cluster::pg_cluster() {
    char tmpl[] = "/tmp/orgscim-pg-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("pg_cluster: mkdtemp failed");
    dir_ = tmpl;
    if (::geteuid() == 0 && ::chown(dir_.c_str(), nobody_uid, static_cast<gid_t>(-1)) != 0) {
        throw std::runtime_error("pg_cluster: cannot chown " + dir_ + " to nobody");
    }
    const std::string data = dir_ + "/data";
    std::string err;
    auto [rc, out] = run_command(as_server_user({bin("initdb"), "-D", data, "-U", "postgres", "-A",
                                                 "trust", "-E", "UTF8", "--locale=C", "--no-sync"}),
                                 &err);
    if (rc != 0) {
        std::filesystem::remove_all(dir_);
        throw std::runtime_error("pg_cluster: initdb failed (" + std::to_string(rc) + "): " + err);
    }
    const std::string log = dir_ + "/server.log";
    const std::string opts = "-h '' -k " + dir_ + " -p " + std::to_string(port_) +
                             " -c fsync=off -c shared_buffers=32MB -c max_connections=200";
    std::tie(rc, out) = run_command(as_server_user({bin("pg_ctl"), "-D", data, "-l", log, "-w",
                                                    "-t", "60", "-o", opts, "start"}),
                                    &err);
    if (rc != 0) {
        std::string tail = log_tail(log);
        std::filesystem::remove_all(dir_);
        throw std::runtime_error("pg_cluster: pg_ctl start failed: " + err + " log: " + tail);
    }
    started_ = true;
}

pg_cluster::~pg_cluster() {
    if (started_) {
        std::string err;
        run_command(
            as_server_user({bin("pg_ctl"), "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}),
            &err);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
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

bool ci_requires_services() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string_view(ci) == "true";
}

}  // namespace orgscim::testing
