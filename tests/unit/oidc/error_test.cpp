#include <gtest/gtest.h>

#include <orgscim/oidc/error.hpp>
#include <set>

#include "test_support.hpp"

namespace orgscim::oidc {
namespace {

TEST(OidcError, EveryValueHasAMessageAStatusAndTheCategory) {
    const auto& all = testing::errc_by_name();
    // The list in test_support.hpp must follow the enum: last value + 1 entries, no gaps.
    EXPECT_EQ(all.size(), static_cast<std::size_t>(errc::no_usable_keys));
    std::set<std::string> messages;
    for (const auto& [name, e] : all) {
        SCOPED_TRACE(name);
        const auto ec = make_error_code(e);
        EXPECT_STREQ(ec.category().name(), "orgscim.oidc");
        EXPECT_EQ(ec.value(), static_cast<int>(e));
        EXPECT_FALSE(ec.message().empty());
        EXPECT_NE(ec.message(), "unknown oidc error");
        EXPECT_TRUE(messages.insert(ec.message()).second) << "duplicate message";
        const int s = http_status(e);
        EXPECT_TRUE(s == 400 || s == 401 || s == 403 || s == 503) << s;
        if (s == 503) {
            EXPECT_TRUE(bearer_error(e).empty());
        } else {
            EXPECT_FALSE(bearer_error(e).empty());
        }
    }
}

TEST(OidcError, StatusClasses) {
    EXPECT_EQ(http_status(errc::empty_token), 400);
    EXPECT_EQ(bearer_error(errc::empty_token), "invalid_request");
    EXPECT_EQ(http_status(errc::expired), 401);
    EXPECT_EQ(bearer_error(errc::bad_signature), "invalid_token");
    EXPECT_EQ(http_status(errc::insufficient_scope), 403);
    EXPECT_EQ(bearer_error(errc::insufficient_scope), "insufficient_scope");
    EXPECT_EQ(http_status(errc::keys_unavailable), 503);
}

TEST(OidcError, ResultValueThrowsSystemError) {
    result<int> r = errc::expired;
    EXPECT_THROW((void)r.value(), boost::system::system_error);
    boost::system::error_code ec = errc::unknown_kid;
    EXPECT_EQ(ec, make_error_code(errc::unknown_kid));
}

}  // namespace
}  // namespace orgscim::oidc
