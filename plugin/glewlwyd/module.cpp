// orgscim as a Glewlwyd 2.7.5 plugin module: the five functions the host dlsym()s, one instance
// per Glewlwyd plugin instance, every request under /api/<instance>/ handed to plugin::app.
// Rules (glewlwyd.md §3): nothing may throw across these functions, load must never fail, every
// json_t*/char* we return is heap memory Glewlwyd frees, and close removes what init added.

#include <boost/json/object.hpp>
#include <cstdlib>
#include <exception>
#include <memory>
#include <orgscim/plugin/app.hpp>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/user_sync.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "glewlwyd_abi.h"
#include "host_log.hpp"
#include "ulfius_adapter.hpp"
#include "user_mirror.hpp"

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

// plugin::app::create gains a user_sync overload (plugin/include/orgscim/plugin/user_sync.hpp);
// until it has one, users are served but not mirrored.
template <class App = plugin::app>
std::shared_ptr<App> create_app(const plugin::config& cfg, plugin::user_sync sync) {
    if constexpr (requires { App::create(cfg, std::move(sync)); }) {
        return App::create(cfg, std::move(sync));
    } else {
        gw::host_log(gw::log_level::warning,
                     "this build cannot mirror users into Glewlwyd (no user_sync hook)");
        return App::create(cfg);
    }
}

int on_request(const struct _u_request* request, struct _u_response* response, void* user_data) {
    try {
        auto* self = static_cast<instance*>(user_data);
        const auto answer = self->app->handle(gw::to_http_request(*request));
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

    auto self = std::make_unique<instance>();
    self->name = name;
    self->host = host;
    self->mirror = std::make_unique<gw::user_mirror>(host, std::move(options));
    plugin::user_sync sync = [mirror = self->mirror.get()](const plugin::user_change& change) {
        (*mirror)(change);
    };
    try {
        self->app = create_app(cfg, std::move(sync));
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
