#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <chrono>
#include <cstdint>
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
    // Boost.UUID writes the text: snprintf took 2 % of the writer thread's time in a POST, three
    // ids each (the User, its identity, the audit event).
    boost::uuids::uuid u;
    for (int i = 0; i < 8; ++i) {
        u.data[i] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
        u.data[8 + i] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
    }
    return boost::uuids::to_string(u);
}

}  // namespace orgscim::scim
