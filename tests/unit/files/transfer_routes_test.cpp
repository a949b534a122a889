// The transfer routes through Router::dispatch (the socket side of streaming is tested in
// tests/unit/net/stream_response_test.cpp). Bad input it tries: "..", absolute paths and
// backslashes in `path`, an unknown and a malformed root, no token, a link out of the root as the
// folder to archive, an upload over files_max_upload_mib, an upload at the wrong offset, a
// read-only path, an empty search.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "files/transfer_routes.hpp"
#include "net/http.hpp"
#include "test_tree.hpp"

using namespace ailab;
using namespace ailab::files;
using namespace ailab::files::testing;

namespace {

class TransferRoutesTest : public ::testing::Test {
protected:
    void SetUp() override {
        tree.write("data/a.txt", "alpha torch\n");
        roots = std::make_unique<TestRoots>(tree.root());
        TransferSettings settings;
        settings.max_upload_bytes = 1 << 20;
        register_transfer_routes(router, *roots, settings);
    }
    net::Response call(net::Method method, const std::string& path, std::map<std::string, std::string> query,
                       std::string body = "", bool with_token = true) {
        net::Request request;
        request.method = method;
        request.path = path;
        request.query = std::move(query);
        request.body = std::move(body);
        if (with_token) request.headers.emplace_back("authorization", "Bearer good");
        return router.dispatch(request, [](std::string_view token) -> std::optional<std::string> {
            if (token == "good") return std::string("alice");
            return std::nullopt;
        });
    }
    static std::string drain(net::Response& response) {
        std::string all;
        while (auto chunk = response.producer()) all += *chunk;
        return all;
    }
    TestTree tree;
    std::unique_ptr<TestRoots> roots;
    net::Router router;
};

boost::json::object json_of(const net::Response& response) { return boost::json::parse(response.body).as_object(); }

}  // namespace

TEST_F(TransferRoutesTest, EveryRouteNeedsAToken) {
    EXPECT_EQ(call(net::Method::get, "/api/v1/files/archive", {{"root", "project:p"}}, "", false).status, 401);
    EXPECT_EQ(call(net::Method::post, "/api/v1/files/upload", {{"root", "project:p"}}, "", false).status, 401);
    EXPECT_EQ(call(net::Method::get, "/api/v1/files/search", {{"root", "project:p"}}, "", false).status, 401);
}

TEST_F(TransferRoutesTest, ArchiveStreamsAGzipWithADownloadName) {
    auto response = call(net::Method::get, "/api/v1/files/archive", {{"root", "project:p"}, {"path", "data"}});
    ASSERT_EQ(response.status, 200) << response.body;
    ASSERT_TRUE(response.producer);
    EXPECT_EQ(response.content_type, "application/gzip");
    EXPECT_EQ(response.header("Content-Disposition"), "attachment; filename=\"data.tar.gz\"");
    const auto bytes = drain(response);
    ASSERT_GT(bytes.size(), 20u);
    EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);  // the gzip magic
    EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
    auto whole_root = call(net::Method::get, "/api/v1/files/archive", {{"root", "project:p"}});
    EXPECT_EQ(whole_root.header("Content-Disposition"), "attachment; filename=\"p.tar.gz\"");
}

TEST_F(TransferRoutesTest, BadPathsAndRootsGetClearErrors) {
    fs::create_directory_symlink(tree.outside(), tree.root() / "escape");
    const std::vector<std::pair<std::string, int>> cases{{"../outside", 400}, {"data/../..", 400}, {"/etc", 400},
                                                         {"data\\a", 400},    {"./data", 400},     {"escape", 403},
                                                         {"nothing", 404},    {"data/a.txt", 400}};
    for (const auto& [path, status] : cases) {
        auto response = call(net::Method::get, "/api/v1/files/archive", {{"root", "project:p"}, {"path", path}});
        EXPECT_EQ(response.status, status) << path << ": " << response.body;
        EXPECT_FALSE(response.producer) << path;
        EXPECT_TRUE(json_of(response).contains("error")) << path;
    }
    EXPECT_EQ(call(net::Method::get, "/api/v1/files/archive", {{"root", "project:nope"}}).status, 404);
    EXPECT_EQ(call(net::Method::get, "/api/v1/files/archive", {{"root", "bad"}}).status, 400);
    EXPECT_EQ(call(net::Method::get, "/api/v1/files/archive", {}).status, 400);
    EXPECT_EQ(
        call(net::Method::get, "/api/v1/files/search", {{"root", "project:p"}, {"q", "x"}, {"path", "escape"}}).status,
        403);
}

TEST_F(TransferRoutesTest, UploadAnswersProgressConflictsAndTheLimit) {
    const auto up = [&](const std::string& path, const std::string& offset, const std::string& total,
                        std::string body) {
        return call(net::Method::post, "/api/v1/files/upload",
                    {{"root", "project:p"}, {"path", path}, {"offset", offset}, {"total", total}}, std::move(body));
    };
    auto first = up("data/u.txt", "0", "6", "abc");
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(json_of(first).at("received").as_int64(), 3);
    EXPECT_FALSE(json_of(first).at("complete").as_bool());
    // Bad input: an offset the server does not hold: 409 names what it holds.
    auto wrong = up("data/u.txt", "0", "6", "abc");
    EXPECT_EQ(wrong.status, 409);
    EXPECT_EQ(json_of(wrong).at("received").as_int64(), 3);
    EXPECT_TRUE(json_of(wrong).contains("error"));
    auto done = up("data/u.txt", "3", "6", "def");
    EXPECT_EQ(json_of(done).at("complete").as_bool(), true);
    EXPECT_EQ(tree.read(tree.root() / "data/u.txt"), "abcdef");
    // Bad input: onto an existing file; over the limit; a read-only path; a bad number; "..".
    EXPECT_EQ(up("data/u.txt", "0", "1", "x").status, 409);
    auto over = up("data/huge", "0", std::to_string((1 << 20) + 1), "x");
    EXPECT_EQ(over.status, 413);
    EXPECT_NE(over.body.find("files_max_upload_mib"), std::string::npos);
    EXPECT_FALSE(fs::exists(tree.root() / "data/.ailab-upload-huge"));
    EXPECT_EQ(up("locked.txt", "0", "1", "x").status, 403);
    EXPECT_EQ(up("data/n", "-1", "1", "x").status, 400);
    EXPECT_EQ(up("../n", "0", "1", "x").status, 400);
    EXPECT_EQ(up("", "0", "1", "x").status, 400);
}

TEST_F(TransferRoutesTest, SearchAnswersMatches) {
    auto response = call(net::Method::get, "/api/v1/files/search", {{"root", "project:p"}, {"q", "TORCH"}});
    ASSERT_EQ(response.status, 200) << response.body;
    const auto body = json_of(response);
    ASSERT_EQ(body.at("matches").as_array().size(), 1u);
    const auto& match = body.at("matches").as_array()[0].as_object();
    EXPECT_EQ(match.at("path").as_string(), "data/a.txt");
    EXPECT_EQ(match.at("line").as_int64(), 1);
    EXPECT_EQ(match.at("text").as_string(), "alpha torch");
    EXPECT_FALSE(body.at("truncated").as_bool());
    EXPECT_EQ(call(net::Method::get, "/api/v1/files/search", {{"root", "project:p"}, {"q", ""}}).status, 400);
    EXPECT_EQ(
        call(net::Method::get, "/api/v1/files/search", {{"root", "project:p"}, {"q", "a"}, {"limit", "0"}}).status,
        400);
}
