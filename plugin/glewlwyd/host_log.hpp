#pragma once
// Log lines go to Glewlwyd's own log (yder, already initialized by the host process).

#include <string_view>

namespace orgscim::plugin::glewlwyd {

enum class log_level { error, warning, info, debug };

/// Never throws; prefixes "orgscim: ".
void host_log(log_level level, std::string_view message) noexcept;

}  // namespace orgscim::plugin::glewlwyd
