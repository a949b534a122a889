// Request paths: the one check every path passes before a handler sees it, with the traversal
// spellings of issue #8 (tests/fuzz/request_path.cpp fuzzes the same functions).
#include <gtest/gtest.h>

#include <string>

#include "net/http.hpp"

using namespace ailab::net;

TEST(RequestPath, PlainAndEscapedPathsAreDecoded) {
    EXPECT_EQ(decode_request_path("/"), "/");
    EXPECT_EQ(decode_request_path("/api/v1/runs/abc%20def/metrics"), "/api/v1/runs/abc def/metrics");
    EXPECT_EQ(decode_request_path("/a%2fb"), "/a/b");  // an escaped slash is a slash, checked like one
    EXPECT_EQ(decode_request_path("/.hidden/..x/.../x"), "/.hidden/..x/.../x");
}

// Found by tests/fuzz/request_path.cpp (corpus/request_path/double_slash): "//etc/passwd" passed,
// and its remainder "/etc/passwd" joined to a root with std::filesystem is /etc/passwd itself.
TEST(RequestPath, RepeatedSlashesBecomeOne) {
    EXPECT_EQ(decode_request_path("//etc/passwd"), "/etc/passwd");
    EXPECT_EQ(decode_request_path("/%2f%2fetc"), "/etc");
    EXPECT_EQ(decode_request_path("//a//b/"), "/a/b/");
    EXPECT_EQ(decode_request_path("//"), "/");
    EXPECT_FALSE(decode_request_path("//..//x").has_value());
}

TEST(RequestPath, DotSegmentsAreRefusedInEverySpelling) {
    for (const char* path :
         {"/..", "/../etc/passwd", "/a/b/../../../etc/passwd", "/a/./b", "/a/..", "/a/.", "/%2e%2e/etc/passwd",
          "/%2E%2E%2Fetc%2Fpasswd", "/.%2e/x", "/%2e/x", "/..%2f..%2fetc", "/a/%2e%2e%2f%2e%2e/etc"}) {
        EXPECT_FALSE(decode_request_path(path).has_value()) << path;
    }
}

TEST(RequestPath, NulBadEscapesAndRelativePathsAreRefused) {
    for (const char* path : {"", "api/v1/runs", "%2fetc", "/a%00.html", "/.%00./x", "/%", "/%4", "/%zz"}) {
        EXPECT_FALSE(decode_request_path(path).has_value()) << path;
    }
}

// Spellings that are not dot segments on Linux stay literal names: the handlers see them as such,
// and no second decoding happens anywhere.
TEST(RequestPath, OverlongUtf8DoubleEncodingAndBackslashesStayLiteral) {
    EXPECT_EQ(decode_request_path("/%c0%ae%c0%ae/etc"), std::string("/\xC0\xAE\xC0\xAE/etc"));
    EXPECT_EQ(decode_request_path("/%252e%252e/etc"), "/%2e%2e/etc");
    EXPECT_EQ(decode_request_path("/..\\..\\x"), "/..\\..\\x");
    EXPECT_EQ(decode_request_path("/..;/x"), "/..;/x");
}

// Found by tests/fuzz/request_path.cpp (corpus/request_path/raw_nul): %00 was refused, a raw NUL
// byte passed through into the decoded path and query values.
TEST(PercentDecode, RawNulIsRefusedLikeAnEscapedOne) {
    using namespace std::string_literals;
    EXPECT_FALSE(percent_decode("/a\0/b"s, DecodeMode::path).has_value());
    EXPECT_FALSE(percent_decode("a\0b"s, DecodeMode::query).has_value());
    EXPECT_FALSE(decode_request_path("/..\0/x"s).has_value());
    EXPECT_FALSE(parse_query("a=x\0y&b=1"s).has_value());
    EXPECT_FALSE(parse_query("b=1&\0=y"s).has_value());
}
