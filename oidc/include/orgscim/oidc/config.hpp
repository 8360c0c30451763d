#pragma once
// oidc::config: trusted issuers and verification policy. (Placeholder until the identity work
// lands; see issue 4.)

#include <boost/json/fwd.hpp>
#include <string>
#include <vector>

namespace orgscim::oidc {

struct config {};

/// Converts `v` (the "oidc" object) into `out`, appending "path: problem" to `errors`.
void load_config(const boost::json::value& v,
                 const std::string& path,
                 config& out,
                 std::vector<std::string>& errors);

}  // namespace orgscim::oidc
