#include <orgscim/scim/message.hpp>
#include <orgscim/scim/schema.hpp>

namespace orgscim::scim {

std::optional<std::string_view> request::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) return std::string_view(v);
    }
    return std::nullopt;
}

std::optional<std::string_view> request::param(std::string_view name) const {
    for (const auto& [k, v] : query) {
        if (iequals(k, name)) return std::string_view(v);
    }
    return std::nullopt;
}

void response::set_header(std::string name, std::string value) {
    for (auto& [k, v] : headers) {
        if (iequals(k, name)) {
            v = std::move(value);
            return;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace orgscim::scim
