// ContentStore: ETags, ranges, content types, saves with preconditions (412), mode kept, atomic
// replacement, FIFOs refused, read-only snapshot files, concurrent saves.
#include "files/content.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>

#include <atomic>
#include <fstream>
#include <thread>

#include "files/paths.hpp"
#include "support/traversal_tree.hpp"
#include "temp_root.hpp"

namespace ailab::files {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

class Content : public ::testing::Test {
protected:
    void SetUp() override {
        testing::write_text(temp_.path() / "a.txt", "hello world");
        root_ = test::root_over(temp_.path());
    }
    test::TempDir temp_;
    Root root_;
    ContentStore store_;
};

TEST_F(Content, EtagIsStableAndChangesWithContent) {
    auto first = store_.read(root_, "a.txt", std::nullopt);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->bytes, "hello world");
    EXPECT_EQ(first->etag.size(), 32u);
    EXPECT_EQ(store_.read(root_, "a.txt", std::nullopt)->etag, first->etag);
    testing::write_text(temp_.path() / "a.txt", "hello world!");
    EXPECT_NE(store_.read(root_, "a.txt", std::nullopt)->etag, first->etag);
}

TEST_F(Content, RangesAndTheirEnds) {
    // Bad input: ranges past the end, suffixes longer than the file, reversed and multiple ranges.
    auto part = store_.read(root_, "a.txt", parse_range("bytes=6-"));
    ASSERT_TRUE(part);
    EXPECT_EQ(part->outcome, ReadOutcome::partial);
    EXPECT_EQ(part->bytes, "world");
    EXPECT_EQ(part->first, 6);
    EXPECT_EQ(part->last, 10);
    EXPECT_FALSE(part->etag.empty());
    EXPECT_EQ(store_.read(root_, "a.txt", parse_range("bytes=-5"))->bytes, "world");
    EXPECT_EQ(store_.read(root_, "a.txt", parse_range("bytes=-50"))->bytes, "hello world");
    EXPECT_EQ(store_.read(root_, "a.txt", parse_range("bytes=0-4"))->bytes, "hello");
    EXPECT_EQ(store_.read(root_, "a.txt", parse_range("bytes=11-"))->outcome, ReadOutcome::unsatisfiable);
    EXPECT_FALSE(parse_range("bytes=5-2"));
    EXPECT_FALSE(parse_range("bytes=0-1,3-4"));
    EXPECT_FALSE(parse_range("items=0-1"));
    EXPECT_FALSE(parse_range("bytes=-"));
}

TEST_F(Content, TypesFromExtensionAndSniff) {
    // Bad input: an HTML page, an SVG, a "png" that is not one, bytes without an extension.
    EXPECT_FALSE(content_type_of("x.html", "<script>").inline_safe);
    EXPECT_FALSE(content_type_of("x.SVG", "<svg>").inline_safe);
    EXPECT_FALSE(content_type_of("x.js", "alert(1)").inline_safe);
    EXPECT_EQ(content_type_of("x.png", "<html>").mime, "application/octet-stream");
    EXPECT_EQ(content_type_of("x.png", "\x89PNG\r\n").mime, "image/png");
    EXPECT_EQ(content_type_of("train.py", "import os").mime, "text/plain; charset=utf-8");
    EXPECT_EQ(content_type_of("blob", std::string("\x7f"
                                                  "ELF\0\0",
                                                  6))
                  .mime,
              "application/octet-stream");
    EXPECT_FALSE(content_type_of("blob", std::string("\x7f"
                                                     "ELF\0\0",
                                                     6))
                     .inline_safe);
}

TEST_F(Content, SaveNeedsTheCurrentEtag) {
    // Bad input: a stale ETag, a create over an existing file, an overwrite of a missing file.
    const auto etag = store_.read(root_, "a.txt", std::nullopt)->etag;
    auto stale = store_.save(root_, "a.txt", Precondition::if_match, "00000000000000000000000000000000", "x");
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->outcome, SaveOutcome::precondition_failed);
    EXPECT_EQ(stale->etag, etag);
    EXPECT_EQ(slurp(temp_.path() / "a.txt"), "hello world");
    EXPECT_EQ(store_.save(root_, "a.txt", Precondition::create_only, "", "x")->outcome,
              SaveOutcome::precondition_failed);
    EXPECT_EQ(store_.save(root_, "new.txt", Precondition::if_match, etag, "x")->outcome,
              SaveOutcome::precondition_failed);
    EXPECT_FALSE(fs::exists(temp_.path() / "new.txt"));
    auto saved = store_.save(root_, "a.txt", Precondition::if_match, etag, "changed");
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->outcome, SaveOutcome::saved);
    EXPECT_EQ(slurp(temp_.path() / "a.txt"), "changed");
    EXPECT_EQ(saved->etag, store_.read(root_, "a.txt", std::nullopt)->etag);
    auto created = store_.save(root_, "new.txt", Precondition::create_only, "", "fresh");
    ASSERT_TRUE(created);
    EXPECT_EQ(created->outcome, SaveOutcome::saved);
    EXPECT_EQ(slurp(temp_.path() / "new.txt"), "fresh");
    // No temporary file is left behind.
    for (const auto& entry : fs::directory_iterator(temp_.path()))
        EXPECT_EQ(entry.path().filename().string().find(".ailab-save-"), std::string::npos);
}

TEST_F(Content, SaveKeepsTheMode) {
    fs::permissions(temp_.path() / "a.txt", fs::perms(0750));
    const auto etag = store_.read(root_, "a.txt", std::nullopt)->etag;
    ASSERT_EQ(store_.save(root_, "a.txt", Precondition::if_match, etag, "#!/bin/sh\n")->outcome, SaveOutcome::saved);
    EXPECT_EQ(static_cast<int>(fs::status(temp_.path() / "a.txt").permissions()), 0750);
}

TEST_F(Content, RefusesFifosLinksFoldersAndReadOnlyFiles) {
    // Bad input: a FIFO (a read would block), a link as the saved name, a folder, a snapshot file.
    ASSERT_EQ(::mkfifo((temp_.path() / "pipe").c_str(), 0644), 0);
    EXPECT_EQ(status_of(store_.read(root_, "pipe", std::nullopt).error()), 403);
    EXPECT_EQ(status_of(store_.save(root_, "pipe", Precondition::if_match, "x", "y").error()), 403);
    fs::create_symlink("a.txt", temp_.path() / "alias");
    EXPECT_EQ(status_of(store_.save(root_, "alias", Precondition::if_match, "x", "y").error()), 400);
    fs::create_directory(temp_.path() / "folder");
    EXPECT_EQ(status_of(store_.read(root_, "folder", std::nullopt).error()), 400);
    Root job = root_;
    job.read_only_paths = {"a.txt"};
    const auto etag = store_.read(job, "a.txt", std::nullopt)->etag;
    EXPECT_EQ(status_of(store_.save(job, "a.txt", Precondition::if_match, etag, "y").error()), 403);
    // The same file through a link to its folder is still read-only.
    fs::create_symlink(".", temp_.path() / "here");
    EXPECT_EQ(status_of(store_.save(job, "here/a.txt", Precondition::if_match, etag, "y").error()), 403);
    EXPECT_EQ(slurp(temp_.path() / "a.txt"), "hello world");
}

TEST_F(Content, AFailedWriteLeavesTheOldFileIntact) {
    // Bad input: a save that cannot be written whole. A full disk is simulated with RLIMIT_FSIZE
    // (the write fails with EFBIG instead of ENOSPC, on the same code path).
    const auto etag = store_.read(root_, "a.txt", std::nullopt)->etag;
    struct rlimit old_limit {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old_limit;
    small.rlim_cur = 4096;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    auto saved = store_.save(root_, "a.txt", Precondition::if_match, etag, std::string(1 << 20, 'x'));
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);
    ASSERT_FALSE(saved);
    EXPECT_EQ(status_of(saved.error()), 413);
    EXPECT_EQ(slurp(temp_.path() / "a.txt"), "hello world");
    for (const auto& entry : fs::directory_iterator(temp_.path()))
        EXPECT_EQ(entry.path().filename().string().find(".ailab-save-"), std::string::npos);
}

TEST_F(Content, ConcurrentSavesWithOneEtagLetOneWin) {
    // Bad input: eight clients that all read the same version and all save.
    const auto etag = store_.read(root_, "a.txt", std::nullopt)->etag;
    std::atomic<int> saved{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            auto result = store_.save(root_, "a.txt", Precondition::if_match, etag, "writer " + std::to_string(i));
            if (result && result->outcome == SaveOutcome::saved) ++saved;
            if (result && result->outcome == SaveOutcome::precondition_failed) ++refused;
        });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(saved.load(), 1);
    EXPECT_EQ(refused.load(), 7);
    EXPECT_EQ(slurp(temp_.path() / "a.txt").rfind("writer ", 0), 0u);
}

}  // namespace
}  // namespace ailab::files
