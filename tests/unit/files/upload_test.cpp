// Resumable uploads beneath a confined root. Bad input it tries: a chunk at the wrong offset, a
// chunk past the total, an upload onto an existing file (never overwritten), a folder that is a
// link out of the root, a partial file swapped for a link out, two writers at once, a name that
// pretends to be a partial file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>

#include "files/upload.hpp"
#include "test_tree.hpp"

using namespace ailab;
using namespace ailab::files;
using namespace ailab::files::testing;
using boost::system::errc::errc_t;

namespace {

class UploadTest : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        fs::create_directories(tree.root() / "in");
        roots = std::make_unique<TestRoots>(tree.root());
        root = roots->resolve(GetParam()).value();
    }
    core::Result<UploadAnswer> send(std::string_view path, std::uint64_t offset, std::uint64_t total,
                                    std::string_view bytes) {
        return receive_upload_chunk(*root.folder, UploadChunk{path, offset, total, bytes});
    }
    TestTree tree;
    std::unique_ptr<TestRoots> roots;
    Root root;
};

}  // namespace

TEST_P(UploadTest, ChunksCollectInThePartialFileAndTheLastOneRenamesIt) {
    auto first = send("in/x.bin", 0, 10, "0123").value();
    EXPECT_EQ(first.received, 4u);
    EXPECT_EQ(first.state, UploadState::partial);
    EXPECT_EQ(tree.read(tree.root() / "in/.ailab-upload-x.bin"), "0123");
    EXPECT_FALSE(fs::exists(tree.root() / "in/x.bin"));
    // Bad input: a retry at an offset the server does not hold (the client thought it sent more).
    auto mismatch = send("in/x.bin", 8, 10, "89").value();
    EXPECT_EQ(mismatch.state, UploadState::offset_mismatch);
    EXPECT_EQ(mismatch.received, 4u);
    // Bad input: a chunk that runs past the total.
    EXPECT_TRUE(send("in/x.bin", 4, 10, "4567890").error().is(errc_t::invalid_argument));
    EXPECT_EQ(send("in/x.bin", 4, 10, "4567").value().received, 8u);
    auto last = send("in/x.bin", 8, 10, "89").value();
    EXPECT_EQ(last.state, UploadState::complete);
    EXPECT_EQ(last.received, 10u);
    EXPECT_EQ(tree.read(tree.root() / "in/x.bin"), "0123456789");
    EXPECT_FALSE(fs::exists(tree.root() / "in/.ailab-upload-x.bin"));
}

TEST_P(UploadTest, AnEmptyFileCompletesAtOnce) {
    EXPECT_EQ(send("empty", 0, 0, "").value().state, UploadState::complete);
    EXPECT_TRUE(fs::is_regular_file(tree.root() / "empty"));
}

TEST_P(UploadTest, AnExistingFileIsNeverOverwritten) {
    // Bad input: an upload onto a file that exists, before the first byte and at the final rename.
    tree.write("in/taken.txt", "mine");
    EXPECT_TRUE(send("in/taken.txt", 0, 3, "new").error().is(errc_t::file_exists));
    EXPECT_EQ(tree.read(tree.root() / "in/taken.txt"), "mine");
    EXPECT_EQ(send("in/late.txt", 0, 6, "abc").value().received, 3u);
    tree.write("in/late.txt", "someone else");
    EXPECT_TRUE(send("in/late.txt", 3, 6, "def").error().is(errc_t::file_exists));
    EXPECT_EQ(tree.read(tree.root() / "in/late.txt"), "someone else");
}

TEST_P(UploadTest, PathsOutOfTheRootAreRefused) {
    // Bad input: a folder that is a link out of the root; a partial file planted as a link out.
    fs::create_directory_symlink(tree.outside(), tree.root() / "escape");
    EXPECT_TRUE(send("escape/x", 0, 1, "x").error().is(errc_t::cross_device_link));
    EXPECT_TRUE(fs::is_empty(tree.outside()));
    fs::create_symlink(tree.outside() / "planted", tree.root() / "in/.ailab-upload-y");
    EXPECT_FALSE(send("in/y", 0, 1, "y"));
    EXPECT_FALSE(fs::exists(tree.outside() / "planted"));
    // Bad input: a name that is itself a partial file's, and a missing folder.
    EXPECT_TRUE(send("in/.ailab-upload-z", 0, 1, "z").error().is(errc_t::invalid_argument));
    EXPECT_TRUE(send("missing/z", 0, 1, "z").error().is(errc_t::no_such_file_or_directory));
}

TEST_P(UploadTest, ASecondWriterIsRefusedWhileTheFirstHoldsTheUpload) {
    ASSERT_EQ(send("in/busy", 0, 4, "ab").value().received, 2u);
    // Stand in for a request that is still writing: hold the partial file's lock.
    const int held = ::open((tree.root() / "in/.ailab-upload-busy").c_str(), O_RDONLY);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX), 0);
    EXPECT_TRUE(send("in/busy", 2, 4, "cd").error().is(errc_t::device_or_resource_busy));
    ::close(held);
    EXPECT_EQ(send("in/busy", 2, 4, "cd").value().state, UploadState::complete);
}

INSTANTIATE_TEST_SUITE_P(Resolvers, UploadTest, ::testing::Values("project:p", "project:w"));
