#include "core/strings.hpp"

#include <gtest/gtest.h>

using namespace ailab::core;

TEST(Strings, SplitKeepsOrSkipsEmptyParts) {
    EXPECT_EQ(split("a//b", '/'), (std::vector<std::string_view>{"a", "", "b"}));
    EXPECT_EQ(split("a//b", '/', EmptyParts::skip), (std::vector<std::string_view>{"a", "b"}));
    EXPECT_EQ(split("1,", ','), (std::vector<std::string_view>{"1", ""}));
}

TEST(Strings, Utf8SequencesAreStrict) {
    EXPECT_EQ(utf8_sequence_length("a"), 1u);
    EXPECT_EQ(utf8_sequence_length("\xc3\xa9x"), 2u);         // é
    EXPECT_EQ(utf8_sequence_length("\xe2\x82\xac"), 3u);      // €
    EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98\x80"), 4u);  // an emoji
    EXPECT_EQ(utf8_sequence_length("\xf4\x8f\xbf\xbf"), 4u);  // U+10FFFF, the last one
    // Bad input: empty, a lone continuation byte, Latin-1, a cut sequence, overlong forms, a
    // surrogate, past U+10FFFF, a continuation that is not one.
    EXPECT_EQ(utf8_sequence_length(""), 0u);
    EXPECT_EQ(utf8_sequence_length("\x80"), 0u);
    EXPECT_EQ(utf8_sequence_length("\xe9 "), 0u);
    EXPECT_EQ(utf8_sequence_length("\xe2\x82"), 0u);
    EXPECT_EQ(utf8_sequence_length("\xc0\xaf"), 0u);
    EXPECT_EQ(utf8_sequence_length("\xe0\x80\xaf"), 0u);
    EXPECT_EQ(utf8_sequence_length("\xed\xa0\x80"), 0u);
    EXPECT_EQ(utf8_sequence_length("\xf4\x90\x80\x80"), 0u);
    EXPECT_EQ(utf8_sequence_length("\xc3("), 0u);
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac"));
    EXPECT_FALSE(is_valid_utf8("caf\xe9"));
    EXPECT_FALSE(is_valid_utf8("ok\xe2\x82"));
}

TEST(Strings, VariableNamesAreShellStyle) {
    for (const char* name : {"A", "_", "lr", "LR_2", "_x9"}) EXPECT_TRUE(is_variable_name(name)) << name;
    for (const char* name : {"", "1a", "a-b", "a b", "a=b", "\xc3\xa9"}) EXPECT_FALSE(is_variable_name(name)) << name;
}
