#pragma once
// Builds the app around an already opened backend: what app::create does after open_backend(),
// exposed so unit tests can run the whole pipeline on a fake backend.

#include <cstdint>
#include <functional>
#include <memory>
#include <orgscim/plugin/app.hpp>
#include <orgscim/plugin/storage/backend.hpp>

namespace orgscim::plugin {

/// `now_ms` defaults to the system clock. Throws startup_error if the service cannot be built.
std::shared_ptr<app> make_app(const config& cfg,
                              std::unique_ptr<backend> store,
                              std::function<std::int64_t()> now_ms = {});

}  // namespace orgscim::plugin
