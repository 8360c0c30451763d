// Server-side cost of the SCIM operations at scale, without HTTP: the service on the real SQLite
// backend in a temporary directory. Workloads from issue 3: one-member change to a 100,000-member
// group, 1,000 members in one PATCH, a filter mix at 100,000 users, Entra-shaped PATCHes, a
// 1,000-operation Bulk.
//
//   build/bench/service/orgscim_scale_bench [--benchmark_filter=...]
//   ORGSCIM_BENCH_USERS=100000 (default)
//   ORGSCIM_BENCH_KEEP=DIR    build the data set into DIR/orgscim.db, write DIR/users.tsv and
//                             DIR/groups.tsv (the peer harness's format) and DIR/org, and exit:
//                             a database for `orgscim serve` with a million users in seconds
//                             instead of an hour of POSTs.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/scim/service.hpp>
#include <string>
#include <vector>

namespace json = boost::json;
using namespace orgscim;

namespace {

struct world {
    std::string dir;
    std::unique_ptr<plugin::backend> store;
    scim::config cfg;
    scim::schema_registry reg;
    std::unique_ptr<scim::service> svc;
    scim::caller who{"", "bench", "bench", true, true};
    std::vector<std::string> users;
    std::string big_group;
    std::size_t next_user = 0;
    int seq = 0;

    scim::response call(std::string method,
                        std::string path,
                        std::string body = {},
                        std::vector<std::pair<std::string, std::string>> query = {}) {
        scim::request r;
        r.method = std::move(method);
        r.path = std::move(path);
        r.body = std::move(body);
        r.query = std::move(query);
        r.base_url = "http://127.0.0.1/scim/v2";
        r.headers.emplace_back("content-type", "application/scim+json");
        return svc->handle(r, who);
    }

    world() {
        std::size_t n = 100000;
        if (const char* e = std::getenv("ORGSCIM_BENCH_USERS")) n = std::stoul(e);
        if (const char* keep = std::getenv("ORGSCIM_BENCH_KEEP")) {
            dir = keep;
            keep_ = true;
            std::filesystem::create_directories(dir);
        } else {
            char tmpl[] = "/tmp/orgscim-bench-XXXXXX";
            dir = mkdtemp(tmpl);
        }
        plugin::storage_config sc;
        sc.sqlite.path = dir + "/orgscim.db";
        store = plugin::open_backend(sc);
        auto org = store->create_org("bench", std::nullopt);
        if (!org) std::abort();
        who.tenant = org->id;
        scim::register_core_schemas(reg);
        svc = std::make_unique<scim::service>(cfg, reg, *store);
        const auto& user_type = *reg.find_by_id("User");
        users.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            scim::write_set ws;
            std::string name = "user" + std::to_string(i);
            ws.attrs["userName"] = name + "@corp" + std::to_string(i % 50) + ".example";
            ws.attrs["displayName"] = "User " + std::to_string(i);
            ws.attrs["title"] = i % 7 == 0 ? "Engineer" : "Sales";
            ws.attrs["name"] = json::object{{"givenName", "Given" + std::to_string(i)},
                                            {"familyName", "Family" + std::to_string(i % 1000)}};
            ws.attrs["emails"] = json::array{json::object{
                {"type", "work"}, {"value", name + "@mail" + std::to_string(i % 20) + ".example"}}};
            ws.attrs["active"] = true;
            auto rec = store->create(who.tenant, user_type, ws);
            if (!rec) std::abort();
            users.push_back(rec->id);
        }
        big_group = create_group("big");
        const std::size_t members = std::min<std::size_t>(users.size(), 100000);
        for (std::size_t i = 0; i < members; i += 1000) add_members(big_group, i, 1000);
    }
    ~world() {
        if (!keep_) std::filesystem::remove_all(dir);
    }
    bool keep_ = false;

    void write_harness_files() const {
        std::ofstream users_tsv(dir + "/users.tsv");
        for (std::size_t i = 0; i < users.size(); ++i) {
            users_tsv << users[i] << '\t' << "user" << i << "@corp" << (i % 50) << ".example\n";
        }
        std::ofstream(dir + "/groups.tsv") << big_group << '\n';
        std::ofstream(dir + "/org") << who.tenant << '\n';
    }

    std::string create_group(const std::string& name) {
        auto r =
            call("POST", "/Groups",
                 R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":")" +
                     name + "\"}");
        if (r.status != 201) std::abort();
        return std::string(json::parse(r.body).at("id").as_string());
    }
    scim::response add_members(const std::string& group, std::size_t from, std::size_t count) {
        json::array values;
        for (std::size_t i = from; i < from + count && i < users.size(); ++i) {
            values.push_back(json::object{{"value", users[i]}});
        }
        json::object op{{"op", "Add"}, {"path", "members"}, {"value", std::move(values)}};
        json::object body{{"schemas", json::array{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}},
                          {"Operations", json::array{std::move(op)}}};
        return call("PATCH", "/Groups/" + group, json::serialize(body));
    }
};

world& the_world() {
    static world w;
    return w;
}

void BM_group_one_member_add(benchmark::State& state) {
    auto& w = the_world();
    std::string extra = w.create_group("extra-member-source" + std::to_string(w.seq++));
    (void)extra;
    // A user not yet in the big group: create one.
    auto r =
        w.call("POST", "/Users",
               R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"outsider)" +
                   std::to_string(w.seq++) + "\"}");
    std::string uid(json::parse(r.body).at("id").as_string());
    std::string add =
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":")" +
        uid + R"("}]}]})";
    std::string remove =
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members[value eq \")" +
        uid + R"(\"]"}]})";
    for (auto _ : state) {
        auto a = w.call("PATCH", "/Groups/" + w.big_group, add);
        auto b = w.call("PATCH", "/Groups/" + w.big_group, remove);
        if (a.status != 204 || b.status != 204) state.SkipWithError("PATCH failed");
    }
    state.counters["requests/s"] = benchmark::Counter(2.0 * static_cast<double>(state.iterations()),
                                                      benchmark::Counter::kIsRate);
    state.SetLabel("100,000-member group: Add one + Remove it by filter (2 requests)");
}
BENCHMARK(BM_group_one_member_add)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_group_add_1000_members(benchmark::State& state) {
    auto& w = the_world();
    std::size_t from = 0;
    for (auto _ : state) {
        state.PauseTiming();
        std::string g = w.create_group("thousand" + std::to_string(w.seq++));
        state.ResumeTiming();
        auto r = w.add_members(g, from, 1000);
        if (r.status != 204) state.SkipWithError("PATCH failed");
        from = (from + 1000) % (w.users.size() - 1000);
    }
    state.SetLabel("one PATCH adding 1,000 members");
}
BENCHMARK(BM_group_add_1000_members)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_filter_mix(benchmark::State& state) {
    auto& w = the_world();
    const std::vector<std::string> filters = {
        R"(userName sw "user4242")",
        R"(userName co "r9999@")",
        R"(userName eq "user7@corp7.example" or userName eq "user8@corp8.example")",
        R"(emails[type eq "work" and value co "user31337@"])",
        R"(emails.value sw "user123@mail3")",
        R"(externalId eq "nope" or displayName eq "User 77")",
    };
    std::size_t i = 0;
    for (auto _ : state) {
        auto r = w.call("GET", "/Users", "",
                        {{"filter", filters[i++ % filters.size()]}, {"count", "100"}});
        if (r.status != 200) state.SkipWithError(r.body.c_str());
    }
    state.SetLabel("co/sw/or/value-path filters over 100,000 users");
}
BENCHMARK(BM_filter_mix)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_filter_unindexed(benchmark::State& state) {
    auto& w = the_world();
    for (auto _ : state) {
        auto r = w.call("GET", "/Users", "",
                        {{"filter", R"(name.familyName eq "Family123" and title eq "Engineer")"},
                         {"count", "100"}});
        if (r.status != 200) state.SkipWithError(r.body.c_str());
    }
    state.SetLabel("unindexed attributes: evaluated in memory over 100,000 users");
}
BENCHMARK(BM_filter_unindexed)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_entra_patch_mix(benchmark::State& state) {
    auto& w = the_world();
    const std::vector<std::string> bodies = {
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"changed@example.com"},{"op":"Replace","path":"name.familyName","value":"Changed"}]})",
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]})",
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":"Renamed","name.givenName":"G","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42"}}]})",
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":true}]})",
    };
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& id = w.users[(i * 7919) % w.users.size()];
        auto r = w.call("PATCH", "/Users/" + id, bodies[i++ % bodies.size()]);
        if (r.status != 200) state.SkipWithError(r.body.c_str());
    }
    state.SetLabel("Entra PATCH shapes on random users");
}
BENCHMARK(BM_entra_patch_mix)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_bulk_1000(benchmark::State& state) {
    auto& w = the_world();
    for (auto _ : state) {
        state.PauseTiming();
        json::array ops;
        for (int i = 0; i < 1000; ++i) {
            std::string name = "bulk" + std::to_string(w.seq) + "-" + std::to_string(i);
            ops.push_back(json::object{
                {"method", "POST"},
                {"path", "/Users"},
                {"bulkId", name},
                {"data", json::object{
                             {"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:User"}},
                             {"userName", name}}}});
        }
        ++w.seq;
        json::object body{
            {"schemas", json::array{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}},
            {"Operations", std::move(ops)}};
        std::string text = json::serialize(body);
        state.ResumeTiming();
        auto r = w.call("POST", "/Bulk", text);
        if (r.status != 200) state.SkipWithError(r.body.c_str());
    }
    state.SetLabel("Bulk of 1,000 POST /Users");
}
BENCHMARK(BM_bulk_1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    if (std::getenv("ORGSCIM_BENCH_KEEP")) {
        the_world().write_harness_files();
        return 0;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
