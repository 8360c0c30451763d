// Issue 5: paging through /Users of a child with 10,000 inherited members against a child with
// 10,000 home members, through scim::service on the real SQLite or PostgreSQL backend (no HTTP).
// The inherited members are the MSP's Users with a role there; the child is managed by the MSP,
// so they are listed without a row of their own in the child.
//
//   build/bench/orgs/orgscim_members_bench [--benchmark_filter=...]
//   ORGSCIM_BENCH_MEMBERS=10000 (default)
//   ORGSCIM_BENCH_BACKEND=postgresql: on the empty database named by ORGSCIM_POSTGRES_URI
//   instead of a fresh SQLite file (bench/orgs/run-postgres.sh starts a throwaway cluster).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/orgs/directory_service.hpp>
#include <orgscim/plugin/orgs/orgs_api.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/scim/service.hpp>
#include <string>

namespace json = boost::json;
using namespace orgscim;

namespace {

struct world {
    std::string dir;
    std::unique_ptr<plugin::backend> store;
    std::unique_ptr<plugin::directory_store> directory;
    scim::config cfg;
    scim::schema_registry reg;
    std::unique_ptr<scim::service> svc;
    std::string home_org;       // 10,000 Users of its own
    std::string inherited_org;  // no Users; 10,000 members inherited from the MSP
    std::size_t n = 10000;

    world() {
        if (const char* e = std::getenv("ORGSCIM_BENCH_MEMBERS")) n = std::stoul(e);
        char tmpl[] = "/tmp/orgscim-members-XXXXXX";
        dir = mkdtemp(tmpl);
        plugin::storage_config sc;
        sc.sqlite.path = dir + "/orgscim.db";
        if (const char* b = std::getenv("ORGSCIM_BENCH_BACKEND")) sc.backend = b;
        store = plugin::open_backend(sc);
        directory = plugin::open_directory(sc);
        scim::register_core_schemas(reg);
        plugin::orgs::register_membership_extension(reg);
        svc = std::make_unique<scim::service>(cfg, reg, *store);
        plugin::orgs::directory_service orgs(*directory);
        auto cli = plugin::orgs::actor::cli();
        plugin::org_node msp;
        msp.name = "MSP";
        const auto msp_id = orgs.create_org(cli, msp, false)->id;
        plugin::org_node child;
        child.name = "Inheriting child";
        child.parent_id = msp_id;
        inherited_org = orgs.create_org(cli, child, true)->id;  // managed by the MSP
        plugin::org_node home;
        home.name = "Home child";
        home.parent_id = msp_id;
        home_org = orgs.create_org(cli, home, false)->id;
        const auto& user_type = *reg.find_by_id("User");
        for (std::size_t i = 0; i < n; ++i) {
            for (const auto& org : {msp_id, home_org}) {
                scim::write_set ws;
                std::string name = "user" + std::to_string(i);
                ws.attrs["userName"] = name + "@corp.example";
                ws.attrs["displayName"] = "User " + std::to_string(i);
                ws.attrs["name"] = json::object{{"givenName", "Given" + std::to_string(i)},
                                                {"familyName", "Family" + std::to_string(i)}};
                ws.attrs["emails"] =
                    json::array{json::object{{"type", "work"}, {"value", name + "@corp.example"}}};
                ws.attrs["active"] = true;
                auto rec = store->create(org, user_type, ws);
                if (!rec) std::abort();
                auto ident = orgs.user_provisioned(cli, org, rec->id, name);
                if (!ident) std::abort();
                if (org == msp_id) {
                    // The MSP's staff hold a role there: it applies in the managed child.
                    auto m = directory->write(
                        [&](plugin::directory_tx& tx) -> plugin::store_result<void> {
                            auto cur = tx.get_membership(msp_id, ident->id);
                            if (!cur) return cur.error();
                            cur->roles = {"manager"};
                            auto w = tx.put_membership(*cur);
                            if (!w) return w.error();
                            return {};
                        });
                    if (!m) std::abort();
                }
            }
        }
        if (sc.backend == "postgresql") {
            // The loaded tables as autovacuum leaves them a minute later: planner statistics and
            // the visibility map. With the empty-table statistics the home User of each listed
            // member is found by scanning the tenant (docs/performance.md, "Plans made on an
            // empty table").
            if (std::system("psql -X -q \"$ORGSCIM_POSTGRES_URI\" -c \"VACUUM ANALYZE\"") != 0)
                std::abort();
        }
    }
    ~world() { std::filesystem::remove_all(dir); }

    // Every page of 100 in order; returns the number of Users seen.
    std::size_t page_through(const std::string& org) {
        std::size_t seen = 0;
        scim::caller who{org, "bench", "bench", true, true};
        for (std::size_t start = 1;; start += 100) {
            scim::request r;
            r.method = "GET";
            r.path = "/Users";
            r.query = {{"startIndex", std::to_string(start)}, {"count", "100"}};
            r.base_url = "http://127.0.0.1/scim/v2";
            auto res = svc->handle(r, who);
            if (res.status != 200) std::abort();
            auto body = json::parse(res.body).as_object();
            const auto got = body.at("Resources").as_array().size();
            seen += got;
            if (got < 100) break;
        }
        return seen;
    }
};

world& the_world() {
    static world w;
    return w;
}

void page_bench(benchmark::State& state, bool inherited) {
    auto& w = the_world();
    const auto& org = inherited ? w.inherited_org : w.home_org;
    for (auto _ : state) {
        if (w.page_through(org) != w.n) state.SkipWithError("wrong number of Users");
    }
    state.counters["pages/s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * (w.n / 100)), benchmark::Counter::kIsRate);
}

void BM_page_home_members(benchmark::State& state) {
    page_bench(state, false);
    state.SetLabel("10,000 home Users, pages of 100");
}
BENCHMARK(BM_page_home_members)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_page_inherited_members(benchmark::State& state) {
    page_bench(state, true);
    state.SetLabel("10,000 inherited members, pages of 100");
}
BENCHMARK(BM_page_inherited_members)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
