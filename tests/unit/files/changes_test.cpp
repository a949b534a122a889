// mkdir, move (never overwrites), trash (never unlinks) and restore; read-only snapshot files.
#include "files/changes.hpp"

#include <gtest/gtest.h>

#include "files/paths.hpp"
#include "support/traversal_tree.hpp"
#include "temp_root.hpp"

namespace ailab::files {
namespace {

namespace fs = std::filesystem;

class Changes : public ::testing::Test {
protected:
    void SetUp() override {
        testing::write_text(temp_.path() / "a/b.txt", "b");
        testing::write_text(temp_.path() / "c.txt", "c");
        root_ = test::root_over(temp_.path());
    }
    test::TempDir temp_;
    Root root_;
};

TEST_F(Changes, MoveNeverOverwrites) {
    // Bad input: a move onto an existing file and onto the root.
    EXPECT_EQ(status_of(move_entry(root_, "c.txt", "a/b.txt").error()), 409);
    EXPECT_EQ(status_of(move_entry(root_, "c.txt", "").error()), 400);
    ASSERT_TRUE(move_entry(root_, "c.txt", "a/d.txt"));
    EXPECT_TRUE(fs::exists(temp_.path() / "a/d.txt"));
    EXPECT_EQ(status_of(make_folder(root_, "a").error()), 409);
    ASSERT_TRUE(make_folder(root_, "e"));
    EXPECT_TRUE(fs::is_directory(temp_.path() / "e"));
    EXPECT_EQ(status_of(make_folder(root_, "x/y").error()), 404);
}

TEST_F(Changes, TrashAndRestore) {
    auto trashed = trash_entry(root_, "a/b.txt");
    ASSERT_TRUE(trashed) << trashed.error().message;
    EXPECT_TRUE(trashed->starts_with(".ailab-trash/"));
    EXPECT_TRUE(trashed->ends_with("/a/b.txt"));
    EXPECT_FALSE(fs::exists(temp_.path() / "a/b.txt"));
    EXPECT_TRUE(fs::exists(temp_.path() / *trashed));
    // A second file of the same path on the same day goes to another day folder.
    testing::write_text(temp_.path() / "a/b.txt", "b2");
    auto again = trash_entry(root_, "a/b.txt");
    ASSERT_TRUE(again);
    EXPECT_NE(*again, *trashed);
    // Restore refuses while the place is taken, then works.
    testing::write_text(temp_.path() / "a/b.txt", "b3");
    EXPECT_EQ(status_of(restore_entry(root_, *trashed).error()), 409);
    fs::remove(temp_.path() / "a/b.txt");
    auto restored = restore_entry(root_, *trashed);
    ASSERT_TRUE(restored);
    EXPECT_EQ(*restored, "a/b.txt");
    EXPECT_TRUE(fs::exists(temp_.path() / "a/b.txt"));
    // Bad input: not a trash path, the trash itself, the root.
    EXPECT_EQ(status_of(restore_entry(root_, "a/b.txt").error()), 400);
    EXPECT_EQ(status_of(trash_entry(root_, ".ailab-trash").error()), 400);
    EXPECT_EQ(status_of(trash_entry(root_, "").error()), 400);
    EXPECT_EQ(status_of(trash_entry(root_, "missing").error()), 404);
}

TEST_F(Changes, ReadOnlySnapshotFilesStay) {
    // Bad input: moving, trashing a snapshot file, or its folder, or through a link to the folder.
    Root job = root_;
    job.read_only_paths = {"a/b.txt"};
    fs::create_symlink("a", temp_.path() / "link");
    EXPECT_EQ(status_of(move_entry(job, "a/b.txt", "x.txt").error()), 403);
    EXPECT_EQ(status_of(move_entry(job, "a", "z").error()), 403);
    EXPECT_EQ(status_of(trash_entry(job, "a/b.txt").error()), 403);
    EXPECT_EQ(status_of(trash_entry(job, "link/b.txt").error()), 403);
    EXPECT_TRUE(fs::exists(temp_.path() / "a/b.txt"));
    EXPECT_TRUE(trash_entry(job, "c.txt"));  // a file the job wrote may go
}

}  // namespace
}  // namespace ailab::files
