#include "host_log.hpp"

#include <yder.h>

namespace orgscim::plugin::glewlwyd {

void host_log(log_level level, std::string_view message) noexcept {
    unsigned long y_level = Y_LOG_LEVEL_ERROR;
    switch (level) {
        case log_level::error:
            y_level = Y_LOG_LEVEL_ERROR;
            break;
        case log_level::warning:
            y_level = Y_LOG_LEVEL_WARNING;
            break;
        case log_level::info:
            y_level = Y_LOG_LEVEL_INFO;
            break;
        case log_level::debug:
            y_level = Y_LOG_LEVEL_DEBUG;
            break;
    }
    y_log_message(y_level, "orgscim: %.*s", static_cast<int>(message.size()), message.data());
}

}  // namespace orgscim::plugin::glewlwyd
