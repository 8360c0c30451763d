#include <orgscim/oidc/config.hpp>

#include <boost/json.hpp>

namespace orgscim::oidc {

void load_config(const boost::json::value& v,
                 const std::string& path,
                 config&,
                 std::vector<std::string>& errors) {
    if (!v.is_object()) {
        errors.push_back(path + ": expected object");
        return;
    }
    for (const auto& kv : v.as_object()) {
        errors.push_back(path + "." + std::string(kv.key()) + ": unknown key");
    }
}

}  // namespace orgscim::oidc
