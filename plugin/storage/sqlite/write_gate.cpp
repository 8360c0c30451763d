#include "write_gate.hpp"

#include <filesystem>
#include <map>

namespace orgscim::plugin::sqlite {

std::shared_ptr<file_gate> write_gate(const std::string& path) {
    static std::mutex registry_mu;
    static std::map<std::string, std::weak_ptr<file_gate>> registry;
    std::error_code ec;
    std::string key = std::filesystem::weakly_canonical(path, ec).string();
    if (ec || key.empty()) key = path;
    std::lock_guard lk(registry_mu);
    auto& slot = registry[key];
    auto gate = slot.lock();
    if (!gate) {
        gate = std::make_shared<file_gate>();
        slot = gate;
    }
    return gate;
}

}  // namespace orgscim::plugin::sqlite
