#include "ulfius_adapter.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

namespace orgscim::plugin::glewlwyd {
namespace {

std::string lower(std::string_view text) {
    std::string out{text};
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string address_of(const struct sockaddr* addr) {
    if (addr == nullptr) return {};
    char text[INET6_ADDRSTRLEN] = {};
    if (addr->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
        if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) return text;
    } else if (addr->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
        if (inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text) != nullptr) return text;
    }
    return {};
}

struct free_deleter {
    void operator()(char* p) const noexcept { std::free(p); }
};

}  // namespace

http_request to_http_request(const struct _u_request& req) {
    http_request out;
    if (req.http_verb != nullptr) out.method = req.http_verb;
    // http_url is the target exactly as received (query included, still percent-encoded);
    // url_path has the query cut off.
    if (req.http_url != nullptr) {
        out.target = req.http_url;
    } else if (req.url_path != nullptr) {
        out.target = req.url_path;
    }
    if (const auto* headers = req.map_header; headers != nullptr) {
        out.headers.reserve(static_cast<std::size_t>(headers->nb_values));
        for (int i = 0; i < headers->nb_values; ++i) {
            if (headers->keys[i] == nullptr) continue;
            std::string_view value;
            if (headers->values[i] != nullptr) value = {headers->values[i], headers->lengths[i]};
            // u_map stores a terminating NUL inside the length of string values.
            if (!value.empty() && value.back() == '\0') value.remove_suffix(1);
            out.headers.emplace_back(lower(headers->keys[i]), std::string{value});
        }
    }
    if (req.binary_body != nullptr && req.binary_body_length > 0) {
        out.body.assign(static_cast<const char*>(req.binary_body), req.binary_body_length);
    }
    out.remote_addr = address_of(req.client_address);
    return out;
}

bool write_response(const scim::response& res, struct _u_response& out) {
    out.status = res.status;
    // Ulfius refuses an empty binary body (U_ERROR_PARAMS), which 204 and 304 need.
    if (!res.body.empty() &&
        ulfius_set_binary_body_response(&out, static_cast<unsigned>(res.status), res.body.data(),
                                        res.body.size()) != U_OK) {
        return false;
    }
    for (const auto& [name, value] : res.headers) {
        if (u_map_put(out.map_header, name.c_str(), value.c_str()) != U_OK) return false;
    }
    return true;
}

std::optional<boost::json::value> to_boost(const json_t* value) {
    if (value == nullptr) return std::nullopt;
    std::unique_ptr<char, free_deleter> text{
        json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ALLOW_NUL)};
    if (!text) return std::nullopt;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(text.get(), ec);
    if (ec) return std::nullopt;
    return parsed;
}

json_t* to_jansson(const boost::json::value& value) {
    const auto text = boost::json::serialize(value);
    json_error_t error;
    return json_loadb(text.data(), text.size(), JSON_DECODE_ANY, &error);
}

}  // namespace orgscim::plugin::glewlwyd
