// dlopen()s the built Glewlwyd module the way Glewlwyd 2.7.5 does (RTLD_LAZY, five dlsym()s) and
// drives it through a fake host: load, init with bad and good parameters, serve a request through
// the registered Ulfius callback, close; twice in one process. tests/e2e proves the real host.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "fake_glewlwyd_host.hpp"

namespace {

namespace fs = std::filesystem;
using orgscim::test::fake_glewlwyd_host;

struct module {
    void* handle = nullptr;
    json_t* (*load)(config_plugin*) = nullptr;
    int (*unload)(config_plugin*) = nullptr;
    json_t* (*init)(config_plugin*, const char*, json_t*, void**) = nullptr;
    int (*close)(config_plugin*, const char*, void*) = nullptr;
    int (*revoke)(config_plugin*, const char*, void*) = nullptr;

    template <class F>
    void bind(F& f, const char* name) {
        f = reinterpret_cast<F>(dlsym(handle, name));
        ASSERT_NE(f, nullptr) << name << " not exported";
    }
    void open() {
        handle = dlopen(ORGSCIM_GLEWLWYD_SO, RTLD_LAZY);
        ASSERT_NE(handle, nullptr) << dlerror();
        bind(load, "plugin_module_load");
        bind(unload, "plugin_module_unload");
        bind(init, "plugin_module_init");
        bind(close, "plugin_module_close");
        bind(revoke, "plugin_user_revoke");
    }
    ~module() {
        if (handle != nullptr) dlclose(handle);
    }
};

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "orgscim-gw-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

int result_of(json_t* reply) {
    return static_cast<int>(json_integer_value(json_object_get(reply, "result")));
}

std::string errors_of(json_t* reply) {
    std::string out;
    size_t i;
    json_t* e;
    json_array_foreach(json_object_get(reply, "error"), i, e) {
        out += json_string_value(e);
        out += '\n';
    }
    return out;
}

TEST(glewlwyd_module, exports_exactly_the_five_entry_points) {
    module m;
    ASSERT_NO_FATAL_FAILURE(m.open());
    // Internal symbols stay local, so they cannot clash with the host's.
    EXPECT_EQ(dlsym(m.handle, "orgscim_create"), nullptr);
    EXPECT_EQ(dlsym(m.handle, "_ZN7orgscim6plugin11load_configERKN5boost4json5valueE"), nullptr);
}

TEST(glewlwyd_module, load_describes_the_module_and_never_fails) {
    module m;
    ASSERT_NO_FATAL_FAILURE(m.open());
    fake_glewlwyd_host host;
    json_t* info = m.load(&host.config);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(result_of(info), G_OK);
    EXPECT_STREQ(json_string_value(json_object_get(info, "name")), "orgscim");
    EXPECT_NE(json_string_value(json_object_get(info, "display_name")), nullptr);
    EXPECT_NE(json_string_value(json_object_get(info, "description")), nullptr);
    json_decref(info);
    EXPECT_EQ(m.unload(&host.config), G_OK);
}

TEST(glewlwyd_module, init_lists_every_parameter_error) {
    module m;
    ASSERT_NO_FATAL_FAILURE(m.open());
    fake_glewlwyd_host host;
    json_t* params = json_pack("{s{ss}s{si}si}", "storage", "backend", "mysql", "glewlwyd", "bogus",
                               1, "no_such_key", 1);
    void* cls = reinterpret_cast<void*>(&host);
    json_t* reply = m.init(&host.config, "authscim", params, &cls);
    json_decref(params);
    ASSERT_NE(reply, nullptr);
    EXPECT_EQ(result_of(reply), G_ERROR_PARAM);
    const auto errors = errors_of(reply);
    json_decref(reply);
    EXPECT_NE(errors.find("name:"), std::string::npos) << errors;
    EXPECT_NE(errors.find("glewlwyd.bogus"), std::string::npos) << errors;
    EXPECT_EQ(cls, nullptr);
    EXPECT_TRUE(host.endpoints.empty());

    json_t* not_object = json_string("x");
    reply = m.init(&host.config, "scim", not_object, &cls);
    json_decref(not_object);
    EXPECT_EQ(result_of(reply), G_ERROR_PARAM);
    json_decref(reply);
}

TEST(glewlwyd_module, init_serves_and_close_removes_endpoints_twice) {
    for (int round = 0; round < 2; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        module m;
        ASSERT_NO_FATAL_FAILURE(m.open());
        fake_glewlwyd_host host;
        host.revoke = m.revoke;
        json_decref(m.load(&host.config));

        temp_dir dir;
        json_t* params =
            json_pack("{s{s{ss}}}", "storage", "sqlite", "path", (dir.path / "orgscim.db").c_str());
        void* cls = nullptr;
        json_t* reply = m.init(&host.config, "scim", params, &cls);
        json_decref(params);
        ASSERT_EQ(result_of(reply), G_OK) << errors_of(reply);
        json_decref(reply);
        ASSERT_NE(cls, nullptr);
        ASSERT_EQ(host.endpoints.size(), 1u);
        const auto ep = host.endpoints.front();
        EXPECT_EQ(ep.name, "scim");
        EXPECT_EQ(ep.priority, GLEWLWYD_CALLBACK_PRIORITY_APPLICATION);

        struct _u_request req;
        struct _u_response res;
        ASSERT_EQ(ulfius_init_request(&req), U_OK);
        ASSERT_EQ(ulfius_init_response(&res), U_OK);
        req.http_verb = strdup("GET");
        req.http_url = strdup("/api/scim/scim/v2/ServiceProviderConfig");
        u_map_put(req.map_header, "Accept", "application/scim+json");
        EXPECT_EQ(ep.callback(&req, &res, ep.user_data), U_CALLBACK_COMPLETE);
        EXPECT_EQ(res.status, 200);
        const char* ct = u_map_get_case(res.map_header, "content-type");
        ASSERT_NE(ct, nullptr);
        EXPECT_NE(std::string{ct}.find("application/scim+json"), std::string::npos);
        const std::string body{static_cast<const char*>(res.binary_body), res.binary_body_length};
        EXPECT_NE(body.find("ServiceProviderConfig"), std::string::npos) << body;
        // meta.location is built from Glewlwyd's external URL, not from a Host header.
        EXPECT_NE(body.find("http://127.0.0.1:4593/api/scim/"), std::string::npos) << body;
        ulfius_clean_request(&req);
        ulfius_clean_response(&res);

        EXPECT_EQ(m.revoke(&host.config, "nobody", cls), G_OK);
        EXPECT_EQ(m.close(&host.config, "scim", cls), G_OK);
        EXPECT_TRUE(host.endpoints.empty());
        EXPECT_EQ(m.unload(&host.config), G_OK);
    }
}

struct http_reply {
    long status = 0;
    std::string body;
};

http_reply call(const fake_glewlwyd_host::endpoint& ep,
                const char* method,
                const std::string& url,
                const std::string& body,
                const std::string& bearer) {
    struct _u_request req;
    struct _u_response res;
    ulfius_init_request(&req);
    ulfius_init_response(&res);
    req.http_verb = strdup(method);
    req.http_url = strdup(url.c_str());
    u_map_put(req.map_header, "Content-Type", "application/scim+json");
    u_map_put(req.map_header, "Authorization", ("Bearer " + bearer).c_str());
    if (!body.empty()) {
        req.binary_body = malloc(body.size());
        memcpy(req.binary_body, body.data(), body.size());
        req.binary_body_length = body.size();
    }
    http_reply out;
    if (ep.callback(&req, &res, ep.user_data) == U_CALLBACK_COMPLETE) {
        out.status = res.status;
        if (res.binary_body != nullptr) {
            out.body.assign(static_cast<const char*>(res.binary_body), res.binary_body_length);
        }
    }
    ulfius_clean_request(&req);
    ulfius_clean_response(&res);
    return out;
}

// Runs the orgscim program and returns the named string of its --json answer.
std::string cli(const std::string& args, const char* key) {
    const std::string cmd = std::string{ORGSCIM_CLI} + " " + args + " --json";
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return {};
    std::string out;
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
    json_error_t error;
    json_t* doc = json_loads(out.c_str(), 0, &error);
    const char* v = json_string_value(json_object_get(doc, key));
    std::string value = v ? v : "";
    json_decref(doc);
    return value;
}

// The mirror is asynchronous: wait (up to 5 s) for the host's state.
bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

TEST(glewlwyd_module, scim_users_reach_the_host_user_store) {
    module m;
    ASSERT_NO_FATAL_FAILURE(m.open());
    fake_glewlwyd_host host;
    host.revoke = m.revoke;
    temp_dir dir;
    const auto db = (dir.path / "orgscim.db").string();
    json_t* params = json_pack("{s{s{ss}}s{s[ss]}}", "storage", "sqlite", "path", db.c_str(),
                               "glewlwyd", "user_scopes", "g_profile", "scim");
    void* cls = nullptr;
    json_t* reply = m.init(&host.config, "scim", params, &cls);
    json_decref(params);
    ASSERT_EQ(result_of(reply), G_OK) << errors_of(reply);
    json_decref(reply);
    host.revoke_cls = cls;
    const auto ep = host.endpoints.at(0);

    const auto org = cli("orgs create --name t --db " + db, "id");
    ASSERT_FALSE(org.empty());
    const auto secret = cli("tokens create --org " + org + " --name t --db " + db, "secret");
    ASSERT_FALSE(secret.empty());

    const std::string users = "/api/scim/scim/v2/Users";
    auto created =
        call(ep, "POST", users, R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName":"dora@x.test","displayName":"Dora","password":"Pw-123456!",
        "emails":[{"value":"dora@x.test","primary":true}]})",
             secret);
    ASSERT_EQ(created.status, 201) << created.body;
    json_error_t error;
    json_t* doc = json_loads(created.body.c_str(), 0, &error);
    const std::string id = json_string_value(json_object_get(doc, "id"));
    json_decref(doc);
    EXPECT_EQ(created.body.find("Pw-123456!"), std::string::npos) << "password echoed";

    EXPECT_TRUE(eventually([&] { return host.user_field("dora@x.test", "name") == "Dora"; }));
    EXPECT_EQ(host.user_field("dora@x.test", "password"), "Pw-123456!");
    EXPECT_EQ(host.user_field("dora@x.test", "email"), "dora@x.test");

    const auto patched = call(ep, "PATCH", users + "/" + id,
                              R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations":[{"op":"Replace","path":"active","value":false}]})",
                              secret);
    EXPECT_EQ(patched.status, 200) << patched.body;
    EXPECT_TRUE(eventually([&] { return host.user_field("dora@x.test", "enabled") == "false"; }));

    EXPECT_EQ(call(ep, "DELETE", users + "/" + id, "", secret).status, 204);
    EXPECT_TRUE(eventually([&] { return !host.user_field("dora@x.test", "name").has_value(); }));
    {
        std::lock_guard lock{host.mutex};
        ASSERT_EQ(host.revoked.size(), 1u);  // Glewlwyd re-entered our plugin_user_revoke
        EXPECT_EQ(host.revoked[0], "dora@x.test");
    }
    EXPECT_EQ(m.close(&host.config, "scim", cls), G_OK);
}

}  // namespace
