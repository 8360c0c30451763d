#include <gtest/gtest.h>

#include <orgscim/oidc/base64url.hpp>

namespace orgscim::oidc {
namespace {

TEST(Base64url, RoundTripsEveryLength) {
    std::string bytes;
    for (int i = 0; i < 70; ++i) {
        const auto enc = base64url_encode(bytes);
        EXPECT_EQ(enc.find('='), std::string::npos);
        auto dec = base64url_decode(enc);
        ASSERT_TRUE(dec) << enc;
        EXPECT_EQ(*dec, bytes);
        bytes.push_back(static_cast<char>(i * 37 + 200));
    }
}

TEST(Base64url, KnownVectors) {
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
    EXPECT_EQ(base64url_decode("eyJ9"), std::string("{\"}"));
    EXPECT_EQ(base64url_decode(""), std::string());
}

TEST(Base64url, RejectsEverythingNonCanonical) {
    for (const char* bad : {"eyJ9=", "ey==", "+/8", "-_8=", "a", "abcde", "ab c", "ab\n", "ab.c",
                            "-_9",  // unused low bits set
                            "QR", "QUF", "\x80QUE", "QU\xff"}) {
        EXPECT_FALSE(base64url_decode(bad)) << bad;
    }
    EXPECT_TRUE(base64url_decode("QQ"));
    EXPECT_TRUE(base64url_decode("QUE"));
}

}  // namespace
}  // namespace orgscim::oidc
