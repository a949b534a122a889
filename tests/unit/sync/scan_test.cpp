// scan_folder on real folders: ignore files as git reads them, hashes, modes, links kept as links
// and never followed, other kinds skipped, and refusals that name the link or the limit.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "sync/hash.hpp"
#include "sync/manifest.hpp"
#include "sync_test_util.hpp"

namespace ailab::sync {
namespace {

using testing::TempFolder;
using testing::write_file;

std::map<std::string, ManifestEntry> by_path(const Manifest& manifest) {
    std::map<std::string, ManifestEntry> entries;
    for (const auto& entry : manifest.files) entries.emplace(entry.path, entry);
    return entries;
}

TEST(Scan, KeepsWhatTheRulesKeepWithHashesModesAndLinks) {
    TempFolder folder;
    const auto root = folder.path() / "project";
    write_file(root / "train.py", "print('hi')\n");
    std::filesystem::permissions(root / "train.py", std::filesystem::perms(0640));
    write_file(root / "run.sh", "#!/bin/sh\n");
    std::filesystem::permissions(root / "run.sh", std::filesystem::perms(0755));
    write_file(root / "src/model.py", "class Model: pass\n");
    write_file(root / "src/model.pyc", "compiled");            // default rule
    write_file(root / "src/__pycache__/m.pyc", "compiled");    // default folder
    write_file(root / ".git/HEAD", "ref: refs/heads/main\n");  // default folder
    write_file(root / "node_modules/x/index.js", "x");
    write_file(root / ".gitignore", "*.ckpt\noutputs/\n");
    write_file(root / ".ailabignore", "!best.ckpt\n");  // read after .gitignore: re-includes
    write_file(root / "last.ckpt", "weights");
    write_file(root / "best.ckpt", "weights!");
    write_file(root / "outputs/log.txt", "log");
    write_file(root / "data/.gitignore", "*.bin\n");
    write_file(root / "data/a.bin", "bin");
    write_file(root / "data/a.csv", "1,2\n");
    write_file(root / "empty.txt", "");
    std::filesystem::create_directories(root / "real/inner");
    write_file(root / "real/inner/f.txt", "real");
    std::filesystem::create_directory_symlink("real", root / "alias");  // kept as a link, not walked
    std::filesystem::create_symlink("../train.py", root / "src/train_link.py");
    ASSERT_EQ(::mkfifo((root / "pipe").c_str(), 0644), 0);  // skipped, never opened (it would block)

    auto scanned = scan_folder(root);
    ASSERT_TRUE(scanned) << scanned.error().message;
    const auto entries = by_path(scanned->manifest);
    std::vector<std::string> paths;
    for (const auto& entry : scanned->manifest.files) paths.push_back(entry.path);
    EXPECT_EQ(paths, (std::vector<std::string>{".ailabignore", ".gitignore", "alias", "best.ckpt", "data/.gitignore",
                                               "data/a.csv", "empty.txt", "real/inner/f.txt", "run.sh", "src/model.py",
                                               "src/train_link.py", "train.py"}));
    EXPECT_EQ(entries.at("train.py").hash, hash_bytes("print('hi')\n"));
    EXPECT_EQ(entries.at("train.py").size, 12);
    EXPECT_EQ(entries.at("train.py").mode, 0640u);
    EXPECT_EQ(entries.at("run.sh").mode, 0755u);
    EXPECT_EQ(entries.at("empty.txt").hash, hash_bytes(""));
    EXPECT_EQ(entries.at("alias").link, "real");
    EXPECT_EQ(entries.at("alias").hash, "");
    EXPECT_EQ(entries.at("src/train_link.py").link, "../train.py");
    // .git, node_modules, __pycache__ (inside src), model.pyc, last.ckpt, outputs, a.bin, the fifo.
    EXPECT_EQ(scanned->ignored, 8);
    ASSERT_EQ(scanned->absolute_paths.size(), scanned->manifest.files.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
        if (scanned->manifest.files[i].link.empty()) {
            EXPECT_EQ(scanned->absolute_paths[i], root / paths[i]);
        } else {
            EXPECT_TRUE(scanned->absolute_paths[i].empty());
        }
    }
    // The same folder scanned again gives the same canonical text.
    auto again = scan_folder(root);
    ASSERT_TRUE(again);
    EXPECT_EQ(to_json(again->manifest), to_json(scanned->manifest));
}

TEST(Scan, RefusesLinksThatLeaveTheFolder) {
    // Bad input: a link to ../../etc, and an absolute link target (even one that names a file inside).
    TempFolder folder;
    const auto root = folder.path() / "p";
    write_file(root / "sub/a.txt", "a");
    std::filesystem::create_symlink("../../etc", root / "sub/etc");
    auto scanned = scan_folder(root);
    ASSERT_FALSE(scanned);
    EXPECT_NE(scanned.error().message.find(R"(the link "sub/etc" -> "../../etc" leaves the folder)"), std::string::npos)
        << scanned.error().message;

    std::filesystem::remove(root / "sub/etc");
    std::filesystem::create_symlink(root / "sub/a.txt", root / "abs");
    scanned = scan_folder(root);
    ASSERT_FALSE(scanned);
    EXPECT_NE(scanned.error().message.find("\"abs\""), std::string::npos) << scanned.error().message;

    // An ignored link is not looked at.
    write_file(root / ".gitignore", "abs\n");
    EXPECT_TRUE(scan_folder(root));
}

TEST(Scan, AnIgnoreFileThatIsALinkIsNotRead) {
    // Bad input: .gitignore as a link to a file elsewhere; git does not follow it either.
    TempFolder folder;
    write_file(folder / "rules", "*.txt\n");
    const auto root = folder.path() / "p";
    write_file(root / "a.txt", "a");
    std::filesystem::create_symlink("../rules", root / ".gitignore");
    auto scanned = scan_folder(root);
    // The link leaves the folder, so it is refused as a link; ignored, the rules still do not apply.
    ASSERT_FALSE(scanned);
    write_file(root / ".ailabignore", ".gitignore\n");
    scanned = scan_folder(root);
    ASSERT_TRUE(scanned) << scanned.error().message;
    EXPECT_EQ(by_path(scanned->manifest).count("a.txt"), 1u);
}

TEST(Scan, LimitsNameTheLimitAndTheLargestFiles) {
    // Bad input: a folder over the total, over the count and with one file over its limit.
    TempFolder folder;
    const auto root = folder.path() / "p";
    for (int i = 1; i <= 7; ++i) write_file(root / ("f" + std::to_string(i)), std::string(1000 * i, 'x'));

    ScanOptions total;
    total.limits.max_total_bytes = 20'000;
    auto scanned = scan_folder(root, total);
    ASSERT_FALSE(scanned);
    EXPECT_TRUE(scanned.error().is(boost::system::errc::file_too_large));
    EXPECT_NE(scanned.error().message.find(
                  "the files hold 27.3 KiB, over the limit of 19.5 KiB in total (sync_max_total_mib); the largest: "
                  R"("f7" (6.8 KiB), "f6" (5.9 KiB), "f5" (4.9 KiB), "f4" (3.9 KiB), "f3" (2.9 KiB))"),
              std::string::npos)
        << scanned.error().message;

    ScanOptions count;
    count.limits.max_files = 3;
    scanned = scan_folder(root, count);
    ASSERT_FALSE(scanned);
    EXPECT_TRUE(scanned.error().is(boost::system::errc::file_too_large));
    EXPECT_NE(scanned.error().message.find("4 files, over the limit of 3 files (sync_max_files)"), std::string::npos)
        << scanned.error().message;  // the walk stops at the first file past the count

    ScanOptions one;
    one.limits.max_file_bytes = 6500;
    scanned = scan_folder(root, one);
    ASSERT_FALSE(scanned);
    EXPECT_NE(scanned.error().message.find(
                  R"("f7" holds 6.8 KiB, over the limit of 6.3 KiB for one file (sync_max_file_mib))"),
              std::string::npos)
        << scanned.error().message;
}

TEST(Scan, MissingFolderIsAnErrorNamingIt) {
    // Bad input: a folder that does not exist.
    auto scanned = scan_folder("/nonexistent/ailab-scan");
    ASSERT_FALSE(scanned);
    EXPECT_NE(scanned.error().message.find("/nonexistent/ailab-scan"), std::string::npos);
}

TEST(Scan, AnUnreadableFileIsAnErrorNamingIt) {
    // Bad input: a file the scanner may not read (skipped as root, who reads everything).
    if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
    TempFolder folder;
    const auto root = folder.path() / "p";
    write_file(root / "secret.txt", "s");
    std::filesystem::permissions(root / "secret.txt", std::filesystem::perms::none);
    auto scanned = scan_folder(root);
    ASSERT_FALSE(scanned);
    EXPECT_NE(scanned.error().message.find("secret.txt"), std::string::npos);
}

}  // namespace
}  // namespace ailab::sync
