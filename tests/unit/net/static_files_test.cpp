#include <gtest/gtest.h>

#include "net/static_files.hpp"

using namespace ailab::net;

namespace {
const unsigned char index_bytes[] = "<html>hello</html>";
const unsigned char index_gzip[] = "GZIPPED";
const unsigned char script_bytes[] = "console.log(1)";
const EmbeddedAsset table[] = {
    {"/assets/index-AbCdEf12.js", "text/javascript; charset=utf-8", script_bytes, sizeof script_bytes - 1, nullptr, 0,
     "\"js1\"", true},
    {"/index.html", "text/html; charset=utf-8", index_bytes, sizeof index_bytes - 1, index_gzip, sizeof index_gzip - 1,
     "\"idx1\"", false},
};

Request get(std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request;
    request.path = std::move(path);
    request.headers = std::move(headers);
    return request;
}
}  // namespace

TEST(StaticFiles, ServesIndexWithEtagAndNoCache) {
    auto response = serve_static(get("/"), table);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "<html>hello</html>");
    EXPECT_EQ(response->header("ETag"), "\"idx1\"");
    EXPECT_EQ(response->header("Cache-Control"), "no-cache");
    EXPECT_EQ(response->header("Content-Encoding"), "");
    EXPECT_FALSE(response->header("Content-Security-Policy").empty());
}

TEST(StaticFiles, GzipWhenAcceptedIdentityOtherwise) {
    auto gz = serve_static(get("/index.html", {{"accept-encoding", "br, gzip"}}), table);
    EXPECT_EQ(gz->header("Content-Encoding"), "gzip");
    EXPECT_EQ(gz->body, "GZIPPED");
    EXPECT_EQ(gz->header("Vary"), "Accept-Encoding");
    auto refused = serve_static(get("/index.html", {{"accept-encoding", "gzip;q=0"}}), table);
    EXPECT_EQ(refused->header("Content-Encoding"), "");
    EXPECT_EQ(refused->body, "<html>hello</html>");
}

TEST(StaticFiles, NotModifiedOnMatchingEtag) {
    auto response = serve_static(get("/index.html", {{"if-none-match", "\"idx1\""}}), table);
    EXPECT_EQ(response->status, 304);
    EXPECT_TRUE(response->body.empty());
    auto changed = serve_static(get("/index.html", {{"if-none-match", "\"old\""}}), table);
    EXPECT_EQ(changed->status, 200);
}

TEST(StaticFiles, HashedAssetsAreImmutableAndUnknownPathsAbsent) {
    auto script = serve_static(get("/assets/index-AbCdEf12.js"), table);
    EXPECT_EQ(script->header("Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_FALSE(serve_static(get("/missing.js"), table).has_value());
    EXPECT_FALSE(serve_static(get("/assets/../index.html"), table).has_value());
}

TEST(StaticFiles, AcceptEncodingParsing) {
    EXPECT_TRUE(accepts_gzip("gzip, deflate"));
    EXPECT_TRUE(accepts_gzip("deflate, gzip;q=0.5"));
    EXPECT_TRUE(accepts_gzip("*"));
    EXPECT_FALSE(accepts_gzip("identity"));
    EXPECT_FALSE(accepts_gzip("gzip;q=0"));
    EXPECT_FALSE(accepts_gzip(""));
}
