// The content-addressed blob store on a real file system: complete read-only blobs or nothing,
// bytes checked against their hash, and a full disk that leaves nothing behind.
#include "jobs/blobs.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../sync/sync_test_util.hpp"
#include "disk_full.hpp"
#include "sync/hash.hpp"

namespace ailab::jobs {
namespace {

using sync::testing::read_file;
using sync::testing::TempFolder;
using sync::testing::write_file;

// Every regular file below `root` (blobs and temporary files alike).
std::vector<std::filesystem::path> files_below(const std::filesystem::path& root) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
        if (entry.is_regular_file()) files.push_back(entry.path());
    return files;
}

TEST(Blobs, PutStoresACompleteReadOnlyBlobOnce) {
    TempFolder folder;
    BlobStore store(folder / "queue/blobs");  // created when missing
    const std::string data = "print('hello')\n";
    const std::string hash = sync::hash_bytes(data);
    EXPECT_FALSE(store.has(hash));

    auto outcome = store.put(hash, data);
    ASSERT_TRUE(outcome) << outcome.error().message;
    EXPECT_EQ(*outcome, PutOutcome::stored);
    EXPECT_TRUE(store.has(hash));
    const auto path = store.path_of(hash);
    EXPECT_EQ(path, folder / "queue/blobs" / hash.substr(0, 2) / hash.substr(2));
    EXPECT_EQ(read_file(path), data);
    struct stat status {};
    ASSERT_EQ(::stat(path.c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0444u);

    outcome = store.put(hash, data);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(*outcome, PutOutcome::already_there);
    EXPECT_EQ(files_below(store.root()).size(), 1u);  // no temporary file stays
}

TEST(Blobs, MissingKeepsOrderAndNamesEachHashOnce) {
    TempFolder folder;
    BlobStore store(folder / "blobs");
    const std::string a = sync::hash_bytes("a"), b = sync::hash_bytes("b"), c = sync::hash_bytes("c");
    ASSERT_TRUE(store.put(b, "b"));
    EXPECT_EQ(store.missing({c, b, a, c, a}), (std::vector<std::string>{c, a}));
    EXPECT_TRUE(store.missing({b, b}).empty());
    // Bad input: text that is not a hash is never "stored".
    EXPECT_EQ(store.missing({"../../etc/passwd"}), (std::vector<std::string>{"../../etc/passwd"}));
    EXPECT_FALSE(store.has("../../etc/passwd"));
    EXPECT_TRUE(store.path_of("..").empty());
}

TEST(Blobs, RefusesBytesThatDoNotMatchTheirHash) {
    // Bad input: a blob whose bytes hash to something else, and a hash that is not hex.
    TempFolder folder;
    BlobStore store(folder / "blobs");
    const std::string claimed = sync::hash_bytes("what the manifest said");
    auto outcome = store.put(claimed, "other bytes");
    ASSERT_FALSE(outcome);
    EXPECT_TRUE(outcome.error().is(boost::system::errc::invalid_argument));
    EXPECT_NE(outcome.error().message.find(sync::hash_bytes("other bytes")), std::string::npos);
    EXPECT_NE(outcome.error().message.find(claimed), std::string::npos);
    EXPECT_FALSE(store.has(claimed));

    outcome = store.put("../" + std::string(61, 'a'), "x");
    ASSERT_FALSE(outcome);
    EXPECT_NE(outcome.error().message.find("is not a blob hash"), std::string::npos);
    EXPECT_TRUE(files_below(store.root()).empty());
}

TEST(Blobs, PutFileHashesWhileCopying) {
    TempFolder folder;
    BlobStore store(folder / "blobs");
    std::string data;
    for (int i = 0; i < 200'000; ++i) data += std::to_string(i) + "\n";  // ~1.3 MB: several reads
    write_file(folder / "project/weights.txt", data);
    auto hash = store.put_file(folder / "project/weights.txt");
    ASSERT_TRUE(hash) << hash.error().message;
    EXPECT_EQ(*hash, sync::hash_bytes(data));
    EXPECT_EQ(read_file(store.path_of(*hash)), data);
    // Again: the same hash, still one file.
    hash = store.put_file(folder / "project/weights.txt");
    ASSERT_TRUE(hash);
    EXPECT_EQ(files_below(store.root()).size(), 1u);

    // Bad input: a file that does not exist, and a link (never followed).
    auto missing = store.put_file(folder / "project/nope.txt");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("nope.txt"), std::string::npos);
    std::filesystem::create_symlink("weights.txt", folder / "project/link.txt");
    EXPECT_FALSE(store.put_file(folder / "project/link.txt"));
}

TEST(Blobs, AWriteErrorLeavesNothingBehind) {
    // Bad input: a disk that fills up (RLIMIT_FSIZE 64 KiB, SIGXFSZ ignored: write gives EFBIG).
    TempFolder folder;
    BlobStore store(folder / "blobs");
    const std::string data(1 << 20, 'x');
    const std::string hash = sync::hash_bytes(data);
    write_file(folder / "big.bin", data);
    {
        testing::FileSizeLimit limit(64 << 10);
        auto outcome = store.put(hash, data);
        ASSERT_FALSE(outcome);
        EXPECT_TRUE(outcome.error().is(boost::system::errc::file_too_large)) << outcome.error().message;
        EXPECT_NE(outcome.error().message.find("cannot store a blob in " + store.root().string()), std::string::npos)
            << outcome.error().message;
        auto stored = store.put_file(folder / "big.bin");
        ASSERT_FALSE(stored);
        EXPECT_NE(stored.error().message.find(store.root().string()), std::string::npos);
    }
    EXPECT_FALSE(store.has(hash));
    EXPECT_TRUE(files_below(store.root()).empty());  // no partial blob, no temporary file
    // With room again, the same put works.
    ASSERT_TRUE(store.put(hash, data));
    EXPECT_EQ(read_file(store.path_of(hash)), data);
}

TEST(Blobs, AFullTmpfsLeavesNothingBehind) {
    // Bad input: a real ENOSPC, on a 64 KiB tmpfs mounted in a child's own mount namespace.
    TempFolder folder;
    write_file(folder / "big.bin", std::string(1 << 20, 'y'));
    const std::string result = testing::in_tiny_tmpfs(folder / "mnt", [&](const std::filesystem::path& mount) {
        BlobStore store(mount / "blobs");
        const std::string data(1 << 20, 'x');
        auto outcome = store.put(sync::hash_bytes(data), data);
        if (outcome) return std::string("a 1 MiB put into 64 KiB succeeded");
        if (!outcome.error().is(boost::system::errc::no_space_on_device))
            return "not ENOSPC: " + outcome.error().message;
        if (outcome.error().message.find(store.root().string()) == std::string::npos)
            return "the error does not name the store: " + outcome.error().message;
        if (store.put_file(folder / "big.bin")) return std::string("put_file into 64 KiB succeeded");
        if (!files_below(store.root()).empty()) return std::string("a file stayed behind");
        // A small blob still fits: the store is consistent.
        if (!store.put(sync::hash_bytes("small"), "small")) return std::string("a small put failed");
        return std::string();
    });
    if (result.rfind("skip:", 0) == 0) GTEST_SKIP() << result;
    EXPECT_EQ(result, "");
}

TEST(Blobs, ConcurrentPutsOfTheSameBlobStoreItOnce) {
    TempFolder folder;
    BlobStore store(folder / "blobs");
    const std::string data(300'000, 'z');
    const std::string hash = sync::hash_bytes(data);
    std::atomic<int> stored{0}, failed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            auto outcome = store.put(hash, data);
            if (!outcome)
                ++failed;
            else if (*outcome == PutOutcome::stored)
                ++stored;
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(stored.load(), 1);  // RENAME_NOREPLACE: the others find it there
    EXPECT_EQ(files_below(store.root()).size(), 1u);
    EXPECT_EQ(read_file(store.path_of(hash)), data);
}

TEST(Blobs, StaleTemporaryFilesAreRemovedAtStart) {
    // Bad input: what a crash mid-put leaves behind (a temporary file two hours old).
    TempFolder folder;
    write_file(folder / "blobs/incoming/123.0.deadbeef", "partial");
    write_file(folder / "blobs/incoming/124.0.cafe", "in flight");
    timespec old_times[2] = {{::time(nullptr) - 7200, 0}, {::time(nullptr) - 7200, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (folder / "blobs/incoming/123.0.deadbeef").c_str(), old_times, 0), 0);
    BlobStore store(folder / "blobs");
    EXPECT_FALSE(std::filesystem::exists(folder / "blobs/incoming/123.0.deadbeef"));
    EXPECT_TRUE(std::filesystem::exists(folder / "blobs/incoming/124.0.cafe"));  // may be another put's
}

}  // namespace
}  // namespace ailab::jobs
