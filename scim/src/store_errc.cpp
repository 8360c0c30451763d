#include <orgscim/scim/store.hpp>
#include <stdexcept>

namespace orgscim::scim {

std::string_view to_string(store_errc e) noexcept {
    switch (e) {
        case store_errc::conflict:
            return "conflict";
        case store_errc::not_found:
            return "not_found";
        case store_errc::version_mismatch:
            return "version_mismatch";
        case store_errc::bad_reference:
            return "bad_reference";
        case store_errc::aborted:
            return "aborted";
        case store_errc::unavailable:
            return "unavailable";
        case store_errc::internal:
            return "internal";
    }
    return "unknown";
}

namespace {
class category final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "orgscim.store"; }
    std::string message(int ev) const override {
        return std::string(to_string(static_cast<store_errc>(ev)));
    }
};
}  // namespace

const boost::system::error_category& store_category() noexcept {
    static const category c;
    return c;
}

boost::system::error_code make_error_code(store_errc e) noexcept {
    return {static_cast<int>(e), store_category()};
}

void throw_exception_from_error(const store_errc& e, const boost::source_location&) {
    throw std::runtime_error("store error: " + std::string(to_string(e)));
}

}  // namespace orgscim::scim
