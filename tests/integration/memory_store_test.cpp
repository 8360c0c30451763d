// The reference store against the conformance suite (its filter cases check the oracle's own
// expected counts).
#include "store_conformance.hpp"

namespace orgscim::conformance {
namespace {

struct memory_instance final : store_instance {
    explicit memory_instance(std::function<std::int64_t()> clock) : s(std::move(clock)) {}
    scim::resource_store& store() override { return s; }
    scim::testing::memory_store s;
};

struct memory_traits {
    static std::unique_ptr<store_instance> open(std::function<std::int64_t()> clock) {
        return std::make_unique<memory_instance>(std::move(clock));
    }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(memory, store_conformance, ::testing::Types<memory_traits>);
// memory_store is only a scim::resource_store: organizations and tokens are the backends' part.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(backend_conformance);

}  // namespace orgscim::conformance
