#include <chrono>
#include <cstdint>
#include <cstdio>
#include <orgscim/scim/ids.hpp>
#include <random>

namespace orgscim::scim {

std::string new_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const auto ms =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count()) &
        0xffffffffffffULL;
    const std::uint64_t hi = (ms << 16) | 0x7000ULL | (rng() & 0x0fffULL);             // version 7
    const std::uint64_t lo = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48),
                  static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return buf;
}

}  // namespace orgscim::scim
