#pragma once
// Scale figures for the load-test workloads, printed as "[ figure ] ..." lines: W2 (filter
// userName eq), W5 (a page of 100 at a random offset), emails.value eq, and one-member changes to
// a 100,000-member group. Used by each backend's test as a DISABLED_ test (slow to set up).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "store_conformance.hpp"

namespace orgscim::conformance {

inline void run_scale_figures(scim::resource_store& s, const scim::schema_registry& reg) {
    const auto* user = reg.find_by_id("User");
    const char* env = std::getenv("ORGSCIM_SCALE_USERS");
    const int users = env != nullptr ? std::atoi(env) : 1'000'000;
    const auto* group_type = reg.find_by_id("Group");
    auto t_load = std::chrono::steady_clock::now();
    std::vector<std::string> member_ids;
    for (int i = 0; i < users; ++i) {
        write_set w;
        w.attrs = json::object{
            {"userName", "user" + std::to_string(i) + "@example.com"},
            {"displayName", "User " + std::to_string(i)},
            {"emails",
             json::array{json::object{{"value", "user" + std::to_string(i) + "@example.com"}}}}};
        auto r = s.create("t1", *user, w);
        ASSERT_TRUE(r.has_value());
        if (i < 100'000) member_ids.push_back(r->id);
    }
    std::printf("[ figure ] created %d users in %.1f s\n", users,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count());
    auto timed = [](const char* what, int n, auto&& fn) {
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) fn(i);
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        std::printf("[ figure ] %s: %.2f ms each (%d runs)\n", what, ms / n, n);
    };
    std::mt19937 rng(42);
    timed("W2 userName eq (list, total)", 200, [&](int) {
        auto f = scim::parse_filter("userName eq \"USER" + std::to_string(rng() % users) +
                                    "@example.com\"");
        ASSERT_TRUE(f && scim::bind(**f, *user));
        scim::list_request req;
        req.filter = f->get();
        auto r = s.list("t1", *user, req);
        ASSERT_TRUE(r && r->total == 1);
    });
    timed("W5 page of 100 at a random offset", 50, [&](int) {
        scim::list_request req;
        req.offset = static_cast<std::int64_t>(rng() % static_cast<unsigned>(users));
        req.limit = 100;
        auto r = s.list("t1", *user, req);
        ASSERT_TRUE(r && r->total == users);
    });
    timed("emails.value eq", 200, [&](int) {
        auto f = scim::parse_filter("emails.value eq \"user" + std::to_string(rng() % users) +
                                    "@EXAMPLE.com\"");
        ASSERT_TRUE(f && scim::bind(**f, *user));
        scim::list_request req;
        req.filter = f->get();
        auto r = s.list("t1", *user, req);
        ASSERT_TRUE(r && r->total == 1);
    });
    // A 100,000-member group, then single-member changes.
    write_set g;
    g.attrs = json::object{{"displayName", "Everyone"}};
    auto start = std::chrono::steady_clock::now();
    g.add_members = member_ids;
    auto grp = s.create("t1", *group_type, g);
    ASSERT_TRUE(grp.has_value());
    std::printf("[ figure ] group with %zu members created in %.0f ms\n", member_ids.size(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count());
    timed("one-member remove+add on the 100,000-member group", 50, [&](int i) {
        auto r = s.update("t1", *group_type, grp->id, std::nullopt, fetch_options{false, false},
                          [&](const resource_record& cur) -> scim::result<write_set> {
                              write_set w;
                              w.attrs = cur.attrs;
                              if (i % 2 == 0) {
                                  w.remove_members = {member_ids[7]};
                              } else {
                                  w.add_members = {member_ids[7]};
                              }
                              return w;
                          });
        ASSERT_TRUE(r.has_value());
    });
}

}  // namespace orgscim::conformance
