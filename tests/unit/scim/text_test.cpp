#include <gtest/gtest.h>

#include <orgscim/scim/text.hpp>

namespace orgscim::scim {
namespace {

TEST(FoldCase, Ascii) {
    EXPECT_EQ(fold_case("Bjensen@Example.COM"), "bjensen@example.com");
    EXPECT_EQ(fold_case(""), "");
    EXPECT_EQ(fold_case("0123 _-[]{}"), "0123 _-[]{}");
}

TEST(FoldCase, Latin1AndExtendedA) {
    EXPECT_EQ(fold_case("ÉCOLE"), "école");
    EXPECT_EQ(fold_case("ÀÖØÞ"), "àöøþ");
    EXPECT_EQ(fold_case("×"), "×");  // multiplication sign has no case
    EXPECT_EQ(fold_case("µ"), "μ");  // micro sign folds to Greek mu
    EXPECT_EQ(fold_case("ß"), "ß");  // simple folding keeps sharp s
    EXPECT_EQ(fold_case("ĀĂĄĆČĎŁŃŇŐŒŘŚŠŤŮŰŸŹŻŽ"), "āăąćčďłńňőœřśšťůűÿźżž");
    EXPECT_EQ(fold_case("ſ"), "s");
    EXPECT_EQ(fold_case("İ"), "İ");  // only a full/Turkic folding exists
}

TEST(FoldCase, Greek) {
    EXPECT_EQ(fold_case("ΣΊΣΥΦΟΣ"), "σίσυφοσ");
    EXPECT_EQ(fold_case("σίσυφος"), "σίσυφοσ");  // final sigma folds to sigma
    EXPECT_EQ(fold_case("ΆΈΉΊΌΎΏ"), "άέήίόύώ");
    EXPECT_EQ(fold_case("ΑΩ"), "αω");
}

TEST(FoldCase, Cyrillic) {
    EXPECT_EQ(fold_case("МОСКВА"), "москва");
    EXPECT_EQ(fold_case("ЁЂЏ"), "ёђџ");
    EXPECT_EQ(fold_case("ѢҐӁӐԀ"), "ѣґӂӑԁ");
    EXPECT_EQ(fold_case("Ӏ"), "ӏ");
}

TEST(FoldCase, OtherCoveredRanges) {
    EXPECT_EQ(fold_case("ẞ"), "ß");
    EXPECT_EQ(fold_case("ḀỸ"), "ḁỹ");
    EXPECT_EQ(fold_case("ԱՖ"), "աֆ");
    EXPECT_EQ(fold_case("ＡＺ"), "ａｚ");
    EXPECT_EQ(fold_case("K"), "k");  // Kelvin sign
    EXPECT_EQ(fold_case("ȘTEFAN ȚEPEȘ"), "ștefan țepeș");
    EXPECT_EQ(fold_case("ǄǅǆǍǞ"), "ǆǆǆǎǟ");
    EXPECT_EQ(fold_case("ƁƂ"), "ƁƂ");  // irregular Latin Extended-B is kept
    EXPECT_EQ(fold_case("ႠჅ"), "ⴀⴥ");
    EXPECT_EQ(fold_case("ⅫⒶⰀ𐐀"), "ⅻⓐⰰ𐐨");
    EXPECT_EQ(fold_case("Ꙁ"), "ꙁ");
    EXPECT_EQ(fold_case("日本語"), "日本語");
    EXPECT_EQ(fold_case("😀"), "😀");
}

TEST(FoldCase, InvalidUtf8IsCopiedNotCrashing) {
    std::string bad = "A\xC3";  // truncated sequence
    EXPECT_EQ(fold_case(bad), "a\xC3");
    EXPECT_EQ(fold_case("\xFF\xFE"), "\xFF\xFE");
    EXPECT_EQ(fold_case("\xED\xA0\x80"), "\xED\xA0\x80");  // surrogate
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    EXPECT_EQ(fold_case(all).size(), all.size());
}

TEST(FoldEquals, AgreesWithFoldCase) {
    EXPECT_TRUE(fold_equals("ÉCOLE", "école"));
    EXPECT_TRUE(fold_equals("BJensen", "bjensen"));
    EXPECT_TRUE(fold_equals("ſ", "S"));
    EXPECT_TRUE(fold_equals("ΣΊΣΥΦΟΣ", "σίσυφος"));
    EXPECT_FALSE(fold_equals("abc", "abd"));
    EXPECT_FALSE(fold_equals("abc", "ab"));
    EXPECT_FALSE(fold_equals("\xC3", "\xC3\xA9"));
    EXPECT_TRUE(fold_equals("", ""));
}

TEST(Utf8, Validation) {
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("école 日本 😀"));
    EXPECT_FALSE(is_valid_utf8("\xC3"));
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\x80"));
}

TEST(DateTime, ParsesRfc3339) {
    EXPECT_EQ(parse_date_time("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_date_time("1970-01-01T00:00:01.5Z"), 1500000);
    EXPECT_EQ(parse_date_time("2011-05-13T04:42:34Z"), 1305261754LL * 1000000);
    EXPECT_EQ(parse_date_time("2011-05-13T06:42:34+02:00"), 1305261754LL * 1000000);
    EXPECT_EQ(parse_date_time("2011-05-12T23:42:34-05:00"), 1305261754LL * 1000000);
    EXPECT_EQ(parse_date_time("2011-05-13T04:42:34.123456789Z"), 1305261754123456LL);
    EXPECT_EQ(parse_date_time("2024-02-29T00:00:00Z"), 1709164800LL * 1000000);
    EXPECT_FALSE(parse_date_time("2023-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_date_time("2011-05-13"));
    EXPECT_FALSE(parse_date_time("2011-05-13T04:42:34"));
    EXPECT_FALSE(parse_date_time("2011-13-13T04:42:34Z"));
    EXPECT_FALSE(parse_date_time("2011-05-13T04:42:34.Z"));
    EXPECT_FALSE(parse_date_time("2011-05-13T04:42:34Zjunk"));
    EXPECT_FALSE(parse_date_time(""));
}

}  // namespace
}  // namespace orgscim::scim
