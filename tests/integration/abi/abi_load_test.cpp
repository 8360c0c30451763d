// dlopen()s the built liborgscim.so as a foreign host would, and drives the C ABI: version check,
// create from JSON with a temporary SQLite database, serve, destroy; the whole cycle twice in one
// process (Kea libloadtests), plus the error paths every host relies on.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <orgscim/abi/orgscim.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct abi {
    void* handle = nullptr;
    decltype(&orgscim_abi_version) version = nullptr;
    decltype(&orgscim_create) create = nullptr;
    decltype(&orgscim_handle) handle_request = nullptr;
    decltype(&orgscim_ready) ready = nullptr;
    decltype(&orgscim_response_free) response_free = nullptr;
    decltype(&orgscim_string_free) string_free = nullptr;
    decltype(&orgscim_destroy) destroy = nullptr;

    template <class F>
    void bind(F& f, const char* name) {
        f = reinterpret_cast<F>(dlsym(handle, name));
        ASSERT_NE(f, nullptr) << name << " is not exported";
    }

    void open() {
        handle = dlopen(ORGSCIM_ABI_SO, RTLD_NOW | RTLD_LOCAL);
        ASSERT_NE(handle, nullptr) << dlerror();
        bind(version, "orgscim_abi_version");
        bind(create, "orgscim_create");
        bind(handle_request, "orgscim_handle");
        bind(ready, "orgscim_ready");
        bind(response_free, "orgscim_response_free");
        bind(string_free, "orgscim_string_free");
        bind(destroy, "orgscim_destroy");
    }

    void close() {
        if (handle != nullptr) {
            EXPECT_EQ(dlclose(handle), 0) << dlerror();
        }
        handle = nullptr;
    }
};

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "orgscim-abi-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string config_for(const fs::path& db) {
    return R"({"storage":{"backend":"sqlite","sqlite":{"path":")" + db.string() + R"("}}})";
}

struct reply {
    int rc = -1;
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    std::string header(std::string_view name) const {
        for (const auto& [n, v] : headers) {
            if (n.size() == name.size() &&
                std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                })) {
                return v;
            }
        }
        return {};
    }
};

reply send(const abi& lib,
           orgscim_instance* instance,
           std::string_view method,
           std::string_view target,
           std::string_view body = {}) {
    const std::string ct = "application/scim+json";
    orgscim_header headers[] = {{"Content-Type", 12, ct.data(), ct.size()},
                                {"Accept", 6, ct.data(), ct.size()}};
    orgscim_request req{};
    req.method = method.data();
    req.method_len = method.size();
    req.target = target.data();
    req.target_len = target.size();
    req.headers = headers;
    req.header_count = 2;
    req.body = body.data();
    req.body_len = body.size();
    orgscim_response* res = nullptr;
    reply out;
    out.rc = lib.handle_request(instance, &req, &res);
    if (out.rc != ORGSCIM_OK) {
        EXPECT_EQ(res, nullptr);
        return out;
    }
    out.status = res->status;
    out.body.assign(res->body, res->body_len);
    for (std::size_t i = 0; i < res->header_count; ++i) {
        out.headers.emplace_back(std::string{res->headers[i].name, res->headers[i].name_len},
                                 std::string{res->headers[i].value, res->headers[i].value_len});
    }
    lib.response_free(res);
    return out;
}

TEST(abi_load, create_serve_destroy_twice_in_one_process) {
    for (int round = 0; round < 2; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        abi lib;
        ASSERT_NO_FATAL_FAILURE(lib.open());
        EXPECT_EQ(lib.version() >> 16, static_cast<uint32_t>(ORGSCIM_ABI_VERSION_MAJOR));
        EXPECT_GE(lib.version(), static_cast<uint32_t>(ORGSCIM_ABI_VERSION));

        temp_dir dir;
        const auto cfg = config_for(dir.path / "orgscim.db");
        orgscim_instance* instance = nullptr;
        char* error = nullptr;
        ASSERT_EQ(lib.create(cfg.data(), cfg.size(), &instance, &error), ORGSCIM_OK)
            << (error ? error : "");
        ASSERT_NE(instance, nullptr);
        EXPECT_EQ(error, nullptr);
        EXPECT_TRUE(fs::exists(dir.path / "orgscim.db"));

        const auto health = send(lib, instance, "GET", "/healthz");
        ASSERT_EQ(health.rc, ORGSCIM_OK);
        EXPECT_EQ(health.status, 200);

        const auto spc = send(lib, instance, "GET", "/scim/v2/ServiceProviderConfig");
        ASSERT_EQ(spc.rc, ORGSCIM_OK);
        EXPECT_EQ(spc.status, 200);
        EXPECT_NE(spc.body.find("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"),
                  std::string::npos)
            << spc.body;
        EXPECT_NE(spc.header("content-type").find("application/scim+json"), std::string::npos);

        // No credentials: RFC 6750 §3 challenge and a SCIM error body, not a crash or a 500.
        const auto users =
            send(lib, instance, "GET", "/scim/v2/Users?filter=userName%20eq%20%22x%22");
        ASSERT_EQ(users.rc, ORGSCIM_OK);
        EXPECT_EQ(users.status, 401);
        EXPECT_NE(users.header("www-authenticate").find("Bearer"), std::string::npos);

        lib.destroy(instance);
        lib.close();
    }
}

TEST(abi_load, handle_is_safe_from_many_threads) {
    abi lib;
    ASSERT_NO_FATAL_FAILURE(lib.open());
    temp_dir dir;
    const auto cfg = config_for(dir.path / "orgscim.db");
    orgscim_instance* instance = nullptr;
    ASSERT_EQ(lib.create(cfg.data(), cfg.size(), &instance, nullptr), ORGSCIM_OK);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                const auto r = send(lib, instance, "GET", "/scim/v2/ServiceProviderConfig");
                if (r.rc == ORGSCIM_OK && r.status == 200) ++ok;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 200);
    lib.destroy(instance);
    lib.close();
}

TEST(abi_load, invalid_config_lists_every_problem_with_its_path) {
    abi lib;
    ASSERT_NO_FATAL_FAILURE(lib.open());
    const std::string cfg = R"({"storage":{"backend":"mysql"},"no_such_key":1})";
    orgscim_instance* instance = reinterpret_cast<orgscim_instance*>(&lib);  // must be reset
    char* error = nullptr;
    EXPECT_EQ(lib.create(cfg.data(), cfg.size(), &instance, &error), ORGSCIM_ERROR_CONFIG);
    EXPECT_EQ(instance, nullptr);
    ASSERT_NE(error, nullptr);
    const std::string text = error;
    lib.string_free(error);
    EXPECT_NE(text.find("storage.backend"), std::string::npos) << text;
    EXPECT_NE(text.find("no_such_key"), std::string::npos) << text;
    EXPECT_NE(text.find('\n'), std::string::npos) << "one line per problem: " << text;
    lib.close();
}

TEST(abi_load, invalid_json_and_null_arguments_are_return_codes) {
    abi lib;
    ASSERT_NO_FATAL_FAILURE(lib.open());
    orgscim_instance* instance = nullptr;
    char* error = nullptr;
    const std::string bad = R"({"storage":)";
    EXPECT_EQ(lib.create(bad.data(), bad.size(), &instance, &error), ORGSCIM_ERROR_CONFIG);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(std::string{error}.find("JSON"), std::string::npos) << error;
    lib.string_free(error);

    EXPECT_EQ(lib.create(bad.data(), bad.size(), nullptr, nullptr), ORGSCIM_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(lib.create(nullptr, 3, &instance, nullptr), ORGSCIM_ERROR_INVALID_ARGUMENT);
    orgscim_response* res = nullptr;
    orgscim_request req{};
    EXPECT_EQ(lib.handle_request(nullptr, &req, &res), ORGSCIM_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(res, nullptr);
    EXPECT_EQ(lib.ready(nullptr), 0);
    lib.response_free(nullptr);
    lib.string_free(nullptr);
    lib.destroy(nullptr);
    lib.close();
}

}  // namespace
