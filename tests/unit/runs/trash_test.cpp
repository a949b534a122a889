#include "runs/trash.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

TEST(Trash, MovesIntoDatedTrashAndRestoresBack) {
    TempFolder results;
    write_file(results.path() / "p/run/ailab.log", "{\"a\":1}\n");
    auto trash_path = move_to_trash(results.path(), "p/run", "2024-01-02");
    EXPECT_EQ(trash_path, ".ailab-trash/2024-01-02/p/run");
    EXPECT_FALSE(fs::exists(results.path() / "p/run"));
    EXPECT_EQ(read_text(results.path() / trash_path / "ailab.log"), "{\"a\":1}\n");

    auto items = list_trash(results.path(), 5);
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].trash_path, trash_path);
    EXPECT_EQ(items[0].path, "p/run");
    EXPECT_GT(items[0].moved_at, 0);

    EXPECT_EQ(restore_from_trash(results.path(), trash_path), "p/run");
    EXPECT_EQ(read_text(results.path() / "p/run/ailab.log"), "{\"a\":1}\n");
    EXPECT_TRUE(list_trash(results.path(), 5).empty());
    EXPECT_FALSE(fs::exists(results.path() / ".ailab-trash/2024-01-02"));  // emptied folders go
}

TEST(Trash, CleanupNeverOverwritesWhatIsAlreadyInTheTrash) {
    TempFolder results;
    write_file(results.path() / "run/ailab.log", "new\n");
    write_file(results.path() / ".ailab-trash/2024-01-02/run/ailab.log", "old\n");
    EXPECT_THROW(move_to_trash(results.path(), "run", "2024-01-02"), std::runtime_error);
    EXPECT_EQ(read_text(results.path() / ".ailab-trash/2024-01-02/run/ailab.log"), "old\n");
    EXPECT_EQ(read_text(results.path() / "run/ailab.log"), "new\n");
}

TEST(Trash, CleanupNeverOverwritesAnEmptyFolderEither) {
    TempFolder results;
    write_file(results.path() / "run/ailab.log", "new\n");
    fs::create_directories(results.path() / ".ailab-trash/2024-01-02/run");  // rename(2) would replace it
    EXPECT_THROW(move_to_trash(results.path(), "run", "2024-01-02"), std::runtime_error);
    EXPECT_TRUE(fs::exists(results.path() / "run/ailab.log"));
}

TEST(Trash, RestoreNeverOverwritesAnExistingRun) {
    TempFolder results;
    write_file(results.path() / ".ailab-trash/2024-01-02/run/ailab.log", "old\n");
    write_file(results.path() / "run/ailab.log", "current\n");
    EXPECT_THROW(restore_from_trash(results.path(), ".ailab-trash/2024-01-02/run"), std::runtime_error);
    EXPECT_EQ(read_text(results.path() / "run/ailab.log"), "current\n");
    EXPECT_EQ(read_text(results.path() / ".ailab-trash/2024-01-02/run/ailab.log"), "old\n");
}

TEST(Trash, RejectsPathsOutsideTheTrash) {
    TempFolder results;
    write_file(results.path() / "run/ailab.log", "x\n");
    EXPECT_THROW(restore_from_trash(results.path(), "run"), std::runtime_error);
    EXPECT_THROW(restore_from_trash(results.path(), ".ailab-trash/2024-01-02/../../etc"), std::runtime_error);
    EXPECT_THROW(restore_from_trash(results.path(), ".ailab-trash/not-a-date/run"), std::runtime_error);
    EXPECT_THROW(restore_from_trash(results.path(), "/etc/passwd"), std::runtime_error);
    EXPECT_THROW(move_to_trash(results.path(), "../outside", "2024-01-02"), std::invalid_argument);
    EXPECT_THROW(move_to_trash(results.path(), ".ailab-trash/2024-01-02/x", "2024-01-02"), std::runtime_error);
    EXPECT_THROW(move_to_trash(results.path(), "missing", "2024-01-02"), std::runtime_error);
}

TEST(Trash, LocalDateIsTheServersDate) {
    auto date = local_date(testing::unix_now());
    EXPECT_EQ(date.size(), 10u);
    EXPECT_EQ(date[4], '-');
    EXPECT_EQ(date[7], '-');
}

}  // namespace
}  // namespace ailab::runs
