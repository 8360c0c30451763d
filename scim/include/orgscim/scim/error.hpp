#pragma once
// SCIM errors as values (RFC 7644 §3.12). Everything that parses or validates client input returns
// scim::result<T>; nothing on that path throws.

#include <boost/json/fwd.hpp>
#include <boost/system/result.hpp>
#include <string>
#include <string_view>

namespace orgscim::scim {

/// The `scimType` values of RFC 7644 §3.12 (plus `none` for errors that carry no scimType).
enum class scim_type {
    none,
    invalid_filter,
    too_many,
    uniqueness,
    mutability,
    invalid_syntax,
    invalid_path,
    no_target,
    invalid_value,
    invalid_vers,
    sensitive,
};

/// The wire spelling of a scim_type ("invalidFilter"); empty for `none`.
std::string_view to_string(scim_type t) noexcept;

/// A SCIM error: what the client sees. `detail` is written for the client and never carries SQL,
/// file paths, key ids or token contents; those go to the log.
struct error {
    int status = 500;
    scim_type type = scim_type::none;
    std::string detail;

    static error bad_request(scim_type t, std::string detail);
    static error unauthorized(std::string detail);
    static error forbidden(std::string detail);
    static error not_found(std::string detail);
    static error conflict(std::string detail);  ///< 409 uniqueness
    static error precondition_failed(std::string detail);
    static error payload_too_large(std::string detail);
    static error not_implemented(std::string detail);
    static error unavailable(std::string detail);  ///< 503; hosts add Retry-After
    static error internal(std::string detail = "internal server error");

    friend bool operator==(const error&, const error&) = default;
};

/// The error body: {"schemas":[Error URN],"status":"400","scimType":"...","detail":"..."}.
boost::json::value to_json(const error& e);
std::string to_body(const error& e);

/// ADL hook so that result<T>::value() throws a std::system_error-like exception for tests.
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

template <class T>
using result = boost::system::result<T, error>;

}  // namespace orgscim::scim
