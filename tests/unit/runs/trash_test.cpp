#include "runs/trash.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "test_util.hpp"

namespace ailab::runs {
namespace {

namespace fs = std::filesystem;
using testing::TempFolder;
using testing::write_file;

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool refused_as_leaving(const core::Error& error) {
    return error.is(boost::system::errc::cross_device_link) &&
           error.message.find("leaves the root") != std::string::npos;
}

// Files in a folder, recursively, as "relative path" strings (links listed, not followed).
std::vector<std::string> entries(const fs::path& folder) {
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(folder))
        found.push_back(fs::relative(entry.path(), folder));
    std::sort(found.begin(), found.end());
    return found;
}

TEST(Trash, MovesIntoDatedTrashAndRestoresBack) {
    TempFolder results;
    write_file(results.path() / "p/run/ailab.log", "{\"a\":1}\n");
    auto trash_path = move_to_trash(results.path(), "p/run", "2024-01-02").value();
    EXPECT_EQ(trash_path, ".ailab-trash/2024-01-02/p/run");
    EXPECT_FALSE(fs::exists(results.path() / "p/run"));
    EXPECT_EQ(read_text(results.path() / trash_path / "ailab.log"), "{\"a\":1}\n");

    auto items = list_trash(results.path(), 5);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].trash_path, trash_path);
    EXPECT_EQ(items[0].path, "p/run");
    EXPECT_GT(items[0].moved_at, 0);

    EXPECT_EQ(restore_from_trash(results.path(), trash_path).value(), "p/run");
    EXPECT_EQ(read_text(results.path() / "p/run/ailab.log"), "{\"a\":1}\n");
    EXPECT_TRUE(list_trash(results.path(), 5).empty());
    EXPECT_FALSE(fs::exists(results.path() / ".ailab-trash/2024-01-02"));  // emptied folders go
}

TEST(Trash, CleanupNeverOverwritesWhatIsAlreadyInTheTrash) {
    TempFolder results;
    write_file(results.path() / "run/ailab.log", "new\n");
    write_file(results.path() / ".ailab-trash/2024-01-02/run/ailab.log", "old\n");
    auto refused = move_to_trash(results.path(), "run", "2024-01-02");
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused.error().is(boost::system::errc::file_exists)) << refused.error().message;
    EXPECT_NE(refused.error().message.find("already exists"), std::string::npos) << refused.error().message;
    EXPECT_EQ(read_text(results.path() / ".ailab-trash/2024-01-02/run/ailab.log"), "old\n");
    EXPECT_EQ(read_text(results.path() / "run/ailab.log"), "new\n");
}

TEST(Trash, CleanupNeverOverwritesAnEmptyFolderEither) {
    TempFolder results;
    write_file(results.path() / "run/ailab.log", "new\n");
    fs::create_directories(results.path() / ".ailab-trash/2024-01-02/run");  // rename(2) would replace it
    EXPECT_FALSE(move_to_trash(results.path(), "run", "2024-01-02"));
    EXPECT_TRUE(fs::exists(results.path() / "run/ailab.log"));
}

TEST(Trash, RestoreNeverOverwritesAnExistingRun) {
    TempFolder results;
    write_file(results.path() / ".ailab-trash/2024-01-02/run/ailab.log", "old\n");
    write_file(results.path() / "run/ailab.log", "current\n");
    EXPECT_FALSE(restore_from_trash(results.path(), ".ailab-trash/2024-01-02/run"));
    EXPECT_EQ(read_text(results.path() / "run/ailab.log"), "current\n");
    EXPECT_EQ(read_text(results.path() / ".ailab-trash/2024-01-02/run/ailab.log"), "old\n");
}

TEST(Trash, RejectsPathsOutsideTheTrash) {
    TempFolder results;
    write_file(results.path() / "run/ailab.log", "x\n");
    for (const char* path : {"run", ".ailab-trash/2024-01-02/../../etc", ".ailab-trash/not-a-date/run", "/etc/passwd",
                             ".ailab-trash/2024-01-02", ".ailab-trash/2024-01-02/.ailab-trash/x", ""}) {
        auto result = restore_from_trash(results.path(), path);
        ASSERT_FALSE(result) << path;
        EXPECT_TRUE(result.error().is(boost::system::errc::invalid_argument)) << path << ": " << result.error().message;
    }
    for (const char* path : {"../outside", ".ailab-trash/2024-01-02/x", "/etc", "a//b", "./run"}) {
        auto result = move_to_trash(results.path(), path, "2024-01-02");
        ASSERT_FALSE(result) << path;
        EXPECT_TRUE(result.error().is(boost::system::errc::invalid_argument)) << path << ": " << result.error().message;
    }
    auto missing = move_to_trash(results.path(), "missing", "2024-01-02");
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(boost::system::errc::no_such_file_or_directory));
    EXPECT_NE(missing.error().message.find("missing"), std::string::npos);
    EXPECT_EQ(missing.error().message.find(results.path().string()), std::string::npos);  // no server paths
    EXPECT_FALSE(move_to_trash(results.path(), "run", "../../x"));
    EXPECT_TRUE(fs::exists(results.path() / "run/ailab.log"));
}

// Issue 8, item 2: results/outlink -> /elsewhere; the clean-up of the dead run outlink/victim
// moved /elsewhere/victim into the results trash.
TEST(Trash, CleanupRefusesAPathThroughALinkOutOfResults) {
    TempFolder results;
    TempFolder elsewhere;
    write_file(elsewhere.path() / "victim/ailab.log", "precious\n");
    fs::create_directory_symlink(elsewhere.path(), results.path() / "outlink");
    auto refused = move_to_trash(results.path(), "outlink/victim", "2024-01-02");
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused_as_leaving(refused.error())) << refused.error().message;
    EXPECT_EQ(read_text(elsewhere.path() / "victim/ailab.log"), "precious\n");
    EXPECT_FALSE(fs::exists(results.path() / ".ailab-trash/2024-01-02/outlink"));
    // A run that is itself a link out is refused too; a link inside is moved as a link.
    fs::create_directory_symlink(elsewhere.path() / "victim", results.path() / "linked_victim");
    EXPECT_FALSE(move_to_trash(results.path(), "linked_victim", "2024-01-02"));
    write_file(results.path() / "real/run/ailab.log", "x\n");
    fs::create_directory_symlink("real/run", results.path() / "alias");
    ASSERT_TRUE(move_to_trash(results.path(), "alias", "2024-01-02"));
    EXPECT_TRUE(fs::is_symlink(results.path() / ".ailab-trash/2024-01-02/alias"));
    EXPECT_TRUE(fs::exists(results.path() / "real/run/ailab.log"));
}

// The trash folder itself, or its date folder, linked out: nothing may be moved there.
TEST(Trash, CleanupRefusesATrashThatLeadsOutOfResults) {
    TempFolder results;
    TempFolder elsewhere;
    write_file(results.path() / "run/ailab.log", "x\n");
    fs::create_directories(results.path() / ".ailab-trash");
    fs::create_directory_symlink(elsewhere.path(), results.path() / ".ailab-trash/2024-01-02");
    auto refused = move_to_trash(results.path(), "run", "2024-01-02");
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused_as_leaving(refused.error())) << refused.error().message;
    EXPECT_TRUE(fs::exists(results.path() / "run/ailab.log"));
    EXPECT_TRUE(fs::is_empty(elsewhere.path()));
}

// Issue 8, item 2: a trash date folder that is a link (.ailab-trash/2020-01-01 -> /elsewhere2);
// restoring .ailab-trash/2020-01-01/foo moved /elsewhere2/foo into results.
TEST(Trash, RestoreRefusesADateFolderThatLinksOut) {
    TempFolder results;
    TempFolder elsewhere;
    write_file(elsewhere.path() / "foo/ailab.log", "not yours\n");
    fs::create_directories(results.path() / ".ailab-trash");
    fs::create_directory_symlink(elsewhere.path(), results.path() / ".ailab-trash/2020-01-01");
    auto refused = restore_from_trash(results.path(), ".ailab-trash/2020-01-01/foo");
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused_as_leaving(refused.error())) << refused.error().message;
    EXPECT_EQ(read_text(elsewhere.path() / "foo/ailab.log"), "not yours\n");
    EXPECT_FALSE(fs::exists(results.path() / "foo"));
    EXPECT_TRUE(list_trash(results.path(), 5).empty());  // and the trash does not list it
}

// Issue 8, item 2: a planted .ailab-trash/<date>/outlink/planted (outlink -> /elsewhere) restored
// to outside results. Now: neither its source nor its target (outlink/planted) may resolve there.
TEST(Trash, RestoreRefusesAPlantedRunBehindALink) {
    TempFolder results;
    TempFolder elsewhere;
    write_file(results.path() / ".ailab-trash/2024-01-02/outlink/planted/ailab.log", "planted\n");
    fs::create_directory_symlink(elsewhere.path(), results.path() / "outlink");
    auto refused = restore_from_trash(results.path(), ".ailab-trash/2024-01-02/outlink/planted");
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused_as_leaving(refused.error())) << refused.error().message;
    EXPECT_TRUE(fs::is_empty(elsewhere.path()));
    EXPECT_EQ(read_text(results.path() / ".ailab-trash/2024-01-02/outlink/planted/ailab.log"), "planted\n");
    // A link inside the date folder that leads out: its runs are not listed, nor restored.
    write_file(elsewhere.path() / "theirs/ailab.log", "theirs\n");
    fs::create_directory_symlink(elsewhere.path(), results.path() / ".ailab-trash/2024-01-02/away");
    EXPECT_FALSE(restore_from_trash(results.path(), ".ailab-trash/2024-01-02/away/theirs"));
    EXPECT_EQ(read_text(elsewhere.path() / "theirs/ailab.log"), "theirs\n");
    auto items = list_trash(results.path(), 5);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].path, "outlink/planted");
    EXPECT_EQ(entries(elsewhere.path()), (std::vector<std::string>{"theirs", "theirs/ailab.log"}));
}

TEST(Trash, RestoreThroughALinkThatStaysInsideWorks) {
    TempFolder results;
    write_file(results.path() / ".ailab-trash/2024-01-02/proj/run/ailab.log", "x\n");
    fs::create_directories(results.path() / "real_proj");
    fs::create_directory_symlink("real_proj", results.path() / "proj");  // proj -> real_proj, inside
    ASSERT_EQ(restore_from_trash(results.path(), ".ailab-trash/2024-01-02/proj/run").value(), "proj/run");
    EXPECT_EQ(read_text(results.path() / "real_proj/run/ailab.log"), "x\n");
    EXPECT_FALSE(fs::exists(results.path() / ".ailab-trash/2024-01-02"));
}

TEST(Trash, LocalDateIsTheServersDate) {
    auto date = local_date(testing::unix_now());
    EXPECT_EQ(date.size(), 10u);
    EXPECT_EQ(date[4], '-');
    EXPECT_EQ(date[7], '-');
}

}  // namespace
}  // namespace ailab::runs
