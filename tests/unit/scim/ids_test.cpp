#include <gtest/gtest.h>

#include <chrono>
#include <orgscim/scim/ids.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Ids are UUIDv7: time first, so that records made one after another are neighbours in the
// indexes keyed by id (a Bulk's inserts land on a few pages), and distinct within a millisecond.
TEST(ids, are_version_7_uuids_in_time_order) {
    const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    const auto before = now_ms();
    const std::string first = orgscim::scim::new_id();
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    const std::string later = orgscim::scim::new_id();
    const auto after = now_ms();
    EXPECT_TRUE(std::regex_match(first, form)) << first;
    EXPECT_TRUE(std::regex_match(later, form)) << later;
    EXPECT_LT(first, later);  // a later millisecond sorts after, as text too
    const auto ms = std::stoll(first.substr(0, 8) + first.substr(9, 4), nullptr, 16);
    EXPECT_GE(ms, before);
    EXPECT_LE(ms, after);
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) seen.insert(orgscim::scim::new_id());
    EXPECT_EQ(seen.size(), 10000u);  // the same millisecond still gives distinct ids
}

}  // namespace
