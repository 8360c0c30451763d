#include <orgscim/scim/validate.hpp>

#include <boost/json/object.hpp>

namespace orgscim::scim {

result<void> validate_resource(boost::json::object&,
                               const resource_type&,
                               const compat_options&,
                               validation_mode) {
    return {};  // filled in with the PATCH work
}

}  // namespace orgscim::scim
