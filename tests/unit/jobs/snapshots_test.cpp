// Snapshots on real folders: the same files give the same id, a job's copy is its own (editing it
// leaves the read-only blob alone), modes, folders and links come back, and failures name the file.
#include "jobs/snapshots.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "../sync/sync_test_util.hpp"
#include "disk_full.hpp"
#include "sync/hash.hpp"

namespace ailab::jobs {
namespace {

using sync::testing::read_file;
using sync::testing::TempFolder;
using sync::testing::write_file;

std::uint32_t mode_of(const std::filesystem::path& path) {
    struct stat status {};
    EXPECT_EQ(::lstat(path.c_str(), &status), 0) << path;
    return status.st_mode & 07777;
}

void write_project(const std::filesystem::path& root) {
    write_file(root / "train.py", "import model\n");
    write_file(root / "model/net.py", "class Net: pass\n");
    write_file(root / "model/copy_of_net.py", "class Net: pass\n");  // the same blob twice
    write_file(root / "scripts/run.sh", "#!/bin/sh\npython train.py\n");
    std::filesystem::permissions(root / "scripts/run.sh", std::filesystem::perms(0755));
    write_file(root / "config/readonly.yaml", "lr: 0.1\n");
    std::filesystem::permissions(root / "config/readonly.yaml", std::filesystem::perms(0444));
    write_file(root / "empty", "");
    std::filesystem::create_symlink("../model/net.py", root / "scripts/net_link.py");
    std::filesystem::create_directory_symlink("model", root / "model_alias");
    write_file(root / ".gitignore", "*.log\n");
    write_file(root / "train.log", "not synced");
}

TEST(Snapshots, SameFilesGiveTheSameId) {
    TempFolder folder;
    write_project(folder / "one");
    write_project(folder / "two");  // elsewhere, written later
    auto one = sync::scan_folder(folder / "one");
    auto two = sync::scan_folder(folder / "two");
    ASSERT_TRUE(one && two);
    const std::string id = snapshot_id(one->manifest);
    EXPECT_EQ(id, snapshot_id(two->manifest));
    ASSERT_EQ(id.size(), 34u);
    EXPECT_EQ(id.substr(0, 2), "s-");
    EXPECT_TRUE(sync::is_hash(id.substr(2) + std::string(32, '0')));

    // Any change gives another id: content, mode, a link target.
    write_file(folder / "two/train.py", "import model  \n");
    EXPECT_NE(snapshot_id(sync::scan_folder(folder / "two")->manifest), id);
    write_file(folder / "two/train.py", "import model\n");
    EXPECT_EQ(snapshot_id(sync::scan_folder(folder / "two")->manifest), id);
    std::filesystem::permissions(folder / "two/train.py", std::filesystem::perms(0700));
    EXPECT_NE(snapshot_id(sync::scan_folder(folder / "two")->manifest), id);
}

TEST(Snapshots, MissingBlobsThenMaterializeAnOwnCopy) {
    TempFolder folder;
    write_project(folder / "project");
    BlobStore blobs(folder / "queue/blobs");
    auto scanned = sync::scan_folder(folder / "project");
    ASSERT_TRUE(scanned) << scanned.error().message;
    const auto& manifest = scanned->manifest;

    // Six distinct contents (net.py twice, links need none).
    auto missing = missing_blobs(blobs, manifest);
    EXPECT_EQ(missing.size(), 6u);
    for (std::size_t i = 0; i < manifest.files.size(); ++i) {
        const auto& entry = manifest.files[i];
        if (entry.link.empty()) {
            ASSERT_TRUE(blobs.put(entry.hash, read_file(scanned->absolute_paths[i])));
        }
    }
    EXPECT_TRUE(missing_blobs(blobs, manifest).empty());

    const auto work = folder / "queue/jobs/12/work";  // absent: created
    auto done = materialize(blobs, manifest, work);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_EQ(read_file(work / "train.py"), "import model\n");
    EXPECT_EQ(read_file(work / "model/copy_of_net.py"), "class Net: pass\n");
    EXPECT_EQ(read_file(work / "empty"), "");
    EXPECT_EQ(mode_of(work / "scripts/run.sh"), 0755u);
    EXPECT_EQ(mode_of(work / "config/readonly.yaml"), 0444u);  // the manifest's mode, as on the client
    EXPECT_EQ(std::filesystem::read_symlink(work / "scripts/net_link.py"), "../model/net.py");
    EXPECT_EQ(std::filesystem::read_symlink(work / "model_alias"), "model");
    EXPECT_EQ(read_file(work / "scripts/net_link.py"), "class Net: pass\n");
    EXPECT_FALSE(std::filesystem::exists(work / "train.log"));
    EXPECT_FALSE(std::filesystem::exists(work / ".git"));

    // The job edits its copy: the blob keeps its bytes and its 0444, and is another inode.
    const std::string hash = sync::hash_bytes("import model\n");
    write_file(work / "train.py", "import model\nprint('edited by the job')\n");
    write_file(work / "model/new_file.py", "# a job may add files\n");
    EXPECT_EQ(read_file(blobs.path_of(hash)), "import model\n");
    EXPECT_EQ(sync::hash_bytes(read_file(blobs.path_of(hash))), hash);
    EXPECT_EQ(mode_of(blobs.path_of(hash)), 0444u);
    struct stat copy {
    }, blob{};
    ASSERT_EQ(::stat((work / "train.py").c_str(), &copy), 0);
    ASSERT_EQ(::stat(blobs.path_of(hash).c_str(), &blob), 0);
    EXPECT_NE(copy.st_ino, blob.st_ino);
    EXPECT_EQ(blob.st_nlink, 1u);

    // A second job gets the original bytes, here in a folder that exists and is empty.
    std::filesystem::create_directories(folder / "queue/jobs/13/work");
    ASSERT_TRUE(materialize(blobs, manifest, folder / "queue/jobs/13/work/"));
    EXPECT_EQ(read_file(folder / "queue/jobs/13/work/train.py"), "import model\n");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder / "queue/jobs/13"),
                            std::filesystem::directory_iterator()),
              1);  // only work/: no staging folder left beside it
}

TEST(Snapshots, MaterializeRefusesWhatItCannotDoCleanly) {
    TempFolder folder;
    BlobStore blobs(folder / "blobs");
    const std::string hash = sync::hash_bytes("abc");
    ASSERT_TRUE(blobs.put(hash, "abc"));
    sync::Manifest manifest{{{"a.txt", 3, 0644, hash, ""}}};

    // Bad input: a destination that is not empty.
    write_file(folder / "busy/other.txt", "x");
    auto done = materialize(blobs, manifest, folder / "busy");
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find((folder / "busy").string()), std::string::npos);

    // Bad input: a blob that is not stored.
    sync::Manifest absent{{{"lost.txt", 4, 0644, sync::hash_bytes("lost"), ""}}};
    done = materialize(blobs, absent, folder / "w1");
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("lost.txt"), std::string::npos) << done.error().message;

    // Bad input: a blob whose size is not the manifest's (a damaged store).
    sync::Manifest wrong_size{{{"a.txt", 4, 0644, hash, ""}}};
    done = materialize(blobs, wrong_size, folder / "w2");
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("damaged"), std::string::npos) << done.error().message;

    // Bad input: manifests that were never validated (a climbing path, a link to ../../etc).
    sync::Manifest climbing{{{"../escape.txt", 3, 0644, hash, ""}}};
    EXPECT_FALSE(materialize(blobs, climbing, folder / "w3"));
    EXPECT_FALSE(std::filesystem::exists(folder / "escape.txt"));
    sync::Manifest leaking{{{"etc", 0, 0644, "", "../../etc"}}};
    EXPECT_FALSE(materialize(blobs, leaking, folder / "w4"));
    EXPECT_FALSE(std::filesystem::exists(folder / "w4/etc"));
}

TEST(Snapshots, MaterializeOnAFullDiskNamesTheFile) {
    // Bad input: a destination that fills up (RLIMIT_FSIZE: EFBIG), then a real full tmpfs.
    TempFolder folder;
    BlobStore blobs(folder / "blobs");
    const std::string data(1 << 20, 'q');
    const std::string hash = sync::hash_bytes(data);
    ASSERT_TRUE(blobs.put(hash, data));
    sync::Manifest manifest{{{"data/big.bin", 1 << 20, 0644, hash, ""}}};
    {
        testing::FileSizeLimit limit(64 << 10);
        auto done = materialize(blobs, manifest, folder / "work");
        ASSERT_FALSE(done);
        EXPECT_NE(done.error().message.find("cannot copy data/big.bin into " + (folder / "work").string()),
                  std::string::npos)
            << done.error().message;
    }
    EXPECT_EQ(read_file(blobs.path_of(hash)), data);
    // Nothing half-copied stays: no destination, no staging folder beside it.
    EXPECT_FALSE(std::filesystem::exists(folder / "work"));
    for (const auto& entry : std::filesystem::directory_iterator(folder.path()))
        EXPECT_EQ(entry.path().filename().string().find(".work.materializing"), std::string::npos) << entry.path();

    const std::string result = testing::in_tiny_tmpfs(folder / "mnt", [&](const std::filesystem::path& mount) {
        auto done = materialize(blobs, manifest, mount / "work");
        if (done) return std::string("1 MiB fit into 64 KiB");
        if (!done.error().is(boost::system::errc::no_space_on_device)) return "not ENOSPC: " + done.error().message;
        if (done.error().message.find("data/big.bin") == std::string::npos)
            return "the error does not name the file: " + done.error().message;
        if (!std::filesystem::is_empty(mount)) return std::string("something stayed on the full disk");
        return std::string();
    });
    if (result.rfind("skip:", 0) == 0) GTEST_SKIP() << result;
    EXPECT_EQ(result, "");
}

TEST(Snapshots, SnapshotFolderStoresOnlyNewBlobs) {
    TempFolder folder;
    write_project(folder / "project");
    BlobStore blobs(folder / "blobs");
    auto first = snapshot_folder(blobs, folder / "project", {});
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->stored_files, 6);  // net.py's bytes once
    EXPECT_TRUE(missing_blobs(blobs, first->manifest).empty());

    auto again = snapshot_folder(blobs, folder / "project", {});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->stored_files, 0);
    EXPECT_EQ(snapshot_id(again->manifest), snapshot_id(first->manifest));

    write_file(folder / "project/train.py", "import model\nmodel.fit()\n");
    auto changed = snapshot_folder(blobs, folder / "project", {});
    ASSERT_TRUE(changed);
    EXPECT_EQ(changed->stored_files, 1);
    EXPECT_EQ(changed->stored_bytes, 25);
    EXPECT_NE(snapshot_id(changed->manifest), snapshot_id(first->manifest));

    // The first snapshot still materializes with its own bytes.
    ASSERT_TRUE(materialize(blobs, first->manifest, folder / "old"));
    EXPECT_EQ(read_file(folder / "old/train.py"), "import model\n");

    // Bad input: limits passed (the error names the limit).
    sync::Limits small;
    small.max_files = 2;
    auto refused = snapshot_folder(blobs, folder / "project", small);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("over the limit of 2 files"), std::string::npos);
}

}  // namespace
}  // namespace ailab::jobs
