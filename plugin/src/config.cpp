#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cstdint>
#include <fstream>
#include <limits>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/invitations/module.hpp>
#include <sstream>
#include <string_view>

namespace orgscim::plugin {

namespace json = boost::json;

namespace {

std::string join_errors(const std::vector<std::string>& errors) {
    std::string s = "invalid configuration: ";
    for (std::size_t i = 0; i < errors.size(); ++i) {
        if (i > 0) s += "; ";
        s += errors[i];
    }
    return s;
}

// Reads one JSON object: every accessor marks its key as known, finish() reports the rest as
// unknown. Type problems are collected, never thrown, so one pass reports everything.
class object_reader {
  public:
    object_reader(const json::value& v, std::string path, std::vector<std::string>& errors)
        : path_(std::move(path)), errors_(errors) {
        if (v.is_object()) {
            obj_ = &v.as_object();
        } else {
            fail(path_, "expected object");
        }
    }

    bool ok() const noexcept { return obj_ != nullptr; }
    std::string key_path(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    const json::value* get(std::string_view key) {
        known_.emplace_back(key);
        if (!obj_) return nullptr;
        return obj_->if_contains(key);
    }

    void string(std::string_view key, std::string& out) {
        if (const auto* v = get(key)) {
            if (v->is_string()) {
                out = std::string(v->as_string());
            } else {
                fail(key_path(key), "expected string");
            }
        }
    }

    void boolean(std::string_view key, bool& out) {
        if (const auto* v = get(key)) {
            if (v->is_bool()) {
                out = v->as_bool();
            } else {
                fail(key_path(key), "expected boolean");
            }
        }
    }

    template <class T>
    void unsigned_int(std::string_view key, T& out, std::uint64_t min, std::uint64_t max) {
        const auto* v = get(key);
        if (!v) return;
        std::uint64_t n = 0;
        if (v->is_uint64()) {
            n = v->as_uint64();
        } else if (v->is_int64() && v->as_int64() >= 0) {
            n = static_cast<std::uint64_t>(v->as_int64());
        } else {
            fail(key_path(key), "expected unsigned integer");
            return;
        }
        if (n < min || n > max) {
            fail(key_path(key),
                 "must be between " + std::to_string(min) + " and " + std::to_string(max));
            return;
        }
        out = static_cast<T>(n);
    }

    void finish() {
        if (!obj_) return;
        for (const auto& kv : *obj_) {
            bool found = false;
            for (const auto& k : known_) found = found || k == kv.key();
            if (!found) fail(key_path(kv.key()), "unknown key");
        }
    }

    void fail(const std::string& path, std::string_view problem) {
        errors_.push_back((path.empty() ? std::string("(document)") : path) + ": " +
                          std::string(problem));
    }

  private:
    const json::object* obj_ = nullptr;
    std::string path_;
    std::vector<std::string>& errors_;
    std::vector<std::string_view> known_;
};

constexpr std::uint64_t max_u32 = std::numeric_limits<unsigned>::max();
constexpr std::uint64_t max_ms = 24ull * 3600 * 1000;  // a day: anything longer is a typo
// A revoked secret keeps working for this long: a minute is already far past the point where a
// longer reuse saves any lookups.
constexpr std::uint64_t max_credential_cache_ms = 60000;

bool valid_listen(std::string_view s) {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    auto host = s.substr(0, colon);
    const auto port = s.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    unsigned p = 0;
    for (const char c : port) {
        if (c < '0' || c > '9') return false;
        p = p * 10 + static_cast<unsigned>(c - '0');
    }
    if (p > 65535) return false;
    if (host.front() == '[') return host.size() > 2 && host.back() == ']';
    return host.find(':') == std::string_view::npos;
}

void read_server(const json::value& v, server_config& out, std::vector<std::string>& errors) {
    object_reader r(v, "server", errors);
    r.string("listen", out.listen);
    if (r.get("listen") && !valid_listen(out.listen)) {
        r.fail("server.listen", "expected HOST:PORT (e.g. \"127.0.0.1:8080\", \"[::1]:8080\")");
    }
    r.unsigned_int("threads", out.threads, 0, 1024);
    r.unsigned_int("write_threads", out.write_threads, 0, 1024);
    r.unsigned_int("max_body_bytes", out.max_body_bytes, 1024, 1ull << 30);
    r.unsigned_int("max_header_bytes", out.max_header_bytes, 1024, 1u << 20);
    r.unsigned_int("read_timeout_ms", out.read_timeout_ms, 1, max_ms);
    r.unsigned_int("idle_timeout_ms", out.idle_timeout_ms, 1, max_ms);
    r.unsigned_int("shutdown_grace_ms", out.shutdown_grace_ms, 0, max_ms);
    r.unsigned_int("credential_cache_ms", out.credential_cache_ms, 0, max_credential_cache_ms);
    r.boolean("access_log", out.access_log);
    r.finish();
}

void read_storage(const json::value& v, storage_config& out, std::vector<std::string>& errors) {
    object_reader r(v, "storage", errors);
    r.string("backend", out.backend);
    if (r.ok() && out.backend != "sqlite" && out.backend != "postgresql") {
        r.fail("storage.backend",
               "unknown backend \"" + out.backend + "\" (expected \"sqlite\" or \"postgresql\")");
    }
    if (const auto* s = r.get("sqlite")) {
        object_reader q(*s, "storage.sqlite", errors);
        q.string("path", out.sqlite.path);
        if (q.ok() && out.sqlite.path.empty()) q.fail("storage.sqlite.path", "must not be empty");
        q.unsigned_int("busy_timeout_ms", out.sqlite.busy_timeout_ms, 0, max_ms);
        q.string("synchronous", out.sqlite.synchronous);
        if (q.ok() && out.sqlite.synchronous != "normal" && out.sqlite.synchronous != "full") {
            q.fail("storage.sqlite.synchronous", "expected \"normal\" or \"full\"");
        }
        q.boolean("write_coroutines", out.sqlite.write_coroutines);
        q.finish();
    }
    if (const auto* p = r.get("postgresql")) {
        object_reader q(*p, "storage.postgresql", errors);
        q.string("uri_env", out.postgresql.uri_env);
        if (q.ok() && out.postgresql.uri_env.empty()) {
            q.fail("storage.postgresql.uri_env", "must name an environment variable");
        }
        q.unsigned_int("pool_size", out.postgresql.pool_size, 1, 256);
        q.unsigned_int("connect_timeout_ms", out.postgresql.connect_timeout_ms, 1, max_ms);
        q.unsigned_int("statement_timeout_ms", out.postgresql.statement_timeout_ms, 1, max_ms);
        q.boolean("pipeline_reads", out.postgresql.pipeline_reads);
        q.finish();
    }
    r.finish();
}

void read_scim(const json::value& v, scim::config& out, std::vector<std::string>& errors) {
    object_reader r(v, "scim", errors);
    r.unsigned_int("default_count", out.default_count, 0, 1000000);
    r.unsigned_int("max_results", out.max_results, 1, 1000000);
    r.unsigned_int("max_filter_length", out.max_filter_length, 16, 1u << 20);
    r.unsigned_int("max_json_depth", out.max_json_depth, 4, 1024);
    if (const auto* b = r.get("bulk")) {
        object_reader q(*b, "scim.bulk", errors);
        q.unsigned_int("max_operations", out.bulk.max_operations, 0, 1000000);
        q.unsigned_int("max_payload_bytes", out.bulk.max_payload_bytes, 1024, 1ull << 30);
        q.finish();
    }
    if (const auto* c = r.get("compat")) {
        object_reader q(*c, "scim.compat", errors);
        q.boolean("case_insensitive_ops", out.compat.case_insensitive_ops);
        q.boolean("string_booleans", out.compat.string_booleans);
        q.boolean("remove_members_by_value_list", out.compat.remove_members_by_value_list);
        q.boolean("idempotent_remove", out.compat.idempotent_remove);
        q.boolean("manager_as_string", out.compat.manager_as_string);
        q.finish();
    }
    r.finish();
    if (out.default_count > out.max_results) {
        errors.push_back("scim.default_count: must not exceed scim.max_results (" +
                         std::to_string(out.max_results) + ")");
    }
}

void check_public_base_url(const std::string& s, std::vector<std::string>& errors) {
    const auto u = boost::urls::parse_absolute_uri(s);
    if (!u) {
        errors.push_back("public_base_url: expected an absolute http(s) URL");
        return;
    }
    if (u->scheme() != "http" && u->scheme() != "https") {
        errors.push_back("public_base_url: scheme must be http or https");
    } else if (!u->has_authority() || u->encoded_host().empty()) {
        errors.push_back("public_base_url: expected a host");
    } else if (u->has_query() || u->has_fragment() || u->has_userinfo()) {
        errors.push_back("public_base_url: must not have user info, a query or a fragment");
    } else if (!s.empty() && s.back() == '/') {
        errors.push_back("public_base_url: must not end with '/'");
    }
}

void check_base_path(const std::string& s, std::vector<std::string>& errors) {
    if (s.empty()) return;
    if (s.front() != '/' || s.back() == '/') {
        errors.push_back(
            "base_path: expected \"\" or a path like \"/api/scim\" (leading '/', no "
            "trailing '/')");
        return;
    }
    for (const char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '_' || c == '.' ||
                        c == '~';
        if (!ok) {
            errors.push_back("base_path: only letters, digits, '/', '-', '_', '.' and '~' allowed");
            return;
        }
    }
    if (s.find("//") != std::string::npos || s.find("/./") != std::string::npos ||
        s.find("/../") != std::string::npos || s.ends_with("/..") || s.ends_with("/.")) {
        errors.push_back("base_path: must be a normalized path");
    }
}

}  // namespace

config_error::config_error(std::vector<std::string> errors)
    : std::runtime_error(join_errors(errors)), errors_(std::move(errors)) {}

config load_config(const json::value& doc) {
    config cfg;
    std::vector<std::string> errors;
    object_reader r(doc, "", errors);
    r.string("public_base_url", cfg.public_base_url);
    if (r.get("public_base_url")) check_public_base_url(cfg.public_base_url, errors);
    r.string("base_path", cfg.base_path);
    if (r.get("base_path")) check_base_path(cfg.base_path, errors);
    const auto* server = r.get("server");
    if (server) read_server(*server, cfg.server, errors);
    if (const auto* v = r.get("storage")) read_storage(*v, cfg.storage, errors);
    if (cfg.storage.backend != "sqlite" &&
        !(server && server->is_object() && server->as_object().contains("write_threads"))) {
        cfg.server.write_threads = 0;  // the backend's default (server_config::write_threads)
    }
    if (const auto* v = r.get("scim")) read_scim(*v, cfg.scim, errors);
    if (const auto* v = r.get("oidc")) oidc::load_config(*v, "oidc", cfg.oidc, errors);
    // Parsed even when absent, so the defaults pass the same checks.
    const auto* inv = r.get("invitations");
    cfg.invitations = std::make_shared<const invitations::module_config>(
        invitations::parse_module_config(inv ? *inv : json::value(json::object()), errors));
    r.finish();
    if (cfg.scim.bulk.max_payload_bytes > cfg.server.max_body_bytes) {
        errors.push_back("scim.bulk.max_payload_bytes: must not exceed server.max_body_bytes (" +
                         std::to_string(cfg.server.max_body_bytes) + ")");
    }
    if (!errors.empty()) throw config_error(std::move(errors));
    return cfg;
}

config load_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw config_error({path + ": cannot read file"});
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    const json::value doc = json::parse(text, ec, {}, opts);
    if (ec) throw config_error({path + ": invalid JSON (" + ec.message() + ")"});
    return load_config(doc);
}

}  // namespace orgscim::plugin
