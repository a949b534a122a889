// The transfer routes end to end through the real binary: a folder's archive (checked with GNU
// tar), resumable uploads, search. Bad input it tries: a link out of the root inside the archived
// folder (stored as a link, its target never read) and as the folder itself (403), a FIFO in the
// folder (skipped, the server does not block), "..", %2e%2e and absolute paths, unknown and
// malformed roots, no token, an upload cut off mid-chunk by a dropped connection and resumed, a
// chunk at the wrong offset (409 with `received`), an upload over files_max_upload_mib (413 naming
// it), a chunk over the body limit, an upload onto an existing file.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.hpp"

namespace ailab::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

class FilesTransfer : public ::testing::Test {
protected:
    void SetUp() override {
        project_ = tree_.path() / "project";
        outside_ = tree_.path() / "outside";
        write_text(project_ / "data/a.txt", "alpha torch\n");
        write_text(project_ / "data/sub/b.txt", "beta\n");
        write_text(outside_ / "secret.txt", "TOP-SECRET torch\n");
        fs::create_symlink(outside_ / "secret.txt", project_ / "data/link-out");
        fs::create_symlink("sub/b.txt", project_ / "data/link-in");
        fs::create_directory_symlink(outside_, project_ / "escape");
        ASSERT_EQ(::mkfifo((project_ / "data/pipe").c_str(), 0600), 0);
        server_ = std::make_unique<ServerProcess>(json::object{
            {"projects", json::object{{"p", project_.string()}}},
            {"files_max_upload_mib", 1},
        });
        server_->start();
        token_ = server_->login();
    }
    HttpResult call(const std::string& method, const std::string& target, const std::string& body = "",
                    bool with_token = true) const {
        HttpOptions options;
        if (with_token) options.token = token_;
        options.timeout = 20s;
        return http_request(server_->port(), method, target, body, options);
    }
    HttpResult upload(const std::string& path, std::uint64_t offset, std::uint64_t total, const std::string& bytes) {
        return call("POST",
                    "/api/v1/files/upload?root=project:p&path=" + path + "&offset=" + std::to_string(offset) +
                        "&total=" + std::to_string(total),
                    bytes);
    }

    TempDir tree_;
    fs::path project_;
    fs::path outside_;
    std::unique_ptr<ServerProcess> server_;
    std::string token_;
};

}  // namespace

TEST_F(FilesTransfer, ArchiveOfAFolderExtractsWithGnuTar) {
    const auto answer = call("GET", "/api/v1/files/archive?root=project:p&path=data");
    ASSERT_EQ(answer.status, 200) << answer.body << answer.error;
    EXPECT_EQ(answer.header("transfer-encoding"), "chunked");
    EXPECT_EQ(answer.header("content-type"), "application/gzip");
    EXPECT_EQ(answer.header("content-disposition"), "attachment; filename=\"data.tar.gz\"");
    const auto file = tree_.path() / "data.tar.gz";
    std::ofstream(file, std::ios::binary) << answer.body;
    const auto into = tree_.path() / "extracted";
    fs::create_directories(into);
    const auto extract = run_program({"tar", "-xzf", file.string(), "-C", into.string()});
    ASSERT_EQ(extract.exit_code, 0) << extract.output;
    EXPECT_EQ(slurp(into / "data/a.txt"), "alpha torch\n");
    EXPECT_EQ(slurp(into / "data/sub/b.txt"), "beta\n");
    EXPECT_EQ(fs::read_symlink(into / "data/link-in"), "sub/b.txt");
    // The link out of the root is a link in the archive: its target's content never left.
    EXPECT_EQ(fs::read_symlink(into / "data/link-out"), outside_ / "secret.txt");
    const auto raw = run_program({"gzip", "-dc", file.string()});
    EXPECT_EQ(raw.output.find("TOP-SECRET"), std::string::npos);
    EXPECT_FALSE(fs::exists(into / "data/pipe"));  // FIFO skipped (and the server did not block on it)
    // The root itself, by its project name.
    const auto whole = call("GET", "/api/v1/files/archive?root=project:p");
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.header("content-disposition"), "attachment; filename=\"p.tar.gz\"");
}

TEST_F(FilesTransfer, ArchiveRefusesBadPathsAndRoots) {
    const std::vector<std::pair<std::string, int>> cases{
        {"root=project:p&path=..", 400},
        {"root=project:p&path=%2e%2e", 400},
        {"root=project:p&path=data/../..", 400},
        {"root=project:p&path=/etc", 400},
        {"root=project:p&path=escape", 403},
        {"root=project:p&path=data/a.txt", 400},
        {"root=project:p&path=missing", 404},
        {"root=project:nope", 404},
        {"root=nonsense", 400},
    };
    for (const auto& [query, status] : cases) {
        const auto answer = call("GET", "/api/v1/files/archive?" + query);
        EXPECT_EQ(answer.status, status) << query << ": " << answer.body;
        EXPECT_TRUE(answer.json().as_object().contains("error")) << query;
    }
    EXPECT_EQ(call("GET", "/api/v1/files/archive?root=project:p", "", false).status, 401);
}

TEST_F(FilesTransfer, AnUploadResumesAfterADroppedConnection) {
    const std::string content = "0123456789abcdefghij";
    auto first = upload("data/up.bin", 0, content.size(), content.substr(0, 8));
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.json().at("received").as_int64(), 8);
    // The connection drops in the middle of the second chunk: the server stores none of it.
    const std::string cut =
        "POST /api/v1/files/upload?root=project:p&path=data/up.bin&offset=8&total=20 HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\nAuthorization: Bearer " +
        token_ + "\r\nContent-Length: 12\r\n\r\n89ab";
    raw_exchange(server_->port(), cut, 300ms);
    EXPECT_EQ(fs::file_size(project_ / "data/.ailab-upload-up.bin"), 8u);
    // The client lost track and starts over: 409 says where to resume.
    auto again = upload("data/up.bin", 0, content.size(), content.substr(0, 8));
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.json().at("received").as_int64(), 8);
    auto rest = upload("data/up.bin", 8, content.size(), content.substr(8));
    ASSERT_EQ(rest.status, 200) << rest.body;
    EXPECT_TRUE(rest.json().at("complete").as_bool());
    EXPECT_EQ(slurp(project_ / "data/up.bin"), content);
    EXPECT_FALSE(fs::exists(project_ / "data/.ailab-upload-up.bin"));
    // The file is there now: an upload onto it is refused, and it stays as it was.
    EXPECT_EQ(upload("data/up.bin", 0, 3, "new").status, 409);
    EXPECT_EQ(slurp(project_ / "data/up.bin"), content);
}

TEST_F(FilesTransfer, UploadsOverTheLimitOrOutOfTheRootAreRefused) {
    const auto over = upload("data/big.bin", 0, (1u << 20) + 1, "x");
    EXPECT_EQ(over.status, 413);
    EXPECT_NE(over.body.find("files_max_upload_mib"), std::string::npos) << over.body;
    EXPECT_FALSE(fs::exists(project_ / "data/.ailab-upload-big.bin"));
    // A chunk over the server's 16 MiB body limit: refused from its Content-Length, before the body.
    const auto huge = raw_exchange(server_->port(),
                                   "POST /api/v1/files/upload?root=project:p&path=data/huge.bin&offset=0&total=100 "
                                   "HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                                       token_ + "\r\nContent-Length: " + std::to_string((16u << 20) + 1) + "\r\n\r\n");
    EXPECT_EQ(huge.rfind("HTTP/1.1 413", 0), 0u) << huge;
    EXPECT_FALSE(fs::exists(project_ / "data/.ailab-upload-huge.bin"));
    EXPECT_EQ(upload("escape/x.bin", 0, 1, "x").status, 403);
    EXPECT_TRUE(fs::is_regular_file(outside_ / "secret.txt"));
    EXPECT_FALSE(fs::exists(outside_ / "x.bin"));
    EXPECT_FALSE(fs::exists(outside_ / ".ailab-upload-x.bin"));
    EXPECT_EQ(upload("../x.bin", 0, 1, "x").status, 400);
    EXPECT_EQ(call("POST", "/api/v1/files/upload?root=project:p&path=x&offset=0&total=1", "x", false).status, 401);
}

TEST_F(FilesTransfer, SearchFindsNamesAndTextButNeverFollowsLinksOut) {
    const auto answer = call("GET", "/api/v1/files/search?root=project:p&q=torch");
    ASSERT_EQ(answer.status, 200) << answer.body;
    const auto document = answer.json();
    const auto& body = document.as_object();
    const auto& matches = body.at("matches").as_array();
    ASSERT_EQ(matches.size(), 1u) << answer.body;  // not secret.txt behind link-out or escape/
    EXPECT_EQ(matches[0].at("path").as_string(), "data/a.txt");
    EXPECT_EQ(matches[0].at("line").as_int64(), 1);
    EXPECT_FALSE(body.at("truncated").as_bool());
    const auto names = call("GET", "/api/v1/files/search?root=project:p&q=LINK&path=data");
    ASSERT_EQ(names.status, 200);
    EXPECT_EQ(names.json().at("matches").as_array().size(), 2u) << names.body;
    EXPECT_EQ(call("GET", "/api/v1/files/search?root=project:p&q=x&path=escape").status, 403);
    EXPECT_EQ(call("GET", "/api/v1/files/search?root=project:p&q=x&path=..").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/files/search?root=project:p").status, 400);
}

}  // namespace ailab::testing
