#pragma once
// A stand-in for Glewlwyd 2.7.5's side of struct config_plugin: records endpoints, keeps users in
// memory with the reply shapes glewlwyd.md §6 observed, and re-enters plugin_user_revoke on
// delete_user as the real host does. One host at a time (the callbacks find it through current()).

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "glewlwyd_abi.h"

namespace orgscim::test {

class fake_glewlwyd_host {
  public:
    struct endpoint {
        std::string method;
        std::string name;
        std::string url;
        unsigned priority = 0;
        glewlwyd_endpoint_cb callback = nullptr;
        void* user_data = nullptr;
    };

    using revoke_fn = int (*)(config_plugin*, const char*, void*);

    fake_glewlwyd_host() {
        current() = this;
        config.glewlwyd_callback_add_plugin_endpoint = &add_endpoint;
        config.glewlwyd_callback_remove_plugin_endpoint = &remove_endpoint;
        config.glewlwyd_callback_get_plugin_external_url = &external_url;
        config.glewlwyd_plugin_callback_get_user = &get_user;
        config.glewlwyd_plugin_callback_is_user_valid = &is_user_valid;
        config.glewlwyd_plugin_callback_add_user = &add_user;
        config.glewlwyd_plugin_callback_set_user = &set_user;
        config.glewlwyd_plugin_callback_delete_user = &delete_user;
    }
    ~fake_glewlwyd_host() {
        for (auto& [name, user] : users) json_decref(user);
        current() = nullptr;
    }
    fake_glewlwyd_host(const fake_glewlwyd_host&) = delete;
    fake_glewlwyd_host& operator=(const fake_glewlwyd_host&) = delete;

    config_plugin config{};
    std::vector<endpoint> endpoints;
    std::map<std::string, json_t*> users;  ///< owned references
    std::vector<std::string> revoked;      ///< usernames passed to plugin_user_revoke
    revoke_fn revoke = nullptr;            ///< the module's plugin_user_revoke, when loaded
    void* revoke_cls = nullptr;
    int set_user_calls = 0;

    /// Guards users/revoked/set_user_calls: the module's mirror calls back from its own thread.
    mutable std::recursive_mutex mutex;

    /// A string property of a user, read under the lock; nullopt when there is no such user.
    std::optional<std::string> user_field(const std::string& name, const char* key) const {
        std::lock_guard lock{mutex};
        json_t* u = user(name);
        if (u == nullptr) return std::nullopt;
        json_t* v = json_object_get(u, key);
        if (json_is_string(v)) return std::string{json_string_value(v)};
        if (json_is_boolean(v)) return json_is_true(v) ? "true" : "false";
        return std::string{};
    }

    json_t* user(const std::string& name) const {
        auto it = users.find(name);
        return it == users.end() ? nullptr : it->second;
    }

    static fake_glewlwyd_host*& current() {
        static fake_glewlwyd_host* host = nullptr;
        return host;
    }

  private:
    static int add_endpoint(config_plugin*,
                            const char* method,
                            const char* name,
                            const char* url,
                            unsigned priority,
                            glewlwyd_endpoint_cb cb,
                            void* user_data) {
        if (std::strncmp(name, "auth", 4) == 0) return G_ERROR_PARAM;
        current()->endpoints.push_back({method, name, url, priority, cb, user_data});
        return G_OK;
    }
    static int remove_endpoint(config_plugin*,
                               const char* method,
                               const char* name,
                               const char* url) {
        auto& eps = current()->endpoints;
        for (auto it = eps.begin(); it != eps.end(); ++it) {
            if (it->method == method && it->name == name && it->url == url) {
                eps.erase(it);
                return G_OK;
            }
        }
        return G_ERROR_NOT_FOUND;
    }
    static char* external_url(config_plugin*, const char* name) {
        const std::string url = std::string{"http://127.0.0.1:4593/api/"} + name;
        return strdup(url.c_str());
    }
    static json_t* get_user(config_plugin*, const char* username) {
        std::lock_guard lock{current()->mutex};
        json_t* u = current()->user(username);
        if (u == nullptr) return json_pack("{si}", "result", G_ERROR_NOT_FOUND);
        return json_pack("{sisO}", "result", G_OK, "user", u);
    }
    static json_t* is_user_valid(config_plugin*, const char* username, json_t* j_user, int add) {
        std::lock_guard lock{current()->mutex};
        if (add && current()->user(username) != nullptr) {
            return json_pack("{sis[s]}", "result", G_ERROR_PARAM, "error",
                             "username already exist");
        }
        if (!json_is_string(json_object_get(j_user, "username"))) {
            return json_pack("{sis[s]}", "result", G_ERROR_PARAM, "error", "username is mandatory");
        }
        return json_pack("{si}", "result", G_OK);
    }
    static int add_user(config_plugin*, json_t* j_user) {
        std::lock_guard lock{current()->mutex};
        const char* name = json_string_value(json_object_get(j_user, "username"));
        if (name == nullptr || current()->user(name) != nullptr) return G_ERROR_PARAM;
        current()->users[name] = json_deep_copy(j_user);
        return G_OK;
    }
    static int set_user(config_plugin*, const char* username, json_t* j_user) {
        std::lock_guard lock{current()->mutex};
        auto& users = current()->users;
        auto it = users.find(username);
        if (it == users.end()) return G_ERROR_NOT_FOUND;
        ++current()->set_user_calls;
        json_decref(it->second);
        it->second = json_deep_copy(j_user);  // replaces the whole record, as Glewlwyd does
        return G_OK;
    }
    static int delete_user(config_plugin* cfg, const char* username) {
        auto* host = current();
        // Recursive: the revoke below may call back into this host, as Glewlwyd allows.
        std::lock_guard lock{host->mutex};
        auto it = host->users.find(username);
        if (it == host->users.end()) return G_ERROR_NOT_FOUND;
        json_decref(it->second);
        host->users.erase(it);
        host->revoked.emplace_back(username);
        // Glewlwyd calls every enabled plugin instance synchronously, the caller's included.
        return host->revoke != nullptr ? host->revoke(cfg, username, host->revoke_cls) : G_OK;
    }
};

}  // namespace orgscim::test
