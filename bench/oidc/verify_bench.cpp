// Signature verification with a cached key: the cost of one uncached token check (parse, header,
// key lookup, EVP_DigestVerify, claims), and of a verified-token cache hit.
//
//   build-*/bench/oidc/oidc_verify_bench --benchmark_min_time=2
//
// The verifier's result cache is bypassed by giving every iteration a distinct token (a new jti);
// a pool of pre-minted tokens keeps signing out of the measured loop.

#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <orgscim/oidc/base64url.hpp>
#include <orgscim/oidc/jwk.hpp>
#include <orgscim/oidc/verifier.hpp>
#include <token_signer.hpp>

namespace orgscim::oidc {
namespace {

constexpr std::int64_t t_now = 1'800'000'000;

class static_fetcher final : public http_fetcher {
  public:
    explicit static_fetcher(std::string body) : body_(std::move(body)) {}
    result<fetch_response> fetch(const fetch_request&) override {
        return fetch_response{200, body_};
    }

  private:
    std::string body_;
};

struct fixture {
    signing_key key;
    static_fetcher fetcher;
    settable_clock clock{time_point(std::chrono::seconds(t_now))};
    config cfg;
    std::vector<std::string> tokens;

    explicit fixture(alg a) : key(signing_key::generate(a, "k1")), fetcher(jwks_json({key})) {
        const std::string text = R"({"issuers":[{"issuer":"https://op.test","jwks_uri":
            "https://op.test/jwks","audiences":["https://scim.test/v2"],
            "allowed_algs":["RS256","ES256","PS256","EdDSA"]}]})";
        std::vector<std::string> errors;
        load_config(boost::json::parse(text), "oidc", cfg, errors);
        for (int i = 0; i < 4096; ++i) {
            boost::json::object claims{
                {"iss", "https://op.test"},      {"sub", "bench"}, {"aud", "https://scim.test/v2"},
                {"exp", t_now + 3600},           {"iat", t_now},   {"scope", "scim"},
                {"jti", "j" + std::to_string(i)}};
            tokens.push_back(sign_compact(
                key, R"({"alg":")" + std::string(to_string(a)) + R"(","typ":"at+jwt","kid":"k1"})",
                boost::json::serialize(claims)));
        }
    }
};

void verify_uncached(benchmark::State& state, alg a) {
    fixture f(a);
    verifier v(f.cfg, f.fetcher, f.clock);
    std::size_t i = 0;
    for (auto _ : state) {
        if (i % f.tokens.size() == 0) v.clear_cache();  // every token checked for real
        auto r = v.verify(f.tokens[i++ % f.tokens.size()]);
        if (!r) state.SkipWithError("verification failed");
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

void verify_cached(benchmark::State& state) {
    fixture f(alg::rs256);
    verifier v(f.cfg, f.fetcher, f.clock);
    for (const auto& t : f.tokens) (void)v.verify(t);
    std::size_t i = 0;
    for (auto _ : state) {
        auto r = v.verify(f.tokens[i++ % f.tokens.size()]);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

void signature_only(benchmark::State& state, alg a) {
    const auto key = signing_key::generate(a, "k1");
    alg_set allowed;
    allowed.insert(a);
    auto k = parse_jwk(boost::json::serialize(key.public_jwk()), allowed);
    const auto tok = sign_compact(key, R"({"alg":"x"})", R"({"sub":"bench"})");
    const auto dot = tok.rfind('.');
    const auto sig = *base64url_decode(tok.substr(dot + 1));
    const auto input = tok.substr(0, dot);
    for (auto _ : state) {
        bool ok = verify_signature(*k, a, input, sig);
        if (!ok) state.SkipWithError("bad signature");
        benchmark::DoNotOptimize(ok);
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(verify_uncached, RS256, alg::rs256);
BENCHMARK_CAPTURE(verify_uncached, ES256, alg::es256);
BENCHMARK_CAPTURE(verify_uncached, PS256, alg::ps256);
BENCHMARK_CAPTURE(verify_uncached, EdDSA, alg::eddsa);
BENCHMARK(verify_cached);
BENCHMARK_CAPTURE(signature_only, RS256, alg::rs256);
BENCHMARK_CAPTURE(signature_only, ES256, alg::es256);

}  // namespace
}  // namespace orgscim::oidc

BENCHMARK_MAIN();
