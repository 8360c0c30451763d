#pragma once
// The JWS algorithms orgscim can verify. `none` and HS* are not representable: they can never be
// allowed for an external issuer.

#include <cstdint>
#include <optional>
#include <string_view>

namespace orgscim::oidc {

enum class alg : std::uint8_t {
    rs256,
    rs384,
    rs512,
    ps256,
    ps384,
    ps512,
    es256,
    es384,
    es512,
    eddsa
};

inline constexpr alg all_algs[] = {alg::rs256, alg::rs384, alg::rs512, alg::ps256, alg::ps384,
                                   alg::ps512, alg::es256, alg::es384, alg::es512, alg::eddsa};

/// Exact, case-sensitive ("RS256"); nullopt for anything else, including "none" and "HS256".
std::optional<alg> alg_from_string(std::string_view s) noexcept;
std::string_view to_string(alg a) noexcept;

/// A set of algs as a bit mask.
class alg_set {
  public:
    constexpr alg_set() = default;
    constexpr void insert(alg a) noexcept { bits_ |= bit(a); }
    constexpr bool contains(alg a) const noexcept { return (bits_ & bit(a)) != 0; }
    constexpr bool empty() const noexcept { return bits_ == 0; }
    constexpr alg_set operator&(alg_set o) const noexcept { return alg_set(bits_ & o.bits_); }
    friend constexpr bool operator==(alg_set, alg_set) = default;

  private:
    constexpr explicit alg_set(std::uint16_t b) : bits_(b) {}
    static constexpr std::uint16_t bit(alg a) noexcept {
        return static_cast<std::uint16_t>(1u << static_cast<unsigned>(a));
    }
    std::uint16_t bits_ = 0;
};

}  // namespace orgscim::oidc
