#include <orgscim/oidc/algorithm.hpp>
#include <orgscim/oidc/clock.hpp>

namespace orgscim::oidc {

std::optional<alg> alg_from_string(std::string_view s) noexcept {
    for (alg a : all_algs) {
        if (to_string(a) == s) return a;
    }
    return std::nullopt;
}

std::string_view to_string(alg a) noexcept {
    switch (a) {
        case alg::rs256:
            return "RS256";
        case alg::rs384:
            return "RS384";
        case alg::rs512:
            return "RS512";
        case alg::ps256:
            return "PS256";
        case alg::ps384:
            return "PS384";
        case alg::ps512:
            return "PS512";
        case alg::es256:
            return "ES256";
        case alg::es384:
            return "ES384";
        case alg::es512:
            return "ES512";
        case alg::eddsa:
            return "EdDSA";
    }
    return {};
}

system_clock& system_clock::instance() noexcept {
    static system_clock c;
    return c;
}

}  // namespace orgscim::oidc
