#include "runs/discovery.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "test_util.hpp"

namespace ailab::runs {
namespace {

using testing::TempFolder;
using testing::write_file;

std::vector<std::string> run_paths(const ScanResult& result) {
    std::vector<std::string> paths;
    for (const auto& run : result.runs) paths.push_back(run.path);
    std::sort(paths.begin(), paths.end());
    return paths;
}

TEST(Discovery, FindsRunsUpToTheDepthLimit) {
    TempFolder root;
    write_file(root.path() / "a/ailab.log", "");
    write_file(root.path() / "p/q/log.txt", "");
    write_file(root.path() / "1/2/3/4/5/ailab.log", "");    // depth 5: found
    write_file(root.path() / "1/2/3/4/5/6/ailab.log", "");  // depth 6: too deep (and inside a run)
    write_file(root.path() / "x/2/3/4/5/6/ailab.log", "");  // depth 6: too deep
    write_file(root.path() / "ailab.log", "");              // the root itself is no run
    ScanResult result;
    scan_tree(root.path(), "", 0, 5, result);
    EXPECT_EQ(run_paths(result), (std::vector<std::string>{"1/2/3/4/5", "a", "p/q"}));

    ScanResult shallow;
    scan_tree(root.path(), "", 0, 2, shallow);
    EXPECT_EQ(run_paths(shallow), (std::vector<std::string>{"a", "p/q"}));
}

TEST(Discovery, SkipsDotFoldersAndTheTrashAndDoesNotSearchInsideRuns) {
    TempFolder root;
    write_file(root.path() / ".ailab-trash/2024-01-01/old/ailab.log", "");
    write_file(root.path() / ".hidden/run/ailab.log", "");
    write_file(root.path() / "run/ailab.log", "");
    write_file(root.path() / "run/checkpoints/nested/ailab.log", "");
    ScanResult result;
    scan_tree(root.path(), "", 0, 5, result);
    EXPECT_EQ(run_paths(result), (std::vector<std::string>{"run"}));
}

TEST(Discovery, PrefersAilabLogOverLogTxt) {
    TempFolder root;
    write_file(root.path() / "r/log.txt", "");
    write_file(root.path() / "r/ailab.log", "");
    ScanResult result;
    scan_tree(root.path(), "", 0, 5, result);
    ASSERT_EQ(result.runs.size(), 1u);
    EXPECT_EQ(result.runs[0].log_file, "ailab.log");
}

TEST(Discovery, FindsEveryFormatAndRanksTheirMarkers) {
    TempFolder root;
    write_file(root.path() / "tb/events.out.tfevents.1700000000.host", "");
    write_file(root.path() / "tb/events.out.tfevents.1600000000.host", "");
    write_file(root.path() / "pl/metrics.csv", "step\n");
    write_file(root.path() / "pl/hparams.yaml", "lr: 1\n");
    write_file(root.path() / "hf/checkpoint-500/trainer_state.json", "{}");
    write_file(root.path() / "hf/runs/Dec03_10-00-00_host/events.out.tfevents.1.host", "");  // inside the run
    write_file(root.path() / "hf2/trainer_state.json", "{}");
    // An ailab log beats the other formats' files in the same folder.
    write_file(root.path() / "mixed/ailab.log", "");
    write_file(root.path() / "mixed/metrics.csv", "");
    write_file(root.path() / "mixed/events.out.tfevents.1.host", "");
    // metrics.csv beats event files (Lightning with both loggers).
    write_file(root.path() / "both/metrics.csv", "");
    write_file(root.path() / "both/events.out.tfevents.1.host", "");
    // A folder named like a marker file is no run; a file named like a checkpoint folder is none either.
    write_file(root.path() / "odd/metrics.csv/inner.txt", "");
    write_file(root.path() / "odd2/checkpoint-3", "");
    ScanResult result;
    scan_tree(root.path(), "", 0, 5, result);
    std::map<std::string, std::pair<std::string, RunFormat>> found;
    for (const auto& run : result.runs) found[run.path] = {run.log_file, run.format};
    std::map<std::string, std::pair<std::string, RunFormat>> expected = {
        {"both", {"metrics.csv", RunFormat::lightning}},
        {"hf", {"checkpoint-500", RunFormat::huggingface}},
        {"hf2", {"trainer_state.json", RunFormat::huggingface}},
        {"mixed", {"ailab.log", RunFormat::ailab}},
        {"pl", {"metrics.csv", RunFormat::lightning}},
        {"tb", {"events.out.tfevents.1600000000.host", RunFormat::tensorboard}},
    };
    EXPECT_EQ(found, expected);
}

TEST(Discovery, ReportsFoldersThatAreNotRuns) {
    TempFolder root;
    write_file(root.path() / "project/run/ailab.log", "");
    std::filesystem::create_directories(root.path() / "empty");
    ScanResult result;
    scan_tree(root.path(), "", 0, 5, result);
    std::vector<std::string> folders;
    for (const auto& folder : result.folders) folders.push_back(folder.path);
    std::sort(folders.begin(), folders.end());
    EXPECT_EQ(folders, (std::vector<std::string>{"", "empty", "project"}));
}

// The rule in discovery.hpp: links to folders are followed while they stay beneath the root.
TEST(Discovery, FollowsLinksThatStayInsideTheRoot) {
    TempFolder root;
    write_file(root.path() / "real/run/ailab.log", "");
    write_file(root.path() / "p/r2/ailab.log", "");
    std::filesystem::create_directory_symlink("real/run", root.path() / "latest");        // relative
    std::filesystem::create_directory_symlink(root.path() / "p", root.path() / "alias");  // absolute, inside
    std::filesystem::create_directory_symlink("../real", root.path() / "p/up");           // through ".."
    ScanResult result;
    scan_tree(root.path(), "", 0, 5, result);
    EXPECT_EQ(run_paths(result),
              (std::vector<std::string>{"alias/r2", "alias/up/run", "latest", "p/r2", "p/up/run", "real/run"}));
    auto listing = list_folder(root.path(), "");
    EXPECT_EQ(listing.subfolders, (std::vector<std::string>{"alias", "latest", "p", "real"}));
}

// Issue 8, item 2: discovery followed results/outlink -> /elsewhere and offered its runs.
TEST(Discovery, DoesNotFollowLinksThatLeaveTheRoot) {
    TempFolder root;
    TempFolder elsewhere;
    write_file(elsewhere.path() / "victim/ailab.log", "");
    write_file(elsewhere.path() / "linked_run/ailab.log", "");
    write_file(root.path() / "mine/ailab.log", "");
    std::filesystem::create_directory_symlink(elsewhere.path(), root.path() / "outlink");
    std::filesystem::create_directory_symlink(elsewhere.path() / "linked_run", root.path() / "link");
    std::filesystem::create_directories(root.path() / "deep/er");
    std::filesystem::create_directory_symlink("../../../" + elsewhere.path().filename().string(),
                                              root.path() / "deep/er/climb");
    std::filesystem::create_directory_symlink("/", root.path() / "system");
    ScanResult result;
    scan_tree(root.path(), "", 0, 5, result);
    EXPECT_EQ(run_paths(result), (std::vector<std::string>{"mine"}));
    for (const auto& folder : result.folders) EXPECT_TRUE(folder.path.find("outlink") == std::string::npos);
    EXPECT_EQ(list_folder(root.path(), "").subfolders, (std::vector<std::string>{"deep", "mine"}));
    EXPECT_TRUE(list_folder(root.path(), "deep/er").subfolders.empty());
    // Starting a scan at a link out finds nothing either (the service rescans single folders).
    ScanResult from_link;
    scan_tree(root.path(), "outlink", 1, 5, from_link);
    EXPECT_TRUE(from_link.runs.empty());
    EXPECT_TRUE(from_link.folders.empty());
    EXPECT_FALSE(list_folder(root.path(), "outlink").exists);
    for (unsigned threads : {1u, 2u}) EXPECT_EQ(run_paths(scan_whole_tree(root.path(), 5, threads)), run_paths(result));
}

// Loops end: a link back to an ancestor is skipped, whatever the depth limit.
TEST(Discovery, LinksBackToAnAncestorDoNotLoop) {
    TempFolder root;
    write_file(root.path() / "a/b/run/ailab.log", "");
    std::filesystem::create_directory_symlink("..", root.path() / "a/b/up");      // to a
    std::filesystem::create_directory_symlink("../..", root.path() / "a/b/top");  // to the root
    std::filesystem::create_directory_symlink(root.path(), root.path() / "a/self");
    std::filesystem::create_directory_symlink("loop2", root.path() / "loop1");  // a link cycle: ELOOP
    std::filesystem::create_directory_symlink("loop1", root.path() / "loop2");
    ScanResult result;
    scan_tree(root.path(), "", 0, 32, result);
    EXPECT_EQ(run_paths(result), (std::vector<std::string>{"a/b/run"}));
    std::vector<std::string> folders;
    for (const auto& folder : result.folders) folders.push_back(folder.path);
    std::sort(folders.begin(), folders.end());
    EXPECT_EQ(folders, (std::vector<std::string>{"", "a", "a/b"}));
    // A rescan that starts below the root knows the folders above it too.
    ScanResult below;
    scan_tree(root.path(), "a/b", 2, 32, below);
    EXPECT_EQ(run_paths(below), (std::vector<std::string>{"a/b/run"}));
    EXPECT_EQ(scan_whole_tree(root.path(), 32, 2).runs.size(), 1u);
}

TEST(Discovery, MissingRootFindsNothing) {
    ScanResult result;
    scan_tree("/nonexistent/ailab/results", "", 0, 5, result);
    EXPECT_TRUE(result.runs.empty());
    EXPECT_TRUE(result.folders.empty());
}

TEST(RunId, StableSixteenHexDigitsPerPath) {
    auto id = run_id("project_01/run");
    EXPECT_EQ(id.size(), 16u);
    EXPECT_EQ(id, run_id("project_01/run"));
    EXPECT_NE(id, run_id("project_01/run2"));
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(run_id(""), "cbf29ce484222325");  // the FNV-1a offset basis: the hash is FNV-1a 64
}

TEST(Paths, ParentAndJoin) {
    EXPECT_EQ(parent_path("a/b/c"), "a/b");
    EXPECT_EQ(parent_path("c"), "");
    EXPECT_EQ(join_path("/r", ""), "/r");
    EXPECT_EQ(join_path("/r/", "a/b"), "/r/a/b");
}

}  // namespace
}  // namespace ailab::runs

namespace ailab::runs {
namespace {

TEST(Discovery, WholeTreeOnSeveralThreadsFindsTheSameAsOne) {
    testing::TempFolder root;
    for (int project = 0; project < 5; ++project) {
        for (int run = 0; run < 7; ++run)
            testing::write_file(
                root.path() / ("p" + std::to_string(project)) / ("r" + std::to_string(run)) / "ailab.log", "");
    }
    testing::write_file(root.path() / "p0/deep/er/run/log.txt", "");
    ScanResult one;
    scan_tree(root.path(), "", 0, 5, one);
    for (unsigned threads : {1u, 2u, 3u, 8u}) {
        auto many = scan_whole_tree(root.path(), 5, threads);
        EXPECT_EQ(run_paths(many), run_paths(one)) << threads;
        EXPECT_EQ(many.folders.size(), one.folders.size()) << threads;
        EXPECT_EQ(many.folders.front().path, "");
    }
    EXPECT_EQ(one.runs.size(), 36u);
    EXPECT_TRUE(scan_whole_tree("/nonexistent/ailab", 5, 2).folders.empty());
}

}  // namespace
}  // namespace ailab::runs
