#include "runs/log_reader.hpp"

#include <gtest/gtest.h>
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
    ReadStatus read(std::size_t max_bytes = SIZE_MAX) { return reader.read(path, buffer, sink, max_bytes); }

    TempFolder folder;
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
    ASSERT_TRUE(read_lines(path, 16, buffer, range));
    EXPECT_EQ(range.lines.size(), 2u);
    auto missing = (folder.path() / "missing").string();
    auto status = read_lines(missing, 16, buffer, range);
    ASSERT_FALSE(status);
    EXPECT_TRUE(status.error().is(boost::system::errc::no_such_file_or_directory));
    EXPECT_EQ(status.error().message, "cannot read " + missing + ": No such file or directory");
}

}  // namespace
}  // namespace ailab::runs
