#include <boost/json.hpp>
#include <orgscim/scim/error.hpp>
#include <orgscim/scim/schema.hpp>
#include <stdexcept>

namespace orgscim::scim {

std::string_view to_string(scim_type t) noexcept {
    switch (t) {
        case scim_type::none:
            return "";
        case scim_type::invalid_filter:
            return "invalidFilter";
        case scim_type::too_many:
            return "tooMany";
        case scim_type::uniqueness:
            return "uniqueness";
        case scim_type::mutability:
            return "mutability";
        case scim_type::invalid_syntax:
            return "invalidSyntax";
        case scim_type::invalid_path:
            return "invalidPath";
        case scim_type::no_target:
            return "noTarget";
        case scim_type::invalid_value:
            return "invalidValue";
        case scim_type::invalid_vers:
            return "invalidVers";
        case scim_type::sensitive:
            return "sensitive";
    }
    return "";
}

error error::bad_request(scim_type t, std::string detail) { return {400, t, std::move(detail)}; }
error error::unauthorized(std::string detail) { return {401, scim_type::none, std::move(detail)}; }
error error::forbidden(std::string detail) { return {403, scim_type::none, std::move(detail)}; }
error error::not_found(std::string detail) { return {404, scim_type::none, std::move(detail)}; }
error error::conflict(std::string detail) {
    return {409, scim_type::uniqueness, std::move(detail)};
}
error error::precondition_failed(std::string detail) {
    return {412, scim_type::none, std::move(detail)};
}
error error::payload_too_large(std::string detail) {
    return {413, scim_type::too_many, std::move(detail)};
}
error error::not_implemented(std::string detail) {
    return {501, scim_type::none, std::move(detail)};
}
error error::unavailable(std::string detail) { return {503, scim_type::none, std::move(detail)}; }
error error::internal(std::string detail) { return {500, scim_type::none, std::move(detail)}; }

boost::json::value to_json(const error& e) {
    boost::json::object o;
    o["schemas"] = boost::json::array{boost::json::string(error_urn)};
    o["status"] = std::to_string(e.status);
    if (e.type != scim_type::none) o["scimType"] = to_string(e.type);
    o["detail"] = e.detail;
    return o;
}

std::string to_body(const error& e) { return boost::json::serialize(to_json(e)); }

void throw_exception_from_error(const error& e, const boost::source_location&) {
    throw std::runtime_error("scim error " + std::to_string(e.status) + " " +
                             std::string(to_string(e.type)) + ": " + e.detail);
}

}  // namespace orgscim::scim
