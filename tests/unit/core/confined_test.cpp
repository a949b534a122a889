// Confined paths: links in and out, absolute links, "..", loops, FIFOs and devices, renames and
// folder creation; every case on both code paths (openat2 where the kernel has it, and the walk).
#include "core/confined.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

using namespace ailab::core;
namespace fs = std::filesystem;

namespace {

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "ailab-confined-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = fs::canonical(pattern);
    }
    ~TempDir() {
        std::error_code error;
        fs::remove_all(path_, error);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

void write_file(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

std::string text_of(const Result<std::string>& result) { return result ? *result : "error: " + result.error().message; }

bool refused_as_leaving(const Error& error) {
    return error.is(boost::system::errc::cross_device_link) &&
           error.message.find("leaves the root") != std::string::npos;
}

// base/root is the confined root; base/outside holds what must never be reached.
class Confined : public ::testing::TestWithParam<Resolver> {
protected:
    void SetUp() override {
        write_file(root() / "a/b/file", "inside");
        write_file(outside() / "secret", "secret");
        auto opened = ConfinedRoot::open(root(), GetParam());
        ASSERT_TRUE(opened) << opened.error().message;
        confined_.emplace(std::move(*opened));
    }
    fs::path root() const { return base_.path() / "root"; }
    fs::path outside() const { return base_.path() / "outside"; }
    void link(const fs::path& target, const std::string& name) { fs::create_symlink(target, root() / name); }
    const ConfinedRoot& confined() const { return *confined_; }

    TempDir base_;
    std::optional<ConfinedRoot> confined_;
};

TEST_P(Confined, OpensWhatIsBeneathTheRoot) {
    EXPECT_EQ(confined().resolver(), GetParam());
    EXPECT_EQ(confined().path(), root());
    EXPECT_EQ(text_of(confined().read_file("a/b/file")), "inside");
    EXPECT_EQ(text_of(confined().read_file("a/./b/../b//file")), "inside");
    EXPECT_EQ(text_of(confined().read_file("a/b/../../a/b/file")), "inside");
    EXPECT_TRUE(confined().open_folder("a/b"));
    EXPECT_TRUE(confined().open_folder(""));
    EXPECT_TRUE(confined().open_folder("a/.."));
    EXPECT_TRUE(confined().open_folder("a/b/"));
    auto missing = confined().open_file("a/missing", O_RDONLY);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(boost::system::errc::no_such_file_or_directory));
    auto not_folder = confined().open_folder("a/b/file");
    ASSERT_FALSE(not_folder);
    EXPECT_TRUE(not_folder.error().is(boost::system::errc::not_a_directory));
}

TEST_P(Confined, RefusesAbsolutePathsNulAndClimbingAboveTheRoot) {
    auto absolute = confined().read_file((outside() / "secret").string());
    ASSERT_FALSE(absolute);
    EXPECT_TRUE(absolute.error().is(boost::system::errc::invalid_argument));
    auto nul = confined().read_file(std::string_view("a/b/file\0x", 10));
    ASSERT_FALSE(nul);
    EXPECT_TRUE(nul.error().is(boost::system::errc::invalid_argument));
    for (const char* path : {"../outside/secret", "a/../../outside/secret", "a/b/../../../outside/secret", ".."}) {
        auto result = confined().open_file(path, O_RDONLY);
        ASSERT_FALSE(result) << path;
        EXPECT_TRUE(refused_as_leaving(result.error())) << path << ": " << result.error().message;
    }
}

TEST_P(Confined, FollowsLinksThatStayInside) {
    link("a/b/file", "relative_link");
    link("..", "a/up");                          // a/up is the root again
    link(root() / "a/b/file", "absolute_link");  // absolute, naming the root's own path
    link(root() / "a", "absolute_folder");
    link("../../relative_link", "a/b/chain");  // a link to a link
    EXPECT_EQ(text_of(confined().read_file("relative_link")), "inside");
    EXPECT_EQ(text_of(confined().read_file("a/up/a/up/a/b/file")), "inside");
    EXPECT_EQ(text_of(confined().read_file("absolute_link")), "inside");
    EXPECT_EQ(text_of(confined().read_file("absolute_folder/b/file")), "inside");
    EXPECT_EQ(text_of(confined().read_file("a/b/chain")), "inside");
    EXPECT_TRUE(confined().open_folder("absolute_folder/b"));
    // O_NOFOLLOW still refuses a link in the last component, as open(2) does.
    auto no_follow = confined().open_file("relative_link", O_RDONLY | O_NOFOLLOW);
    ASSERT_FALSE(no_follow);
    EXPECT_TRUE(no_follow.error().is(boost::system::errc::too_many_symbolic_link_levels));
}

TEST_P(Confined, RefusesLinksThatLeave) {
    link("../outside/secret", "relative_out");
    link(outside() / "secret", "absolute_out");
    link(outside(), "folder_out");
    link("../../../outside", "a/b/deep_out");
    fs::create_directories(base_.path() / "root2");
    write_file(base_.path() / "root2/file", "neighbour");
    link(base_.path() / "root2/file", "prefix_out");  // "<base>/root2" starts with "<base>/root" as text
    link("/etc/passwd", "system_out");
    for (const char* path :
         {"relative_out", "absolute_out", "folder_out/secret", "a/b/deep_out/secret", "prefix_out", "system_out"}) {
        auto result = confined().read_file(path);
        ASSERT_FALSE(result) << path << " read " << *result;
        EXPECT_TRUE(refused_as_leaving(result.error())) << path << ": " << result.error().message;
    }
    auto folder = confined().open_folder("folder_out");
    ASSERT_FALSE(folder);
    EXPECT_TRUE(refused_as_leaving(folder.error()));
}

TEST_P(Confined, LoopsEndInEloop) {
    link("loop2", "loop1");
    link("loop1", "loop2");
    link("self", "self");
    for (const char* path : {"loop1", "self", "self/x", "loop2/a"}) {
        auto result = confined().open_file(path, O_RDONLY);
        ASSERT_FALSE(result) << path;
        EXPECT_TRUE(result.error().is(boost::system::errc::too_many_symbolic_link_levels)) << result.error().message;
    }
    // A chain of 30 links is fine; one of 50 is too long.
    link("a/b/file", "chain0");
    for (int i = 1; i < 50; ++i) link("chain" + std::to_string(i - 1), "chain" + std::to_string(i));
    EXPECT_EQ(text_of(confined().read_file("chain29")), "inside");
    auto long_chain = confined().read_file("chain49");
    ASSERT_FALSE(long_chain);
    EXPECT_TRUE(long_chain.error().is(boost::system::errc::too_many_symbolic_link_levels));
}

TEST_P(Confined, ReadsOnlyRegularFilesAndNeverBlocks) {
    ASSERT_EQ(::mkfifo((root() / "fifo").c_str(), 0600), 0);
    link("fifo", "fifo_link");
    link("/dev/zero", "zero");
    auto started = std::chrono::steady_clock::now();
    for (const char* path : {"fifo", "fifo_link"}) {
        auto result = confined().read_file(path);
        ASSERT_FALSE(result) << path;
        EXPECT_NE(result.error().message.find("not a regular file"), std::string::npos) << result.error().message;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
    auto zero = confined().read_file("zero");  // a device linked in: the link leaves the root
    ASSERT_FALSE(zero);
    EXPECT_TRUE(refused_as_leaving(zero.error()));
    EXPECT_FALSE(confined().read_file("a"));  // a folder is no regular file either
    // A device node inside the root (needs the privilege to make one).
    if (::mknod((root() / "zero_device").c_str(), S_IFCHR | 0600, makedev(1, 5)) == 0) {
        auto device = confined().read_file("zero_device");
        ASSERT_FALSE(device);
        EXPECT_NE(device.error().message.find("not a regular file"), std::string::npos);
    }
    write_file(root() / "long", std::string(10000, 'x'));
    EXPECT_EQ(text_of(confined().read_file("long", 100)), std::string(100, 'x'));
}

TEST_P(Confined, CreatesOnlyBeneathTheRoot) {
    link("a/b/new_target", "dangling_in");
    link("../outside/planted", "dangling_out");
    auto created = confined().open_file("dangling_in", O_WRONLY | O_CREAT, 0600);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_TRUE(fs::exists(root() / "a/b/new_target"));
    auto planted = confined().open_file("dangling_out", O_WRONLY | O_CREAT, 0600);
    ASSERT_FALSE(planted);
    EXPECT_TRUE(refused_as_leaving(planted.error()));
    EXPECT_FALSE(fs::exists(outside() / "planted"));
    // O_CREAT | O_EXCL does not follow a link, whatever it points at.
    auto exclusive = confined().open_file("dangling_in", O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_FALSE(exclusive);
    EXPECT_TRUE(exclusive.error().is(boost::system::errc::file_exists));
}

TEST_P(Confined, MakeFoldersStaysBeneathTheRoot) {
    ASSERT_TRUE(confined().make_folders("x/y/z"));
    EXPECT_TRUE(fs::is_directory(root() / "x/y/z"));
    ASSERT_TRUE(confined().make_folders("x/y/z"));  // existing is fine
    link("a", "folder_in");
    ASSERT_TRUE(confined().make_folders("folder_in/new/deeper"));
    EXPECT_TRUE(fs::is_directory(root() / "a/new/deeper"));
    link(outside(), "folder_out");
    auto out = confined().make_folders("folder_out/new");
    ASSERT_FALSE(out);
    EXPECT_TRUE(refused_as_leaving(out.error()));
    EXPECT_FALSE(fs::exists(outside() / "new"));
    auto climbing = confined().make_folders("../outside/new");
    ASSERT_FALSE(climbing);
    EXPECT_FALSE(fs::exists(outside() / "new"));
    EXPECT_FALSE(confined().make_folders("a/b/file/sub"));  // a file is in the way
}

TEST_P(Confined, RenamesNeverReplaceAndNeverLeave) {
    write_file(root() / "run/log", "run");
    ASSERT_TRUE(confined().make_folders("trash/day"));
    ASSERT_TRUE(confined().rename_noreplace("run", "trash/day/run"));
    EXPECT_TRUE(fs::exists(root() / "trash/day/run/log"));
    EXPECT_FALSE(fs::exists(root() / "run"));
    // Never replaces, not even an empty folder.
    fs::create_directories(root() / "run");
    auto replace = confined().rename_noreplace("trash/day/run", "run");
    ASSERT_FALSE(replace);
    EXPECT_TRUE(replace.error().is(boost::system::errc::file_exists)) << replace.error().message;
    EXPECT_TRUE(fs::exists(root() / "trash/day/run/log"));
    // Neither the source nor the target may resolve outside.
    link(outside(), "folder_out");
    auto from_out = confined().rename_noreplace("folder_out/secret", "stolen");
    ASSERT_FALSE(from_out);
    EXPECT_TRUE(refused_as_leaving(from_out.error()));
    EXPECT_TRUE(fs::exists(outside() / "secret"));
    auto to_out = confined().rename_noreplace("trash/day/run", "folder_out/run");
    ASSERT_FALSE(to_out);
    EXPECT_TRUE(refused_as_leaving(to_out.error()));
    EXPECT_FALSE(fs::exists(outside() / "run"));
    auto climbing = confined().rename_noreplace("../outside/secret", "stolen");
    ASSERT_FALSE(climbing);
    EXPECT_FALSE(fs::exists(root() / "stolen"));
    // The last component is moved itself: a link is moved, not what it points at.
    ASSERT_TRUE(confined().rename_noreplace("folder_out", "trash/day/folder_out"));
    EXPECT_TRUE(fs::is_symlink(root() / "trash/day/folder_out"));
    EXPECT_TRUE(fs::exists(outside() / "secret"));
    EXPECT_FALSE(confined().rename_noreplace("trash/day/run", "a/.."));
}

INSTANTIATE_TEST_SUITE_P(BothResolvers, Confined, ::testing::Values(Resolver::automatic, Resolver::walk),
                         [](const auto& info) { return info.param == Resolver::walk ? "walk" : "automatic"; });

TEST(ConfinedRoot, OpenFailsForAMissingRoot) {
    auto root = ConfinedRoot::open("/nonexistent/ailab/root");
    ASSERT_FALSE(root);
    EXPECT_TRUE(root.error().is(boost::system::errc::no_such_file_or_directory));
}

TEST(ConfinedRoot, SplitParent) {
    EXPECT_EQ(*split_parent("a/b/c"), (std::pair<std::string, std::string>("a/b", "c")));
    EXPECT_EQ(*split_parent("c/"), (std::pair<std::string, std::string>("", "c")));
    EXPECT_FALSE(split_parent(""));
    EXPECT_FALSE(split_parent("a/.."));
    EXPECT_FALSE(split_parent("a/."));
    EXPECT_FALSE(split_parent("/a"));
}

}  // namespace
