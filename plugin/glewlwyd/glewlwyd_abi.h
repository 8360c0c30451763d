#pragma once
// Our own declaration of Glewlwyd 2.7.5's plugin-module ABI (upstream ships no headers, and its
// glewlwyd-common.h drags in hoel/yder/gnutls and has no C++ guards). Upstream is unmaintained, so
// this ABI is frozen: member order and types below ARE the contract, checked by the static_asserts
// at the end. Facts from ../shared/reference/glewlwyd.md §4; nothing here is copied.

#include <jansson.h>
#include <ulfius.h>

#include <cstddef>
#include <ctime>

extern "C" {

/// Glewlwyd's own configuration; opaque on purpose (its layout is not part of what we rely on).
struct config_elements;
/// hoel's database connection; only passed through update_issued_for, which we never call.
struct _h_connection;

inline constexpr int G_OK = 0;
inline constexpr int G_ERROR = 1;
inline constexpr int G_ERROR_UNAUTHORIZED = 2;
inline constexpr int G_ERROR_PARAM = 3;
inline constexpr int G_ERROR_DB = 4;
inline constexpr int G_ERROR_MEMORY = 5;
inline constexpr int G_ERROR_NOT_FOUND = 6;

// Added by the host to GLEWLWYD_CALLBACK_PRIORITY_PLUGIN for plugin endpoints.
inline constexpr unsigned GLEWLWYD_CALLBACK_PRIORITY_ZERO = 0;
inline constexpr unsigned GLEWLWYD_CALLBACK_PRIORITY_AUTHENTICATION = 1;
inline constexpr unsigned GLEWLWYD_CALLBACK_PRIORITY_PRE_APPLICATION = 2;
inline constexpr unsigned GLEWLWYD_CALLBACK_PRIORITY_APPLICATION = 3;
inline constexpr unsigned GLEWLWYD_CALLBACK_PRIORITY_COMPRESSION = 4;
inline constexpr unsigned GLEWLWYD_CALLBACK_PRIORITY_PLUGIN = 5;
inline constexpr unsigned GLEWLWYD_CALLBACK_PRIORITY_FILE = 100;

using glewlwyd_endpoint_cb = int (*)(const struct _u_request*, struct _u_response*, void*);

struct config_plugin {
    struct config_elements* glewlwyd_config;
    int (*glewlwyd_callback_add_plugin_endpoint)(struct config_plugin* config,
                                                 const char* method,
                                                 const char* name,
                                                 const char* url,
                                                 unsigned int priority,
                                                 glewlwyd_endpoint_cb callback,
                                                 void* user_data);
    int (*glewlwyd_callback_remove_plugin_endpoint)(struct config_plugin* config,
                                                    const char* method,
                                                    const char* name,
                                                    const char* url);
    json_t* (*glewlwyd_callback_check_session_valid)(struct config_plugin* config,
                                                     const struct _u_request* request,
                                                     const char* scope_list);
    json_t* (*glewlwyd_callback_check_user_valid)(struct config_plugin* config,
                                                  const char* username,
                                                  const char* password,
                                                  const char* scope_list);
    json_t* (*glewlwyd_callback_check_client_valid)(struct config_plugin* config,
                                                    const char* client_id,
                                                    const char* password);
    int (*glewlwyd_callback_trigger_session_used)(struct config_plugin* config,
                                                  const struct _u_request* request,
                                                  const char* scope_list);
    time_t (*glewlwyd_callback_get_session_age)(struct config_plugin* config,
                                                const struct _u_request* request,
                                                const char* scope_list);
    json_t* (*glewlwyd_callback_get_client_granted_scopes)(struct config_plugin* config,
                                                           const char* client_id,
                                                           const char* username,
                                                           const char* scope_list);
    json_t* (*glewlwyd_plugin_callback_get_user_list)(struct config_plugin* config,
                                                      const char* pattern,
                                                      size_t offset,
                                                      size_t limit);
    json_t* (*glewlwyd_plugin_callback_get_user)(struct config_plugin* config,
                                                 const char* username);
    json_t* (*glewlwyd_plugin_callback_get_user_profile)(struct config_plugin* config,
                                                         const char* username);
    json_t* (*glewlwyd_plugin_callback_is_user_valid)(struct config_plugin* config,
                                                      const char* username,
                                                      json_t* j_user,
                                                      int add);
    int (*glewlwyd_plugin_callback_add_user)(struct config_plugin* config, json_t* j_user);
    int (*glewlwyd_plugin_callback_set_user)(struct config_plugin* config,
                                             const char* username,
                                             json_t* j_user);
    int (*glewlwyd_plugin_callback_user_update_password)(struct config_plugin* config,
                                                         const char* username,
                                                         const char* password);
    int (*glewlwyd_plugin_callback_delete_user)(struct config_plugin* config, const char* username);
    json_t* (*glewlwyd_plugin_callback_get_client_list)(struct config_plugin* config,
                                                        const char* pattern,
                                                        size_t offset,
                                                        size_t limit);
    json_t* (*glewlwyd_plugin_callback_get_client)(struct config_plugin* config,
                                                   const char* client_id);
    json_t* (*glewlwyd_plugin_callback_is_client_valid)(struct config_plugin* config,
                                                        const char* client_id,
                                                        json_t* j_client,
                                                        int add);
    int (*glewlwyd_plugin_callback_add_client)(struct config_plugin* config, json_t* j_client);
    int (*glewlwyd_plugin_callback_set_client)(struct config_plugin* config,
                                               const char* client_id,
                                               json_t* j_client);
    int (*glewlwyd_plugin_callback_delete_client)(struct config_plugin* config,
                                                  const char* client_id);
    json_t* (*glewlwyd_plugin_callback_get_scheme_module)(struct config_plugin* config,
                                                          const char* mod_name);
    json_t* (*glewlwyd_plugin_callback_get_scheme_list)(struct config_plugin* config,
                                                        const char* username);
    json_t* (*glewlwyd_plugin_callback_scheme_register)(struct config_plugin* config,
                                                        const char* mod_name,
                                                        const struct _u_request* http_request,
                                                        const char* username,
                                                        json_t* j_scheme_data);
    json_t* (*glewlwyd_plugin_callback_scheme_register_get)(struct config_plugin* config,
                                                            const char* mod_name,
                                                            const struct _u_request* http_request,
                                                            const char* username);
    int (*glewlwyd_plugin_callback_scheme_deregister)(struct config_plugin* config,
                                                      const char* mod_name,
                                                      const char* username);
    int (*glewlwyd_plugin_callback_scheme_can_use)(struct config_plugin* config,
                                                   const char* mod_name,
                                                   const char* username);
    int (*glewlwyd_plugin_callback_metrics_add_metric)(struct config_plugin* config,
                                                       const char* name,
                                                       const char* help);
    int (*glewlwyd_plugin_callback_metrics_increment_counter)(struct config_plugin* config,
                                                              const char* name,
                                                              size_t inc,
                                                              ...);
    char* (*glewlwyd_callback_get_plugin_external_url)(struct config_plugin* config,
                                                       const char* name);
    char* (*glewlwyd_callback_get_login_url)(struct config_plugin* config,
                                             const char* client_id,
                                             const char* scope_list,
                                             const char* callback_url,
                                             struct _u_map* additional_parameters);
    char* (*glewlwyd_callback_generate_hash)(struct config_plugin* config, const char* data);
    void (*glewlwyd_callback_update_issued_for)(struct config_plugin* config,
                                                const struct _h_connection* conn,
                                                const char* sql_table,
                                                const char* issued_for_column,
                                                const char* issued_for_value,
                                                const char* id_column,
                                                json_int_t id_value);
};

}  // extern "C"

// One data pointer + 34 function pointers; x86-64 offsets are index * 8 (glewlwyd.md §4).
static_assert(sizeof(void*) == 8, "the declaration is checked for LP64 targets only");
static_assert(sizeof(config_plugin) == 35 * sizeof(void*));
static_assert(offsetof(config_plugin, glewlwyd_callback_add_plugin_endpoint) == 8);
static_assert(offsetof(config_plugin, glewlwyd_callback_remove_plugin_endpoint) == 16);
static_assert(offsetof(config_plugin, glewlwyd_callback_check_session_valid) == 24);
static_assert(offsetof(config_plugin, glewlwyd_plugin_callback_get_user) == 80);
static_assert(offsetof(config_plugin, glewlwyd_plugin_callback_add_user) == 104);
static_assert(offsetof(config_plugin, glewlwyd_plugin_callback_set_user) == 112);
static_assert(offsetof(config_plugin, glewlwyd_plugin_callback_delete_user) == 128);
static_assert(offsetof(config_plugin, glewlwyd_callback_get_plugin_external_url) == 248);
static_assert(offsetof(config_plugin, glewlwyd_callback_update_issued_for) == 272);
