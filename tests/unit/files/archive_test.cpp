// FolderArchive: a folder beneath a confined root as .tar.gz, checked by extracting it with GNU tar
// (a real reader, not our own). Bad input it tries: a link that leaves the root (stored as a link,
// its target's content never read), a FIFO in the folder (skipped, the walk does not block), names
// past ustar's 100/155-byte fields (pax records), an archive of a link out of the root, of a file
// and of a missing folder.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <random>

#include "files/archive.hpp"
#include "test_tree.hpp"

using namespace ailab;
using namespace ailab::files;
using namespace ailab::files::testing;

namespace {

// Runs the archive to its end and writes it to `file`; returns the chunk count.
std::size_t write_archive(FolderArchive& archive, const fs::path& file) {
    std::ofstream out(file, std::ios::binary);
    std::size_t chunks = 0;
    while (auto chunk = archive.next_chunk()) {
        out << *chunk;
        ++chunks;
    }
    return chunks;
}

std::string long_name(char letter, std::size_t length) { return std::string(length, letter); }

class ArchiveTest : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        tree.write("data/a.txt", "alpha\n");
        tree.write("data/empty.txt", "");
        std::string big(300 * 1024 + 17, '\0');
        std::mt19937 random(42);  // incompressible, so the archive takes several chunks
        for (auto& byte : big) byte = static_cast<char>(random());
        tree.write("data/sub/big.bin", big);
        big_ = big;
        deep_ = "data/" + long_name('d', 120) + "/" + long_name('e', 90) + "/" + long_name('f', 110) + ".txt";
        tree.write(deep_, "deep\n");
        tree.write(".ailab-trash/2026-11-27/old.txt", "trash\n");
        fs::create_directory_symlink("sub", tree.root() / "data/link-in");
        fs::create_symlink("../../outside/secret.txt", tree.root() / "data/link-out");
        fs::create_symlink(tree.outside() / "secret.txt", tree.root() / "data/link-out-absolute");
        fs::create_symlink(long_name('t', 150), tree.root() / "data/long-target");
        std::ofstream(tree.outside() / "secret.txt") << "TOP-SECRET-CONTENT\n";
        ASSERT_EQ(::mkfifo((tree.root() / "data/pipe").c_str(), 0600), 0);
        roots = std::make_unique<TestRoots>(tree.root());
    }
    TestTree tree;
    std::unique_ptr<TestRoots> roots;
    std::string big_;
    std::string deep_;
};

}  // namespace

TEST_P(ArchiveTest, AFolderRoundTripsThroughGnuTar) {
    const auto root = roots->resolve(GetParam()).value();
    ArchiveOptions small_chunks;
    small_chunks.chunk_bytes = 16 * 1024;  // many chunks, so files straddle them
    auto archive = FolderArchive::open(root.folder, "data", "data", small_chunks).value();
    const auto file = tree.base() / "out.tar.gz";
    EXPECT_GT(write_archive(*archive, file), 3u);
    EXPECT_EQ(archive->counts().files, 4u);
    EXPECT_EQ(archive->counts().links, 4u);
    EXPECT_EQ(archive->counts().skipped, 1u);  // the FIFO

    int status = 0;
    const auto listing = run_command("tar -tvzf " + file.string(), status);
    ASSERT_EQ(status, 0) << listing;
    EXPECT_EQ(listing.find("pipe"), std::string::npos) << listing;
    const auto raw = run_command("gzip -dc " + file.string(), status);
    ASSERT_EQ(status, 0);
    EXPECT_EQ(raw.find("TOP-SECRET"), std::string::npos);  // the link out is only its target text

    const auto into = tree.base() / "extracted";
    fs::create_directories(into);
    run_command("tar -xzf " + file.string() + " -C " + into.string() + " 2>&1", status);
    ASSERT_EQ(status, 0);
    EXPECT_EQ(tree.read(into / "data/a.txt"), "alpha\n");
    EXPECT_TRUE(fs::is_regular_file(into / "data/empty.txt"));
    EXPECT_EQ(fs::file_size(into / "data/empty.txt"), 0u);
    EXPECT_EQ(tree.read(into / "data/sub/big.bin"), big_);
    EXPECT_EQ(tree.read(into / deep_), "deep\n");
    EXPECT_TRUE(fs::is_symlink(into / "data/link-in"));
    EXPECT_EQ(fs::read_symlink(into / "data/link-in"), "sub");
    EXPECT_TRUE(fs::is_symlink(into / "data/link-out"));
    EXPECT_EQ(fs::read_symlink(into / "data/link-out"), "../../outside/secret.txt");
    EXPECT_EQ(fs::read_symlink(into / "data/link-out-absolute"), tree.outside() / "secret.txt");
    EXPECT_EQ(fs::read_symlink(into / "data/long-target"), long_name('t', 150));
    EXPECT_FALSE(fs::exists(into / "data/pipe"));
}

TEST_P(ArchiveTest, TheRootLeavesOutItsTrash) {
    const auto root = roots->resolve(GetParam()).value();
    auto archive = FolderArchive::open(root.folder, "", "p").value();
    const auto file = tree.base() / "root.tar.gz";
    write_archive(*archive, file);
    int status = 0;
    const auto listing = run_command("tar -tzf " + file.string(), status);
    ASSERT_EQ(status, 0);
    EXPECT_NE(listing.find("p/data/a.txt\n"), std::string::npos) << listing;
    EXPECT_EQ(listing.find(".ailab-trash"), std::string::npos) << listing;
}

TEST_P(ArchiveTest, BadStartsAreRefused) {
    const auto root = roots->resolve(GetParam()).value();
    // Bad input: a link to a folder outside the root, as the folder to archive.
    fs::create_directory_symlink(tree.outside(), tree.root() / "escape");
    auto escape = FolderArchive::open(root.folder, "escape", "escape");
    ASSERT_FALSE(escape);
    EXPECT_TRUE(escape.error().is(boost::system::errc::cross_device_link)) << escape.error().message;
    // Bad input: a file, not a folder; a folder that does not exist.
    EXPECT_TRUE(FolderArchive::open(root.folder, "data/a.txt", "a").error().is(boost::system::errc::not_a_directory));
    EXPECT_TRUE(
        FolderArchive::open(root.folder, "nothing", "n").error().is(boost::system::errc::no_such_file_or_directory));
}

INSTANTIATE_TEST_SUITE_P(Resolvers, ArchiveTest, ::testing::Values("project:p", "project:w"));
