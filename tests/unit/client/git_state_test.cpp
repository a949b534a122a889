#include "client/git_state.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "client_test_util.hpp"

using namespace ailab::client;
using ailab::client::testing::TempFolder;

namespace {

std::string run(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return output;
    char buffer[4096];
    while (auto count = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, count);
    ::pclose(pipe);
    return output;
}

std::string git(const TempFolder& folder, const std::string& args) {
    return run("git -C '" + folder.path().string() + "' " + args + " 2>/dev/null");
}

void make_repo(const TempFolder& folder) {
    git(folder, "init -q -b main");
    git(folder, "config user.email t@example.org");
    git(folder, "config user.name t");
    std::ofstream(folder.path() / "train.py") << "print(1)\n";
    git(folder, "add train.py");
    git(folder, "commit -q -m first");
}

}  // namespace

TEST(GitState, ACleanRepository) {
    TempFolder folder;
    make_repo(folder);
    auto state = read_git_state(folder.path());
    ASSERT_TRUE(state);
    EXPECT_EQ(state->commit.value_or(""), git(folder, "rev-parse HEAD").substr(0, 40));
    EXPECT_EQ(state->branch.value_or(""), "main");
    EXPECT_FALSE(state->dirty);
    EXPECT_EQ(state->diff, "");
}

TEST(GitState, ChangesAreRecordedAndNothingIsCommittedOrStaged) {
    TempFolder folder;
    make_repo(folder);
    std::ofstream(folder.path() / "train.py") << "print(2)\n";
    std::ofstream(folder.path() / "new.py") << "untracked\n";
    const auto commits_before = git(folder, "rev-list --count HEAD");
    // The index's change time to the nanosecond: train.py changed in the index's own second, so a
    // plain `git status` would rewrite the index to refresh its racy entry (a read must not).
    const auto index_stat = "stat -c '%.9Y %.9Z %s' '" + (folder.path() / ".git/index").string() + "'";
    const auto index_before = run(index_stat);

    auto state = read_git_state(folder.path());
    ASSERT_TRUE(state);
    EXPECT_TRUE(state->dirty);
    EXPECT_NE(state->diff.find("+print(2)"), std::string::npos) << state->diff;
    // Reading changed nothing: the index untouched (checked before this test's own git calls,
    // which may refresh it), no commit, the new file still untracked.
    EXPECT_EQ(run(index_stat), index_before);
    EXPECT_EQ(git(folder, "rev-list --count HEAD"), commits_before);
    EXPECT_NE(git(folder, "status --porcelain").find("?? new.py"), std::string::npos);

    auto json = boost::json::parse(git_state_json(state)).as_object();
    EXPECT_TRUE(json.at("dirty").as_bool());
    EXPECT_EQ(json.at("branch").as_string(), "main");
}

TEST(GitState, AHugeDiffIsCutAndBinaryBytesStayValidJson) {
    TempFolder folder;
    make_repo(folder);
    {
        // Bad input: a 3 MiB change with bytes that are not UTF-8.
        std::ofstream out(folder.path() / "train.py");
        for (int line = 0; line < 3 * 1024 * 16; ++line) out << "x\xff\xfe" << std::string(60, 'y') << "\n";
    }
    auto state = read_git_state(folder.path());
    ASSERT_TRUE(state);
    EXPECT_TRUE(state->diff_truncated);
    EXPECT_EQ(state->diff.size(), max_diff_bytes);
    boost::system::error_code error;
    auto json = boost::json::parse(git_state_json(state), error);
    ASSERT_FALSE(error) << "invalid JSON for a diff with non-UTF-8 bytes";
    EXPECT_NE(std::string(json.at("diff").as_string()).find("cut at 1 MiB"), std::string::npos);
}

TEST(GitState, NotARepositoryHasNone) {
    TempFolder folder;
    std::ofstream(folder.path() / "a.py") << "x\n";
    EXPECT_FALSE(read_git_state(folder.path()).has_value());
    EXPECT_EQ(git_state_json(std::nullopt), "null");
    // A detached HEAD has a commit and no branch.
    TempFolder repo;
    make_repo(repo);
    git(repo, "checkout -q --detach");
    auto state = read_git_state(repo.path());
    ASSERT_TRUE(state);
    EXPECT_TRUE(state->commit.has_value());
    EXPECT_FALSE(state->branch.has_value());
}
