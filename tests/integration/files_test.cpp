// Projects and files end to end through the real binary: the traversal corpus against every file
// endpoint, links in and out of the root, a link swapped while requests run, 412 on concurrent
// saves, atomic saves under a concurrent writer and reader, trash and restore, a large file by
// Range, project creation and refusal, run roots, unknown and malformed roots.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "../support/traversal_tree.hpp"
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

// Every name, type and content below `folder` (links not followed): what "nothing changed" compares.
std::map<std::string, std::string> tree_state(const fs::path& folder) {
    std::map<std::string, std::string> state;
    for (auto it = fs::recursive_directory_iterator(folder); it != fs::recursive_directory_iterator(); ++it) {
        const auto relative = fs::relative(it->path(), folder).string();
        if (it->is_symlink()) {
            state[relative] = "link:" + fs::read_symlink(it->path()).string();
        } else if (it->is_regular_file()) {
            state[relative] = "file:" + slurp(it->path());
        } else {
            state[relative] = "other";
        }
    }
    return state;
}

std::string encode(std::string_view text) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += digits[byte >> 4];
            out += digits[byte & 15];
        }
    }
    return out;
}

class FilesIntegration : public ::testing::Test {
protected:
    void SetUp() override {
        make_traversal_tree(tree_.path());
        write_text(tree_.path() / "jp/train.py", "print('train')\n");
        write_text(tree_.path() / "jp/lib/util.py", "x = 1\n");
        server_ = std::make_unique<ServerProcess>(
            json::object{{"projects", json::object{{"trav", (tree_.path() / "root").string()},
                                                   {"jp", (tree_.path() / "jp").string()}}}});
        server_->start();
        token_ = server_->login();
    }
    HttpResult call(const std::string& method, const std::string& target, const std::string& body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) const {
        HttpOptions options;
        options.token = token_;
        options.headers = std::move(headers);
        return http_request(server_->port(), method, target, body, options);
    }
    HttpResult post(const std::string& route, const json::object& body) const {
        return call("POST", "/api/v1/files/" + route, json::serialize(body));
    }
    std::string content_target(const std::string& root, const std::string& path_text) const {
        return "/api/v1/files/content?root=" + root + "&path=" + path_text;
    }
    fs::path root() const { return tree_.path() / "root"; }

    TempDir tree_;
    std::unique_ptr<ServerProcess> server_;
    std::string token_;
};

int expected_status(const std::string& kind) {
    if (kind == "ok") return 200;
    if (kind == "missing") return 404;
    if (kind == "outside" || kind == "special") return 403;
    return 400;  // folder, bad
}

TEST_F(FilesIntegration, TraversalCorpusAgainstEveryEndpoint) {
    const auto cases = load_traversal_cases(AILAB_TRAVERSAL_CASES);
    ASSERT_GE(cases.size(), 200u);
    const auto outside_before = tree_state(tree_.path() / "outside");
    const auto sibling_before = tree_state(tree_.path() / "rootsecret");
    auto no_secret = [](const HttpResult& result, const std::string& what) {
        EXPECT_EQ(result.body.find(outside_secret), std::string::npos) << what;
        EXPECT_LT(result.status, 500) << what << ": " << result.body;
        EXPECT_NE(result.status, 0) << what;
    };
    // Reads: each case's exact status.
    for (const auto& item : cases) {
        auto read = call("GET", content_target("project:trav", item.text));
        EXPECT_EQ(read.status, expected_status(item.kind)) << "content " << item.text << ": " << read.body;
        no_secret(read, "content " + item.text);
        auto listed = call("GET", "/api/v1/files/list?root=project:trav&path=" + item.text);
        if (item.kind == "bad" || item.kind == "outside") {
            EXPECT_EQ(listed.status, expected_status(item.kind)) << item.text;
        }
        if (item.kind == "folder") {
            EXPECT_EQ(listed.status, 200) << item.text;
        }
        no_secret(listed, "list " + item.text);
        // The transfer routes take the same path rules.
        auto archived = call("GET", "/api/v1/files/archive?root=project:trav&path=" + item.text);
        auto searched = call("GET", "/api/v1/files/search?root=project:trav&q=SECRET&path=" + item.text);
        for (const auto* answer : {&archived, &searched}) {
            if (item.kind == "bad" || item.kind == "outside") {
                EXPECT_EQ(answer->status, expected_status(item.kind)) << item.text << ": " << answer->body;
            }
            EXPECT_LT(answer->status, 500) << item.text << ": " << answer->body;
        }
        no_secret(searched, "search " + item.text);
    }
    // Changes: refused cases change nothing; none may touch anything outside.
    const auto root_before = tree_state(root());
    for (const auto& item : cases) {
        if (item.kind != "bad" && item.kind != "outside" && item.kind != "special") continue;
        const auto decoded = decode_query_value(item.text);
        std::vector<HttpResult> answers;
        answers.push_back(
            call("PUT", content_target("project:trav", item.text), "overwritten", {{"If-None-Match", "*"}}));
        answers.push_back(call("PUT", content_target("project:trav", item.text), "overwritten",
                               {{"If-Match", "\"00000000000000000000000000000000\""}}));
        if (decoded) {
            answers.push_back(post("mkdir", {{"root", "project:trav"}, {"path", *decoded + "/made"}}));
            answers.push_back(post("move", {{"root", "project:trav"}, {"from", "file.txt"}, {"to", *decoded}}));
            answers.push_back(post("restore", {{"root", "project:trav"}, {"trash_path", *decoded}}));
            if (item.kind == "bad") {
                answers.push_back(post("move", {{"root", "project:trav"}, {"from", *decoded}, {"to", "x"}}));
                answers.push_back(post("trash", {{"root", "project:trav"}, {"path", *decoded}}));
            }
        }
        for (const auto& answer : answers) {
            no_secret(answer, "change " + item.text);
            EXPECT_GE(answer.status, 400) << "a change was accepted for " << item.text << ": " << answer.body;
            if (item.kind == "bad") {
                EXPECT_EQ(answer.status, 400) << item.text << ": " << answer.body;
            }
        }
    }
    EXPECT_EQ(tree_state(root()), root_before);
    EXPECT_EQ(tree_state(tree_.path() / "outside"), outside_before);
    EXPECT_EQ(tree_state(tree_.path() / "rootsecret"), sibling_before);
    // Uploads: refused paths are 400; none lands outside.
    for (const auto& item : cases) {
        if (item.kind != "bad" && item.kind != "outside" && item.kind != "special") continue;
        auto uploaded =
            call("POST", "/api/v1/files/upload?root=project:trav&offset=0&total=5&path=" + item.text, "hello");
        EXPECT_GE(uploaded.status, 400) << item.text << ": " << uploaded.body;
        EXPECT_LT(uploaded.status, 500) << item.text << ": " << uploaded.body;
        if (item.kind == "bad") {
            EXPECT_EQ(uploaded.status, 400) << item.text << ": " << uploaded.body;
        }
    }
    EXPECT_EQ(tree_state(tree_.path() / "outside"), outside_before);
    EXPECT_EQ(tree_state(tree_.path() / "rootsecret"), sibling_before);
    // Moving or trashing a link that points outside moves the link, never what it points to.
    ASSERT_EQ(post("trash", {{"root", "project:trav"}, {"path", "link_dir_out"}}).status, 200);
    EXPECT_EQ(tree_state(tree_.path() / "outside"), outside_before);
}

TEST_F(FilesIntegration, ListsSortedPagedAndFlagged) {
    auto listed = call("GET", "/api/v1/files/list?root=project:trav&path=");
    ASSERT_EQ(listed.status, 200) << listed.body;
    const auto body = listed.json();
    const auto& entries = body.at("entries").as_array();
    ASSERT_FALSE(entries.empty());
    EXPECT_EQ(entries[0].at("type").as_string(), "dir");  // folders first
    bool saw_link_out = false;
    for (const auto& entry : entries)
        if (entry.at("name").as_string() == "link_out") {
            saw_link_out = true;
            EXPECT_EQ(entry.at("type").as_string(), "symlink");
            EXPECT_EQ(entry.at("target_type").as_string(), "outside");
        }
    EXPECT_TRUE(saw_link_out);
    fs::create_directories(root() / "many");
    for (int i = 0; i < 5003; ++i) std::ofstream(root() / "many" / ("f" + std::to_string(10000 + i)));
    std::ofstream(root() / "many" / ".hidden");
    auto first = call("GET", "/api/v1/files/list?root=project:trav&path=many").json();
    EXPECT_EQ(first.at("entries").as_array().size(), 5000u);
    EXPECT_EQ(first.at("total").as_int64(), 5004);
    EXPECT_EQ(first.at("next_offset").as_int64(), 5000);
    EXPECT_EQ(first.at("entries").as_array()[0].at("name").as_string(), ".hidden");
    EXPECT_TRUE(first.at("entries").as_array()[0].at("hidden").as_bool());
    auto second = call("GET", "/api/v1/files/list?root=project:trav&path=many&offset=5000").json();
    EXPECT_EQ(second.at("entries").as_array().size(), 4u);
    EXPECT_TRUE(second.at("next_offset").is_null());
    EXPECT_EQ(call("GET", "/api/v1/files/list?root=project:trav&path=many&limit=5001").status, 400);
}

TEST_F(FilesIntegration, ContentHeadersKeepScriptsOut) {
    write_text(root() / "page.html", "<script>alert(1)</script>");
    write_text(root() / "train.py", "print('hi')\n");
    auto html = call("GET", content_target("project:trav", "page.html"));
    ASSERT_EQ(html.status, 200);
    EXPECT_EQ(html.header("x-content-type-options"), "nosniff");
    EXPECT_NE(html.header("content-disposition").find("attachment"), std::string::npos);
    EXPECT_NE(html.header("content-security-policy").find("sandbox"), std::string::npos);
    auto code = call("GET", content_target("project:trav", "train.py"));
    EXPECT_EQ(code.body, "print('hi')\n");
    EXPECT_EQ(code.header("content-type"), "text/plain; charset=utf-8");
    EXPECT_EQ(code.header("content-disposition"), "");
    EXPECT_EQ(code.header("etag").size(), 34u);
    EXPECT_EQ(code.header("x-content-type-options"), "nosniff");
    EXPECT_EQ(
        call("GET", content_target("project:trav", "train.py"), "", {{"If-None-Match", code.header("etag")}}).status,
        304);
}

TEST_F(FilesIntegration, RootsUnknownAndMalformed) {
    // Bad input: roots that do not exist and roots that are not roots.
    EXPECT_EQ(call("GET", "/api/v1/files/list?root=project:nope&path=").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/files/list?root=run:nope&path=").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/files/list?root=job:12345&path=").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/files/list?root=job:abc&path=").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/files/list?root=trav&path=").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/files/list?root=disk:/etc&path=").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/files/list?root=project:..&path=").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/files/list?path=").status, 400);
    HttpOptions anonymous;
    EXPECT_EQ(http_request(server_->port(), "GET", "/api/v1/files/list?root=project:trav&path=", "", anonymous).status,
              401);
}

TEST_F(FilesIntegration, SavesNeedPreconditionsAndConflictsAre412) {
    auto read = call("GET", content_target("project:trav", "file.txt"));
    const auto etag = read.header("etag");
    // Bad input: no precondition at all.
    EXPECT_EQ(call("PUT", content_target("project:trav", "file.txt"), "x").status, 428);
    // Two editors read the same version; the first save wins, the second gets 412 and the new ETag.
    auto first = call("PUT", content_target("project:trav", "file.txt"), "first", {{"If-Match", etag}});
    ASSERT_EQ(first.status, 200) << first.body;
    auto second = call("PUT", content_target("project:trav", "file.txt"), "second", {{"If-Match", etag}});
    EXPECT_EQ(second.status, 412);
    EXPECT_EQ("\"" + std::string(second.json().at("etag").as_string()) + "\"", first.header("etag"));
    EXPECT_EQ(slurp(root() / "file.txt"), "first");
    // Training rewrites the file underneath: the editor's next save is refused.
    write_text(root() / "file.txt", "written by training");
    EXPECT_EQ(
        call("PUT", content_target("project:trav", "file.txt"), "third", {{"If-Match", first.header("etag")}}).status,
        412);
    EXPECT_EQ(slurp(root() / "file.txt"), "written by training");
    // Create: If-None-Match: * once.
    EXPECT_EQ(call("PUT", content_target("project:trav", "dir/new.txt"), "n", {{"If-None-Match", "*"}}).status, 200);
    EXPECT_EQ(call("PUT", content_target("project:trav", "dir/new.txt"), "n", {{"If-None-Match", "*"}}).status, 412);
}

TEST_F(FilesIntegration, ConcurrentSavesAndAReaderSeeWholeFiles) {
    // Bad input: 8 clients saving the same version at once, while a reader reads the file from disk
    // and another program rewrites it: the reader never sees a torn or empty file, exactly one
    // client wins each round, and an outside rewrite makes the stale saves fail.
    // Each client of each round writes 1 MiB of its own letter (equal contents share an ETag, and
    // a save of the same bytes would rightly not count as a change).
    auto content_of = [](int round, int client) {
        return std::string(1 << 20, static_cast<char>('a' + round * 8 + client));
    };
    const std::string a(1 << 20, 'Z');
    write_text(root() / "big.txt", a);
    std::atomic<bool> stop{false};
    std::atomic<int> torn{0};
    std::thread reader([&] {
        while (!stop) {
            const auto text = slurp(root() / "big.txt");
            const bool whole = text.size() == (1u << 20) && text.find_first_not_of(text[0]) == std::string::npos;
            if (!whole && text != "outside writer") ++torn;
        }
    });
    for (int round = 0; round < 3; ++round) {
        const auto etag = call("GET", content_target("project:trav", "big.txt")).header("etag");
        std::atomic<int> won{0};
        std::atomic<int> refused{0};
        std::vector<std::thread> clients;
        for (int i = 0; i < 8; ++i)
            clients.emplace_back([&, i] {
                auto answer =
                    call("PUT", content_target("project:trav", "big.txt"), content_of(round, i), {{"If-Match", etag}});
                if (answer.status == 200) ++won;
                if (answer.status == 412) ++refused;
            });
        for (auto& client : clients) client.join();
        EXPECT_EQ(won.load(), 1) << "round " << round;
        EXPECT_EQ(refused.load(), 7) << "round " << round;
    }
    const auto etag = call("GET", content_target("project:trav", "big.txt")).header("etag");
    {
        std::ofstream out(root() / "big.txt.tmp", std::ios::binary);
        out << "outside writer";
    }
    fs::rename(root() / "big.txt.tmp", root() / "big.txt");
    EXPECT_EQ(call("PUT", content_target("project:trav", "big.txt"), a, {{"If-Match", etag}}).status, 412);
    stop = true;
    reader.join();
    EXPECT_EQ(torn.load(), 0);
    EXPECT_EQ(slurp(root() / "big.txt"), "outside writer");
}

TEST_F(FilesIntegration, SwappedLinkNeverLeaksAByte) {
    // Bad input: a link flipped between a folder inside and one outside while reads, lists and
    // saves go through it. Every answer is the inside file, or a refusal; nothing is written outside.
    write_text(root() / "inside_dir/secret.txt", "inside twin");
    fs::create_symlink("inside_dir", root() / "flip");
    fs::create_symlink("inside_dir", root() / "flip_in");
    fs::create_symlink("../outside", root() / "flip_out");
    const auto outside_before = tree_state(tree_.path() / "outside");
    std::atomic<bool> stop{false};
    std::thread flipper([&] {
        bool out = false;
        while (!stop) {
            // Copies of prepared links renamed over "flip": the swap is atomic.
            const auto source = out ? "inside_dir" : "../outside";
            fs::create_symlink(source, root() / "flip.new");
            fs::rename(root() / "flip.new", root() / "flip");
            out = !out;
        }
    });
    int served = 0;
    for (int i = 0; i < 300; ++i) {
        auto read = call("GET", content_target("project:trav", "flip/secret.txt"));
        EXPECT_TRUE(read.status == 200 || read.status == 403 || read.status == 404) << read.status;
        EXPECT_EQ(read.body.find(outside_secret), std::string::npos);
        if (read.status == 200) {
            EXPECT_EQ(read.body, "inside twin");
            ++served;
        }
        auto listed = call("GET", "/api/v1/files/list?root=project:trav&path=flip");
        EXPECT_EQ(listed.body.find("secret.txt\",\"type\":\"file\",\"size\":14"), std::string::npos);
        call("PUT", content_target("project:trav", "flip/new" + std::to_string(i)), "x", {{"If-None-Match", "*"}});
        post("mkdir", {{"root", "project:trav"}, {"path", "flip/made" + std::to_string(i)}});
    }
    stop = true;
    flipper.join();
    EXPECT_GT(served, 0);  // the swap did not simply break every request
    EXPECT_EQ(tree_state(tree_.path() / "outside"), outside_before);
}

TEST_F(FilesIntegration, TrashRestoreMkdirMove) {
    ASSERT_EQ(post("mkdir", {{"root", "project:trav"}, {"path", "dir/made"}}).status, 201);
    EXPECT_EQ(post("mkdir", {{"root", "project:trav"}, {"path", "dir/made"}}).status, 409);
    EXPECT_EQ(post("move", {{"root", "project:trav"}, {"from", "file.txt"}, {"to", "dir/inner.txt"}}).status, 409);
    EXPECT_EQ(slurp(root() / "dir/inner.txt"), "inside inner");
    ASSERT_EQ(post("move", {{"root", "project:trav"}, {"from", "file.txt"}, {"to", "dir/made/file.txt"}}).status, 200);
    auto trashed = post("trash", {{"root", "project:trav"}, {"path", "dir/made/file.txt"}});
    ASSERT_EQ(trashed.status, 200) << trashed.body;
    const std::string trash_path(trashed.json().at("trash_path").as_string());
    EXPECT_TRUE(trash_path.starts_with(".ailab-trash/"));
    EXPECT_TRUE(trash_path.ends_with("/dir/made/file.txt"));
    EXPECT_EQ(slurp(root() / trash_path), "inside file");  // moved, not unlinked
    EXPECT_FALSE(fs::exists(root() / "dir/made/file.txt"));
    auto restored = post("restore", {{"root", "project:trav"}, {"trash_path", trash_path}});
    ASSERT_EQ(restored.status, 200) << restored.body;
    EXPECT_EQ(restored.json().at("path").as_string(), "dir/made/file.txt");
    EXPECT_EQ(slurp(root() / "dir/made/file.txt"), "inside file");
    EXPECT_EQ(post("restore", {{"root", "project:trav"}, {"trash_path", trash_path}}).status, 404);
}

TEST_F(FilesIntegration, LargeFileByRange) {
    // A 1.5 GiB sparse file with a marker at the end: ranges from both ends and past the end.
    const std::int64_t size = std::int64_t{3} << 29;
    {
        std::ofstream out(root() / "huge.log", std::ios::binary);
        out.seekp(size - 4);
        out << "END\n";
    }
    auto head = call("GET", content_target("project:trav", "huge.log"), "", {{"Range", "bytes=0-65535"}});
    ASSERT_EQ(head.status, 206);
    EXPECT_EQ(head.body.size(), 65536u);
    EXPECT_EQ(head.header("content-range"), "bytes 0-65535/" + std::to_string(size));
    auto tail = call("GET", content_target("project:trav", "huge.log"), "", {{"Range", "bytes=-4"}});
    ASSERT_EQ(tail.status, 206);
    EXPECT_EQ(tail.body, "END\n");
    auto past =
        call("GET", content_target("project:trav", "huge.log"), "", {{"Range", "bytes=" + std::to_string(size) + "-"}});
    EXPECT_EQ(past.status, 416);
    EXPECT_EQ(past.header("content-range"), "bytes */" + std::to_string(size));
    // A whole file over 16 MiB is streamed (chunked), byte for byte, without being held in memory.
    std::string pattern;
    for (int i = 0; pattern.size() < (std::size_t{40} << 20); ++i) pattern += "line " + std::to_string(i) + "\n";
    write_text(root() / "forty.log", pattern);
    auto whole = call("GET", content_target("project:trav", "forty.log"));
    ASSERT_EQ(whole.status, 200);
    EXPECT_EQ(whole.header("transfer-encoding"), "chunked");
    EXPECT_EQ(whole.header("x-ailab-size"), std::to_string(pattern.size()));
    EXPECT_TRUE(whole.body == pattern) << "the streamed body differs (" << whole.body.size() << " bytes)";
}

TEST_F(FilesIntegration, ProjectsCreateAndRefuse) {
    const auto config_before = slurp(server_->config_file());
    auto listed = call("GET", "/api/v1/projects");
    ASSERT_EQ(listed.status, 200);
    ASSERT_EQ(listed.json().at("projects").as_array().size(), 2u);  // jp and trav
    EXPECT_EQ(listed.json().at("projects").as_array()[0].at("source").as_string(), "config");
    auto made = call("POST", "/api/v1/projects", R"({"name":"vision"})");
    ASSERT_EQ(made.status, 201) << made.body;
    EXPECT_EQ(made.json().at("project").at("source").as_string(), "created");
    EXPECT_TRUE(fs::is_directory(server_->root() / "workspace/vision"));
    // Bad input: names with separators, dots, control characters; an existing folder; not JSON.
    for (const char* bad : {R"({"name":"a/b"})", R"({"name":".."})", R"({"name":".hidden"})", R"({"name":"a\u0001"})",
                            R"({"name":""})", R"({"name":"../../etc"})", R"({"name":7})", "not json"})
        EXPECT_EQ(call("POST", "/api/v1/projects", bad).status, 400) << bad;
    EXPECT_EQ(call("POST", "/api/v1/projects", R"({"name":"vision"})").status, 409);
    EXPECT_EQ(call("POST", "/api/v1/projects", R"({"name":"trav"})").status, 409);
    EXPECT_FALSE(fs::exists(server_->root() / "etc"));
    EXPECT_EQ(call("GET", "/api/v1/projects").json().at("projects").as_array().size(), 3u);
    // The new project is a root at once; the config file was never written.
    EXPECT_EQ(call("PUT", content_target("project:vision", "train.py"), "x", {{"If-None-Match", "*"}}).status, 200);
    EXPECT_EQ(slurp(server_->config_file()), config_before);
    EXPECT_TRUE(fs::exists(server_->state() / "projects.json"));
}

TEST_F(FilesIntegration, RunRootsAppearLater) {
    // A run folder made after the server started is a root as soon as the runs service knows it.
    write_text(server_->results() / "proj/run1/ailab.log", "{\"step\": 1, \"loss\": 0.5}\n");
    write_text(server_->results() / "proj/run1/samples/grid.png", "\x89PNG\r\n\x1a\nfake");
    std::string id;
    for (int i = 0; i < 100 && id.empty(); ++i) {
        auto runs = call("GET", "/api/v1/runs").json();
        for (const auto& run : runs.at("runs").as_array())
            if (run.at("path").as_string() == "proj/run1") id = std::string(run.at("id").as_string());
        if (id.empty()) std::this_thread::sleep_for(100ms);
    }
    ASSERT_FALSE(id.empty()) << "the run was not found";
    auto listed = call("GET", "/api/v1/files/list?root=run:" + encode(id) + "&path=samples");
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(listed.json().at("entries").as_array()[0].at("name").as_string(), "grid.png");
    auto image = call("GET", content_target("run:" + encode(id), "samples/grid.png"));
    EXPECT_EQ(image.status, 200);
    EXPECT_EQ(image.header("content-type"), "image/png");
    EXPECT_EQ(call("GET", content_target("run:" + encode(id), "..%2f..%2fconfig.json")).status, 400);
}

TEST_F(FilesIntegration, JobSnapshotFilesAreReadOnly) {
    // Bad input: saving, moving and trashing the code a job ran (or the folder holding it).
    auto submitted = call("POST", "/api/v1/jobs", R"({"shell":"echo result > out.txt","project":"jp"})");
    ASSERT_EQ(submitted.status, 201) << submitted.body;
    const auto id = submitted.json().at("job").at("id").as_int64();
    const auto root = "job:" + std::to_string(id);
    std::string state;
    for (int i = 0; i < 150 && state != "done" && state != "failed"; ++i) {
        state = std::string(call("GET", "/api/v1/jobs/" + std::to_string(id)).json().at("job").at("state").as_string());
        std::this_thread::sleep_for(100ms);
    }
    ASSERT_EQ(state, "done");
    auto listed = call("GET", "/api/v1/files/list?root=" + root + "&path=");
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_NE(listed.body.find("\"train.py\""), std::string::npos);
    EXPECT_NE(listed.body.find("\"out.txt\""), std::string::npos);
    auto code = call("GET", content_target(root, "train.py"));
    ASSERT_EQ(code.status, 200);
    EXPECT_EQ(code.header("x-ailab-read-only"), "1");
    EXPECT_EQ(call("PUT", content_target(root, "train.py"), "hacked", {{"If-Match", code.header("etag")}}).status, 403);
    EXPECT_EQ(post("move", {{"root", root}, {"from", "train.py"}, {"to", "moved.py"}}).status, 403);
    EXPECT_EQ(post("trash", {{"root", root}, {"path", "train.py"}}).status, 403);
    EXPECT_EQ(post("trash", {{"root", root}, {"path", "lib"}}).status, 403);
    EXPECT_EQ(call("GET", content_target(root, "train.py")).body, "print('train')\n");
    // What the job wrote may be changed.
    auto out = call("GET", content_target(root, "out.txt"));
    EXPECT_EQ(out.body, "result\n");
    EXPECT_EQ(out.header("x-ailab-read-only"), "");
    EXPECT_EQ(call("PUT", content_target(root, "out.txt"), "edited", {{"If-Match", out.header("etag")}}).status, 200);
}

}  // namespace
}  // namespace ailab::testing
