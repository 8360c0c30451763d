// orgscim as a Glewlwyd 2.7.5 plugin module: the five functions the host dlsym()s, one instance
// per Glewlwyd plugin instance, every request under /api/<instance>/ handed to plugin::app.
// Rules (glewlwyd.md §3): nothing may throw across these functions, load must never fail, every
// json_t*/char* we return is heap memory Glewlwyd frees, and close removes what init added.

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <cctype>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <orgscim/plugin/app.hpp>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/plugin/user_sync.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app_impl.hpp"  // make_app: app over a backend we decorate
#include "glewlwyd_abi.h"
#include "host_log.hpp"
#include "ulfius_adapter.hpp"
#include "user_mirror.hpp"
#include "user_sync_backend.hpp"

#define ORGSCIM_GLEWLWYD_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

namespace plugin = orgscim::plugin;
namespace gw = orgscim::plugin::glewlwyd;

constexpr const char* module_name = "orgscim";
// One route for the whole instance: orgscim routes (SCIM, per-org SCIM, invitations, health)
// itself, so the module never needs to know the URL space. Ulfius's "*" spans several segments.
constexpr const char* route_method = "*";
constexpr const char* route_url = "*";
constexpr const char* options_key = "glewlwyd";

struct instance {
    std::string name;
    config_plugin* host = nullptr;
    std::unique_ptr<gw::user_mirror> mirror;  // declared before app: app may call it until gone
    std::shared_ptr<plugin::app> app;
};

struct json_deleter {
    void operator()(json_t* j) const noexcept { json_decref(j); }
};
using json_ptr = std::unique_ptr<json_t, json_deleter>;

json_t* result_json(int result, const std::vector<std::string>& errors = {}) noexcept {
    json_t* out = json_object();
    if (out == nullptr) return nullptr;
    json_object_set_new(out, "result", json_integer(result));
    if (!errors.empty()) {
        json_t* list = json_array();
        for (const auto& e : errors) json_array_append_new(list, json_stringn(e.data(), e.size()));
        json_object_set_new(out, "error", list);
    }
    return out;
}

// Instance names become URL segments below api_prefix; Glewlwyd itself fails names starting
// with "auth" with a bare HTTP 500 (glewlwyd.md trap 10), so say why here.
void check_name(std::string_view name, std::vector<std::string>& errors) {
    if (name.empty() || name.size() > 64) {
        errors.emplace_back("name: must be 1 to 64 characters");
        return;
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
            errors.emplace_back("name: only letters, digits, '-' and '_' are allowed");
            return;
        }
    }
    if (name.substr(0, 4) == "auth") {
        errors.emplace_back("name: must not start with \"auth\" (Glewlwyd reserves /api/auth*)");
    }
}

gw::mirror_options read_options(const boost::json::value* doc, std::vector<std::string>& errors) {
    gw::mirror_options out;
    if (doc == nullptr) return out;
    const std::string prefix = std::string{options_key} + ".";
    if (!doc->is_object()) {
        errors.push_back(std::string{options_key} + ": expected object");
        return out;
    }
    for (const auto& [key, value] : doc->get_object()) {
        if (key == "sync_users" || key == "extra_properties") {
            if (!value.is_bool()) {
                errors.push_back(prefix + std::string{key} + ": expected boolean");
                continue;
            }
            (key == "sync_users" ? out.enabled : out.extra_properties) = value.get_bool();
        } else if (key == "user_scopes") {
            out.scopes.clear();
            bool ok = value.is_array();
            if (ok) {
                for (const auto& s : value.get_array()) {
                    if (!s.is_string() || s.get_string().empty()) {
                        ok = false;
                        break;
                    }
                    out.scopes.emplace_back(s.get_string());
                }
            }
            if (!ok) errors.push_back(prefix + "user_scopes: expected array of non-empty strings");
        } else {
            errors.push_back(prefix + std::string{key} + ": unknown key");
        }
    }
    return out;
}

// "<external_url>/<api_prefix>/<name>" split into origin and path: orgscim builds Location and
// meta.location from these, never from the Host header.
std::pair<std::string, std::string> external_location(config_plugin* host, const char* name) {
    std::unique_ptr<char, void (*)(void*)> url{
        host->glewlwyd_callback_get_plugin_external_url(host, name), std::free};
    if (!url) return {};
    std::string_view text{url.get()};
    while (!text.empty() && text.back() == '/') text.remove_suffix(1);
    const auto scheme = text.find("://");
    const auto slash = text.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    if (slash == std::string_view::npos) return {std::string{text}, {}};
    return {std::string{text.substr(0, slash)}, std::string{text.substr(slash)}};
}

// The cleartext password of the request being handled on this thread, if the client sent one.
// orgscim never stores passwords (RFC 7643 §4.1.1, the host owns credentials), so the store
// decorator cannot see it; the Glewlwyd user needs it to sign in.
thread_local std::optional<std::string> request_password;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> password_in(const boost::json::object& obj) {
    for (const auto& [key, value] : obj) {
        if (iequals(key, "password") && value.is_string()) return std::string{value.get_string()};
    }
    return std::nullopt;
}

// POST/PUT carry "password" at the top level; PATCH in an add/replace operation, either with
// path "password" or inside a path-less value object (RFC 7644 §3.5.2).
std::optional<std::string> find_password(const plugin::http_request& req) {
    if (req.method != "POST" && req.method != "PUT" && req.method != "PATCH") return std::nullopt;
    const auto lower_body = [&] {
        std::string out = req.body;
        for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    };
    if (req.body.empty() || lower_body().find("password") == std::string::npos) return std::nullopt;
    boost::system::error_code ec;
    auto doc = boost::json::parse(req.body, ec);
    if (ec || !doc.is_object()) return std::nullopt;
    const auto& obj = doc.get_object();
    if (req.method != "PATCH") return password_in(obj);
    const auto* ops = obj.if_contains("Operations");
    if (ops == nullptr || !ops->is_array()) return std::nullopt;
    std::optional<std::string> found;
    for (const auto& op : ops->get_array()) {
        if (!op.is_object()) continue;
        const auto* path = op.get_object().if_contains("path");
        const auto* value = op.get_object().if_contains("value");
        if (value == nullptr) continue;
        if (path != nullptr && path->is_string() && iequals(path->get_string(), "password") &&
            value->is_string()) {
            found = std::string{value->get_string()};
        } else if (path == nullptr && value->is_object()) {
            if (auto p = password_in(value->get_object())) found = std::move(p);
        }
    }
    return found;
}

int on_request(const struct _u_request* request, struct _u_response* response, void* user_data) {
    try {
        auto* self = static_cast<instance*>(user_data);
        const auto req = gw::to_http_request(*request);
        // Reset on every exit: a password must never reach another request on this thread.
        struct password_scope {
            explicit password_scope(std::optional<std::string> p) {
                request_password = std::move(p);
            }
            ~password_scope() { request_password.reset(); }
        } scope{find_password(req)};
        const auto answer = self->app->handle(req);
        return gw::write_response(answer, *response) ? U_CALLBACK_COMPLETE : U_CALLBACK_ERROR;
    } catch (const std::exception& e) {
        gw::host_log(gw::log_level::error, std::string{"request failed: "} + e.what());
    } catch (...) {
        gw::host_log(gw::log_level::error, "request failed: unknown error");
    }
    return U_CALLBACK_ERROR;
}

json_t* init_instance(config_plugin* host, const char* name, json_t* j_parameters, void** cls) {
    std::vector<std::string> errors;
    check_name(name == nullptr ? std::string_view{} : std::string_view{name}, errors);

    auto params = gw::to_boost(j_parameters);
    if (j_parameters == nullptr) params = boost::json::object{};
    if (!params || !params->is_object()) {
        errors.emplace_back("parameters: expected a JSON object (orgscim's configuration)");
        return result_json(G_ERROR_PARAM, errors);
    }
    auto& doc = params->get_object();
    auto options = read_options(doc.if_contains(options_key), errors);
    doc.erase(options_key);

    if (errors.empty()) {
        auto [origin, path] = external_location(host, name);
        if (const auto* given = doc.if_contains("base_path");
            given != nullptr && !(given->is_string() && given->get_string() == path)) {
            errors.push_back("base_path: Glewlwyd serves this instance at \"" + path +
                             "\"; leave base_path out");
        }
        doc["base_path"] = path;
        if (!doc.contains("public_base_url") && !origin.empty()) doc["public_base_url"] = origin;
    }

    plugin::config cfg;
    try {
        cfg = plugin::load_config(*params);
    } catch (const plugin::config_error& e) {
        errors.insert(errors.end(), e.errors().begin(), e.errors().end());
    }
    if (!errors.empty()) return result_json(G_ERROR_PARAM, errors);

    const bool sync_users = options.enabled;
    auto self = std::make_unique<instance>();
    self->name = name;
    self->host = host;
    self->mirror = std::make_unique<gw::user_mirror>(host, std::move(options));
    try {
        auto store = plugin::open_backend(cfg.storage);
        if (sync_users) {
            store = gw::with_user_sync(
                std::move(store), [mirror = self->mirror.get()](const plugin::user_change& change) {
                    if (!request_password) return (*mirror)(change);
                    auto with_password = change;
                    with_password.password = request_password;
                    (*mirror)(with_password);
                });
        }
        self->app = plugin::make_app(cfg, std::move(store));
    } catch (const plugin::startup_error& e) {
        return result_json(G_ERROR, {e.what()});
    }
    if (!self->app) return result_json(G_ERROR, {"orgscim could not be started"});

    if (host->glewlwyd_callback_add_plugin_endpoint(host, route_method, name, route_url,
                                                    GLEWLWYD_CALLBACK_PRIORITY_APPLICATION,
                                                    &on_request, self.get()) != G_OK) {
        return result_json(G_ERROR, {"could not register endpoints under /" + self->name});
    }
    gw::host_log(gw::log_level::info, "instance " + self->name + " serving");
    *cls = self.release();
    return result_json(G_OK);
}

}  // namespace

ORGSCIM_GLEWLWYD_EXPORT json_t* plugin_module_load(struct config_plugin* config) {
    (void)config;
    // Must never fail: a NULL or non-G_OK answer crashes Glewlwyd at start-up (trap 1).
    json_t* out = json_object();
    json_object_set_new(out, "result", json_integer(G_OK));
    json_object_set_new(out, "name", json_string(module_name));
    json_object_set_new(out, "display_name", json_string("orgscim SCIM 2.0"));
    json_object_set_new(out, "description",
                        json_string("SCIM 2.0 provisioning with organizations and invitations; "
                                    "parameters are orgscim's JSON configuration"));
    json_object_set_new(out, "api_version", json_real(2.7));
    return out;
}

ORGSCIM_GLEWLWYD_EXPORT int plugin_module_unload(struct config_plugin* config) {
    (void)config;
    return G_OK;
}

ORGSCIM_GLEWLWYD_EXPORT json_t* plugin_module_init(struct config_plugin* config,
                                                   const char* name,
                                                   json_t* j_parameters,
                                                   void** cls) {
    try {
        if (config == nullptr || cls == nullptr) return result_json(G_ERROR_PARAM, {"no host"});
        *cls = nullptr;
        return init_instance(config, name, j_parameters, cls);
    } catch (const std::exception& e) {
        gw::host_log(gw::log_level::error, std::string{"init failed: "} + e.what());
        return result_json(G_ERROR, {std::string{"internal error: "} + e.what()});
    } catch (...) {
        gw::host_log(gw::log_level::error, "init failed: unknown error");
        return result_json(G_ERROR, {"internal error"});
    }
}

ORGSCIM_GLEWLWYD_EXPORT int plugin_module_close(struct config_plugin* config,
                                                const char* name,
                                                void* cls) {
    try {
        std::unique_ptr<instance> self{static_cast<instance*>(cls)};
        if (config != nullptr && name != nullptr) {
            config->glewlwyd_callback_remove_plugin_endpoint(config, route_method, name, route_url);
        }
        if (self) gw::host_log(gw::log_level::info, "instance " + self->name + " closed");
        return G_OK;
    } catch (...) {
        gw::host_log(gw::log_level::error, "close failed");
        return G_ERROR;
    }
}

ORGSCIM_GLEWLWYD_EXPORT int plugin_user_revoke(struct config_plugin* config,
                                               const char* username,
                                               void* cls) {
    (void)config;
    (void)cls;
    // Called after Glewlwyd deleted a user, including deletions we asked for ourselves
    // (re-entrant: hold no lock here). orgscim's record stays; the SCIM client owns its life.
    try {
        gw::host_log(gw::log_level::debug,
                     std::string{"user revoked in Glewlwyd: "} + (username ? username : ""));
    } catch (...) {
    }
    return G_OK;
}
