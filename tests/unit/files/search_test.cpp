// Search beneath a confined root: names and text lines. Bad input it tries: a link out of the root
// whose target holds the query (never read), a FIFO named like the query (the walk must not block
// on it), a binary file and a file over the size limit (not searched), more matches than the limit.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "files/search.hpp"
#include "test_tree.hpp"

using namespace ailab;
using namespace ailab::files;
using namespace ailab::files::testing;

namespace {

class SearchTest : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        tree.write("src/train.py", "import torch\nmodel = Net()\n# TORCH again\n");
        tree.write("src/torch_utils.py", "pass\n");
        tree.write("src/big.txt", std::string(4096, 'x') + "\ntorch\n");
        tree.write("src/blob.bin", std::string("torch\0torch", 11));
        tree.write(".git/config", "torch\n");
        std::ofstream(tree.outside() / "notes.txt") << "torch secret\n";
        fs::create_symlink(tree.outside() / "notes.txt", tree.root() / "src/outside-link");
        fs::create_directory_symlink(tree.outside(), tree.root() / "src/outside-folder");
        ::mkfifo((tree.root() / "src/torch.pipe").c_str(), 0600);
        roots = std::make_unique<TestRoots>(tree.root());
        root = roots->resolve(GetParam()).value();
    }
    SearchResult search(const std::string& query, std::size_t limit = 100, std::uint64_t max_bytes = 1024) {
        SearchOptions options;
        options.query = query;
        options.limit = limit;
        options.max_file_bytes = max_bytes;
        return search_files(root.folder, "", options).value();
    }
    TestTree tree;
    std::unique_ptr<TestRoots> roots;
    Root root;
};

std::vector<std::string> describe(const SearchResult& result) {
    std::vector<std::string> out;
    for (const auto& match : result.matches)
        out.push_back(match.path + (match.line ? ":" + std::to_string(*match.line) + ":" + match.text : ""));
    return out;
}

}  // namespace

TEST_P(SearchTest, NamesAndTextLinesMatchIgnoringCase) {
    const auto result = search("Torch");
    EXPECT_FALSE(result.truncated);
    const std::vector<std::string> expected{"src/torch.pipe", "src/torch_utils.py", "src/train.py:1:import torch",
                                            "src/train.py:3:# TORCH again"};
    EXPECT_EQ(describe(result), expected);  // no link target, no binary, no big file, no .git
}

TEST_P(SearchTest, TheSizeLimitDecidesWhichFilesAreRead) {
    const auto result = search("torch", 100, 8192);
    const auto lines = describe(result);
    EXPECT_NE(std::find(lines.begin(), lines.end(), "src/big.txt:2:torch"), lines.end());
}

TEST_P(SearchTest, TheLimitTruncates) {
    const auto result = search("torch", 2);
    EXPECT_EQ(result.matches.size(), 2u);
    EXPECT_TRUE(result.truncated);
}

TEST_P(SearchTest, AStartOutOfTheRootIsRefused) {
    SearchOptions options;
    options.query = "torch";
    auto result = search_files(root.folder, "src/outside-folder", options);
    ASSERT_FALSE(result);
    EXPECT_TRUE(result.error().is(boost::system::errc::cross_device_link));
}

INSTANTIATE_TEST_SUITE_P(Resolvers, SearchTest, ::testing::Values("project:p", "project:w"));
