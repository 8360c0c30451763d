// The C ABI of orgscim.h over plugin::app. Every entry point catches everything: a C caller
// cannot unwind a C++ exception, so one escaping here would terminate the host.

#include <orgscim/abi/orgscim.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <orgscim/plugin/app.hpp>
#include <orgscim/plugin/config.hpp>
#include <string>
#include <string_view>
#include <vector>

struct orgscim_instance {
    std::shared_ptr<orgscim::plugin::app> app;
};

namespace {

namespace plugin = orgscim::plugin;

// The C view as a base, so the host's pointer converts back to ours with a static_cast, plus the
// storage it points into.
struct owned_response : orgscim_response {
    orgscim::scim::response data;
    std::vector<orgscim_header> header_storage;
};

char* copy_string(std::string_view text) noexcept {
    auto* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (out == nullptr) return nullptr;
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
    return out;
}

void set_error(char** error_out, std::string_view text) noexcept {
    if (error_out != nullptr) *error_out = copy_string(text);
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) {
        if (!out.empty()) out += '\n';
        out += line;
    }
    return out;
}

std::string_view view_of(const char* data, std::size_t len) {
    return data == nullptr ? std::string_view{} : std::string_view{data, len};
}

bool valid_span(const void* data, std::size_t len) { return data != nullptr || len == 0; }

bool valid_request(const orgscim_request& req) {
    if (!valid_span(req.method, req.method_len) || !valid_span(req.target, req.target_len) ||
        !valid_span(req.body, req.body_len) || !valid_span(req.remote_addr, req.remote_addr_len) ||
        !valid_span(req.headers, req.header_count)) {
        return false;
    }
    for (std::size_t i = 0; i < req.header_count; ++i) {
        const auto& h = req.headers[i];
        if (!valid_span(h.name, h.name_len) || !valid_span(h.value, h.value_len)) return false;
    }
    return true;
}

plugin::http_request to_http_request(const orgscim_request& req) {
    plugin::http_request out;
    out.method = view_of(req.method, req.method_len);
    out.target = view_of(req.target, req.target_len);
    out.headers.reserve(req.header_count);
    for (std::size_t i = 0; i < req.header_count; ++i) {
        const auto& h = req.headers[i];
        std::string name{view_of(h.name, h.name_len)};
        for (auto& c : name) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        }
        out.headers.emplace_back(std::move(name), std::string{view_of(h.value, h.value_len)});
    }
    out.body = view_of(req.body, req.body_len);
    out.remote_addr = view_of(req.remote_addr, req.remote_addr_len);
    return out;
}

}  // namespace

extern "C" {

uint32_t orgscim_abi_version(void) { return ORGSCIM_ABI_VERSION; }

int orgscim_create(const char* config_json, size_t len, orgscim_instance** out, char** error_out) {
    if (error_out != nullptr) *error_out = nullptr;
    if (out == nullptr) return ORGSCIM_ERROR_INVALID_ARGUMENT;
    *out = nullptr;
    if (!valid_span(config_json, len)) return ORGSCIM_ERROR_INVALID_ARGUMENT;
    try {
        boost::system::error_code ec;
        auto doc = boost::json::parse(view_of(config_json, len), ec);
        if (ec) {
            set_error(error_out, "config: invalid JSON: " + ec.message());
            return ORGSCIM_ERROR_CONFIG;
        }
        auto cfg = plugin::load_config(doc);
        auto instance = std::make_unique<orgscim_instance>();
        instance->app = plugin::app::create(cfg);
        if (!instance->app) {
            set_error(error_out, "orgscim could not be started");
            return ORGSCIM_ERROR_STARTUP;
        }
        *out = instance.release();
        return ORGSCIM_OK;
    } catch (const plugin::config_error& e) {
        set_error(error_out, join_lines(e.errors()));
        return ORGSCIM_ERROR_CONFIG;
    } catch (const plugin::startup_error& e) {
        set_error(error_out, e.what());
        return ORGSCIM_ERROR_STARTUP;
    } catch (const std::exception& e) {
        set_error(error_out, e.what());
        return ORGSCIM_ERROR_INTERNAL;
    } catch (...) {
        set_error(error_out, "unknown internal error");
        return ORGSCIM_ERROR_INTERNAL;
    }
}

int orgscim_handle(orgscim_instance* instance,
                   const orgscim_request* request,
                   orgscim_response** out) {
    if (out == nullptr) return ORGSCIM_ERROR_INVALID_ARGUMENT;
    *out = nullptr;
    if (instance == nullptr || request == nullptr || !valid_request(*request)) {
        return ORGSCIM_ERROR_INVALID_ARGUMENT;
    }
    try {
        auto owned = std::make_unique<owned_response>();
        owned->data = instance->app->handle(to_http_request(*request));
        owned->header_storage.reserve(owned->data.headers.size());
        for (const auto& [name, value] : owned->data.headers) {
            owned->header_storage.push_back({name.data(), name.size(), value.data(), value.size()});
        }
        owned->status = owned->data.status;
        owned->headers = owned->header_storage.data();
        owned->header_count = owned->header_storage.size();
        owned->body = owned->data.body.data();
        owned->body_len = owned->data.body.size();
        *out = owned.release();
        return ORGSCIM_OK;
    } catch (...) {
        return ORGSCIM_ERROR_INTERNAL;
    }
}

int orgscim_ready(const orgscim_instance* instance) {
    if (instance == nullptr) return 0;
    try {
        return instance->app->ready() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

void orgscim_response_free(orgscim_response* response) {
    delete static_cast<owned_response*>(response);
}

void orgscim_string_free(char* str) { std::free(str); }

void orgscim_destroy(orgscim_instance* instance) {
    try {
        delete instance;
    } catch (...) {
        // A destructor that throws is a bug; the host must still not unwind.
    }
}

}  // extern "C"
