#include "runs/log_reader.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "runs/line_parser.hpp"
#include "test_util.hpp"

namespace ailab::runs {
namespace {

using testing::append_file;
using testing::TempFolder;
using testing::write_file;

// Records what the reader hands over.
class RecordingSink : public LineSink {
public:
    void reset() override {
        ++resets;
        lines.clear();
        offsets.clear();
    }
    void line(std::string_view text, std::uint64_t offset) override {
        lines.emplace_back(text);
        offsets.push_back(offset);
    }
    void long_line() override { ++long_lines; }

    int resets = 0;
    int long_lines = 0;
    std::vector<std::string> lines;
    std::vector<std::uint64_t> offsets;
};

class LogReaderTest : public ::testing::Test {
protected:
    ReadStatus read(std::size_t max_bytes = SIZE_MAX) { return reader.read(root, "ailab.log", buffer, sink, max_bytes); }

    TempFolder folder;
    ResultsRoot root{folder.path()};
    std::string path = (folder.path() / "ailab.log").string();
    ReadBuffer buffer;
    LogReader reader;
    RecordingSink sink;
};

TEST_F(LogReaderTest, ReadsCompleteLinesThenOnlyAppendedBytes) {
    write_file(path, "{\"a\":1}\n{\"a\":2}\n");
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 1);  // first read
    ASSERT_EQ(sink.lines.size(), 2u);
    EXPECT_EQ(sink.lines[1], "{\"a\":2}");
    EXPECT_EQ(sink.offsets[1], 8u);
    EXPECT_EQ(reader.offset(), 16u);

    EXPECT_EQ(read(), ReadStatus::unchanged);
    append_file(path, "{\"a\":3}\n");
    EXPECT_EQ(read(), ReadStatus::appended);
    ASSERT_EQ(sink.lines.size(), 3u);
    EXPECT_EQ(sink.lines[2], "{\"a\":3}");
    EXPECT_EQ(sink.resets, 1);
}

TEST_F(LogReaderTest, PartialLastLineWaitsForItsNewline) {
    write_file(path, "{\"a\":1}\n{\"a\":");
    read();
    ASSERT_EQ(sink.lines.size(), 1u);
    EXPECT_EQ(reader.offset(), 8u);
    append_file(path, "2}");
    read();
    EXPECT_EQ(sink.lines.size(), 1u);
    append_file(path, "\n");
    read();
    ASSERT_EQ(sink.lines.size(), 2u);
    EXPECT_EQ(sink.lines[1], "{\"a\":2}");
}

TEST_F(LogReaderTest, TruncatedFileIsReadAgainFromTheStart) {
    write_file(path, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
    read();
    write_file(path, "{\"b\":1}\n");  // shorter: truncated and rewritten
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 2);
    ASSERT_EQ(sink.lines.size(), 1u);
    EXPECT_EQ(sink.lines[0], "{\"b\":1}");
}

TEST_F(LogReaderTest, RewrittenInPlaceAndLongerIsDetectedByItsFirstBytes) {
    write_file(path, "{\"a\":1}\n");
    read();
    write_file(path, "{\"b\":1}\n{\"b\":2}\n");  // same inode, longer, other content
    read();
    EXPECT_EQ(sink.resets, 2);
    ASSERT_EQ(sink.lines.size(), 2u);
    EXPECT_EQ(sink.lines[0], "{\"b\":1}");
}

TEST_F(LogReaderTest, ReplacedByRenameIsReadAgain) {
    write_file(path, "{\"a\":1}\n{\"a\":2}\n");
    read();
    auto replacement = folder.path() / "new.log";
    write_file(replacement, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");  // same first bytes, new inode
    std::filesystem::rename(replacement, path);
    read();
    EXPECT_EQ(sink.resets, 2);
    EXPECT_EQ(sink.lines.size(), 3u);
}

TEST_F(LogReaderTest, DeletedFileIsVanishedAndANewOneStartsOver) {
    write_file(path, "{\"a\":1}\n");
    read();
    std::filesystem::remove(path);
    EXPECT_EQ(read(), ReadStatus::vanished);
    write_file(path, "{\"c\":1}\n");
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 2);
    ASSERT_EQ(sink.lines.size(), 1u);
    EXPECT_EQ(sink.lines[0], "{\"c\":1}");
}

TEST_F(LogReaderTest, UnreadableFileIsReported) {
    if (::geteuid() == 0) GTEST_SKIP() << "root reads everything";
    write_file(path, "{\"a\":1}\n");
    ::chmod(path.c_str(), 0);
    EXPECT_EQ(read(), ReadStatus::unreadable);
    EXPECT_FALSE(reader.error().empty());
    ::chmod(path.c_str(), 0644);
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.lines.size(), 1u);
}

TEST_F(LogReaderTest, FifoIsUnreadableWithoutBlocking) {
    ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0);
    EXPECT_EQ(read(), ReadStatus::unreadable);
    EXPECT_EQ(reader.error(), "not a regular file");
}

TEST_F(LogReaderTest, LinesLongerThanTheLimitAreSkippedWithoutHoldingThem) {
    std::string huge(max_line_bytes + 10, 'x');
    write_file(path, "{\"a\":1}\n" + huge);
    read();
    EXPECT_EQ(sink.lines.size(), 1u);
    EXPECT_EQ(sink.long_lines, 0);  // not finished yet
    append_file(path, "yyy\n{\"a\":2}\n");
    read();
    EXPECT_EQ(sink.long_lines, 1);
    ASSERT_EQ(sink.lines.size(), 2u);
    EXPECT_EQ(sink.lines[1], "{\"a\":2}");
}

TEST_F(LogReaderTest, LinesAcrossBufferBoundariesAndSlices) {
    std::string text;
    for (int i = 0; i < 50'000; ++i) text += "{\"step\": " + std::to_string(i) + ", \"loss\": 0.123456}\n";
    write_file(path, text);
    // Slices of about 256 KB each: "more" until the end.
    int calls = 0;
    ReadStatus status;
    do {
        status = read(256 * 1024);
        ++calls;
    } while (status == ReadStatus::more);
    EXPECT_GT(calls, 1);
    ASSERT_EQ(sink.lines.size(), 50'000u);
    EXPECT_EQ(sink.lines[49'999], "{\"step\": 49999, \"loss\": 0.123456}");
    EXPECT_EQ(reader.offset(), text.size());
}

TEST_F(LogReaderTest, ReadLinesStopsAtTheEndOffset) {
    write_file(path, "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
    RecordingSink range;
    ASSERT_TRUE(read_lines(root, "ailab.log", 16, buffer, range, ReadBudget{}));
    EXPECT_EQ(range.lines.size(), 2u);
    auto status = read_lines(root, "missing", 16, buffer, range, ReadBudget{});
    ASSERT_FALSE(status);
    EXPECT_TRUE(status.error().is(boost::system::errc::no_such_file_or_directory));
    // The message names neither the server's folders nor the file's absolute path.
    EXPECT_EQ(status.error().message.find(folder.path().string()), std::string::npos) << status.error().message;
}

// Issue 8, items 1 and 3: every read of a run's file is confined to results and refuses anything
// but a regular file, checked on the opened descriptor; long reads have a budget.
TEST_F(LogReaderTest, LinksOutOfResultsAndDevicesAreRefusedNotFollowed) {
    TempFolder outside;
    write_file((outside.path() / "secret").string(), "{\"leaked\":1}\n");
    // Each: a log name and what it is made to be.
    std::filesystem::create_symlink(outside.path() / "secret", path);  // a link out (absolute)
    EXPECT_EQ(read(), ReadStatus::unreadable);
    EXPECT_TRUE(sink.lines.empty());
    EXPECT_NE(reader.error().find("leaves"), std::string::npos) << reader.error();
    RecordingSink range;
    EXPECT_FALSE(read_lines(root, "ailab.log", UINT64_MAX, buffer, range, ReadBudget{}));
    EXPECT_TRUE(range.lines.empty());
    std::filesystem::remove(path);

    std::filesystem::create_symlink("../" + outside.path().filename().string() + "/secret", path);  // relative
    EXPECT_EQ(read(), ReadStatus::unreadable);
    EXPECT_TRUE(sink.lines.empty());
    std::filesystem::remove(path);

    for (const char* device : {"/dev/zero", "/dev/urandom"}) {
        std::filesystem::create_symlink(device, path);
        EXPECT_EQ(read(), ReadStatus::unreadable) << device;  // returns at once, reads nothing
        EXPECT_FALSE(read_lines(root, "ailab.log", UINT64_MAX, buffer, range, ReadBudget{})) << device;
        std::filesystem::remove(path);
    }
    // A link that stays inside results is fine.
    write_file((folder.path() / "real.log").string(), "{\"a\":1}\n");
    std::filesystem::create_symlink("real.log", path);
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.lines.size(), 1u);
}

TEST_F(LogReaderTest, ReadLinesStopsWhenTheBudgetEnds) {
    std::string text;
    for (int i = 0; i < 200'000; ++i) text += "{\"step\": " + std::to_string(i) + "}\n";
    write_file(path, text);
    RecordingSink range;
    std::atomic<bool> stop{true};
    auto stopped = read_lines(root, "ailab.log", UINT64_MAX, buffer, range, ReadBudget{std::chrono::steady_clock::time_point::max(), &stop});
    ASSERT_FALSE(stopped);
    EXPECT_TRUE(stopped.error().is(boost::system::errc::operation_canceled));
    auto late = read_lines(root, "ailab.log", UINT64_MAX, buffer, range,
                           ReadBudget{std::chrono::steady_clock::now() - std::chrono::seconds(1), nullptr});
    ASSERT_FALSE(late);
    EXPECT_TRUE(late.error().is(boost::system::errc::timed_out));
    stop = false;
    RecordingSink all;
    ASSERT_TRUE(read_lines(root, "ailab.log", UINT64_MAX, buffer, all, ReadBudget{std::chrono::steady_clock::time_point::max(), &stop}));
    EXPECT_EQ(all.lines.size(), 200'000u);
}

}  // namespace
}  // namespace ailab::runs
