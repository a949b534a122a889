// Projects: config, auto-detected (live) and created projects; names that must be refused; the
// state file; the config file never written.
#include "files/projects.hpp"

#include <gtest/gtest.h>

#include "files/paths.hpp"
#include "support/traversal_tree.hpp"
#include "temp_root.hpp"

namespace ailab::files {
namespace {

namespace fs = std::filesystem;

TEST(Projects, RefusesBadNamesAndExistingFolders) {
    // Bad input: separators, dot names, control characters, an empty name, existing folders.
    test::TempDir temp;
    fs::create_directories(temp.path() / "ws/taken");
    fs::create_directories(temp.path() / "state");
    Projects projects(temp.path() / "ws", {{"configured", temp.path() / "elsewhere"}}, AutoDetect::off,
                      temp.path() / "state");
    const std::vector<std::string> names = {
        "", "a/b", "..", ".", ".hidden", "a\\b", "a\nb", std::string("a\0b", 3), std::string(300, 'x'), "../escape"};
    for (const auto& bad : names) EXPECT_EQ(status_of(projects.create(bad).error()), 400) << bad;
    EXPECT_EQ(status_of(projects.create("taken").error()), 409);
    EXPECT_EQ(status_of(projects.create("configured").error()), 409);
    EXPECT_FALSE(fs::exists(temp.path() / "escape"));
    EXPECT_FALSE(fs::exists(temp.path() / "ws/configured"));
}

TEST(Projects, CreatedProjectsAreRememberedWithoutAutoDetection) {
    test::TempDir temp;
    fs::create_directories(temp.path() / "ws/by-hand");
    fs::create_directories(temp.path() / "state");
    {
        Projects projects(temp.path() / "ws", {}, AutoDetect::off, temp.path() / "state");
        auto made = projects.create("vision");
        ASSERT_TRUE(made) << made.error().message;
        EXPECT_EQ(made->source, ProjectSource::created);
        EXPECT_TRUE(fs::is_directory(temp.path() / "ws/vision"));
        EXPECT_EQ(status_of(projects.create("vision").error()), 409);
    }
    // A new server finds it from the state file; a folder made by hand is no project.
    Projects again(temp.path() / "ws", {}, AutoDetect::off, temp.path() / "state");
    auto list = again.list();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].name, "vision");
    EXPECT_EQ(source_name(list[0].source), "created");
    EXPECT_FALSE(again.find("by-hand"));
}

TEST(Projects, AutoDetectionSeesNewFoldersAtOnce) {
    test::TempDir temp;
    fs::create_directories(temp.path() / "ws/one");
    fs::create_directories(temp.path() / "ws/.hidden");
    testing::write_text(temp.path() / "ws/file.txt", "not a project");
    Projects projects(temp.path() / "ws", {{"one", temp.path() / "cfg"}}, AutoDetect::on, temp.path() / "state");
    auto list = projects.list();
    ASSERT_EQ(list.size(), 1u);  // "one" comes from the config, which wins; no hidden folder, no file
    EXPECT_EQ(list[0].source, ProjectSource::config);
    fs::create_directories(temp.path() / "ws/two");
    list = projects.list();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[1].name, "two");
    EXPECT_EQ(source_name(list[1].source), "auto");
    EXPECT_TRUE(projects.find("two"));
    EXPECT_FALSE(projects.find(".hidden"));
    EXPECT_FALSE(projects.find("file.txt"));
    EXPECT_FALSE(fs::exists(temp.path() / "state/projects.json"));
}

}  // namespace
}  // namespace ailab::files
