// The PyTorch Lightning CSVLogger reader (runs/formats/lightning.hpp) on real files in a temporary
// results folder: rows, blanks, rewrites with a wider header, quoted fields, partial lines,
// progress from hparams.yaml and malformed rows.
#include "runs/formats/lightning.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace ailab::runs::formats {
namespace {

using runs::testing::append_file;
using runs::testing::TempFolder;
using runs::testing::write_file;

struct Recorded {
    double step = absent;
    double epoch = absent;
    double progress = absent;
    std::map<std::string, double> metrics;
    std::uint64_t position = 0;
};

// Records what the reader hands over; checks that positions grow between resets.
class RecordingSink final : public RecordSink {
public:
    void reset() override {
        ++resets;
        records.clear();
    }
    void record(const ParsedLine& values, std::uint64_t position) override {
        if (!records.empty()) {
            EXPECT_GT(position, records.back().position);
        }
        Recorded recorded{values.step, values.epoch, values.progress, {}, position};
        for (const auto& metric : values.metrics) recorded.metrics[std::string(metric.name)] = metric.value;
        records.push_back(std::move(recorded));
    }
    void bad_record() override { ++bad_records; }

    int resets = 0;
    int bad_records = 0;
    std::vector<Recorded> records;
};

class LightningReaderTest : public ::testing::Test {
protected:
    ReadStatus read(std::size_t max_bytes = SIZE_MAX) {
        ReadContext context{root, buffer, parser};
        return reader->read(context, "run", sink, max_bytes);
    }

    TempFolder folder;
    ResultsRoot root{folder.path()};
    std::filesystem::path run = folder.path() / "run";
    std::filesystem::path metrics = run / "metrics.csv";
    ReadBuffer buffer;
    LineParser parser;
    std::unique_ptr<RunReader> reader = lightning_format().make_reader("metrics.csv");
    RecordingSink sink;
};

TEST(LightningFormat, MarksMetricsCsvFilesOnly) {
    const Format& format = lightning_format();
    EXPECT_EQ(format.id, RunFormat::lightning);
    EXPECT_EQ(format.marker_rank("metrics.csv", false), 4);
    EXPECT_EQ(format.marker_rank("metrics.csv", true), 0);
    EXPECT_EQ(format.marker_rank("metrics.csv.bak", false), 0);
    EXPECT_EQ(format.marker_rank("hparams.yaml", false), 0);
    EXPECT_TRUE(format.watches("metrics.csv"));
    EXPECT_FALSE(format.watches("hparams.yaml"));
    EXPECT_FALSE(format.writes_goals);
    EXPECT_FALSE(format.needs_polling);
}

TEST_F(LightningReaderTest, ReadsRowsSkippingBlanksAndBlankFields) {
    const std::string header = "epoch,step,train_loss,val_loss\n";
    write_file(metrics, header + "0,9,0.5,\n\n0,9,,0.75\n");
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 1);
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.records[0].step, 9);
    EXPECT_EQ(sink.records[0].epoch, 0);
    EXPECT_EQ(sink.records[0].metrics, (std::map<std::string, double>{{"train_loss", 0.5}}));
    EXPECT_EQ(sink.records[0].position, header.size());
    EXPECT_EQ(sink.records[1].metrics, (std::map<std::string, double>{{"val_loss", 0.75}}));
    EXPECT_TRUE(std::isnan(sink.records[0].progress));  // no hparams.yaml
    EXPECT_EQ(sink.bad_records, 0);
    EXPECT_EQ(reader->position(), std::filesystem::file_size(metrics));

    EXPECT_EQ(read(), ReadStatus::unchanged);
    append_file(metrics, "1,19,0.25,\n");
    EXPECT_EQ(read(), ReadStatus::appended);
    ASSERT_EQ(sink.records.size(), 3u);
    EXPECT_EQ(sink.records[2].step, 19);
    EXPECT_EQ(sink.resets, 1);
}

TEST_F(LightningReaderTest, HeaderThatGrowsRewritesTheFileAndReadsAllRowsAgain) {
    write_file(metrics, "epoch,step,train_loss\n0,0,0.5\n0,1,0.4\n");
    read();
    ASSERT_EQ(sink.records.size(), 2u);
    // Lightning rewrites the file (same inode) with the wider, sorted header.
    write_file(metrics, "epoch,step,train_loss,val_acc\n0,0,0.5,\n0,1,0.4,\n0,1,,0.9\n");
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 2);
    ASSERT_EQ(sink.records.size(), 3u);
    EXPECT_EQ(sink.records[0].metrics, (std::map<std::string, double>{{"train_loss", 0.5}}));
    EXPECT_EQ(sink.records[2].metrics, (std::map<std::string, double>{{"val_acc", 0.9}}));
}

TEST_F(LightningReaderTest, LongHeaderThatChangesBeyondItsFirstBytesIsARewriteToo) {
    // A header past the 64 bytes LogReader compares; the new key lands after them, and the
    // rewritten file is larger, so only the header comparison tells.
    const std::string keys = "epoch,step,train_loss_with_a_long_name,validation_loss_with_a_long_name";
    write_file(metrics, keys + "\n0,1,0.5,0.6\n");
    read();
    ASSERT_EQ(sink.records.size(), 1u);
    write_file(metrics, keys + ",zz_new\n0,1,0.5,0.6,\n0,2,0.4,0.5,7\n");
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 2);
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.records[1].metrics.at("zz_new"), 7);
    EXPECT_EQ(sink.bad_records, 0);
}

TEST_F(LightningReaderTest, QuotedFields) {
    write_file(metrics, "step,\"val,acc\",\"say \"\"hi\"\"\",note\n1,\"0.5\",\"0.25\",\"text, not a number\"\n");
    read();
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0].metrics, (std::map<std::string, double>{{"val,acc", 0.5}, {"say \"hi\"", 0.25}}));
    EXPECT_EQ(sink.bad_records, 0);
}

TEST_F(LightningReaderTest, PartialLastLineWaitsForItsNewline) {
    write_file(metrics, "step,loss\n1,0.5\n2,0.");
    read();
    ASSERT_EQ(sink.records.size(), 1u);
    append_file(metrics, "25\n");
    EXPECT_EQ(read(), ReadStatus::appended);
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.records[1].metrics.at("loss"), 0.25);
    EXPECT_EQ(sink.resets, 1);
}

TEST_F(LightningReaderTest, ProgressFromMaxEpochsInHparams) {
    write_file(run / "hparams.yaml", "lr: 0.001\ntrainer:\n  max_epochs: 4\n");
    write_file(metrics, "epoch,step,loss\n0,1,0.5\n3,2,0.4\n7,3,0.3\n,4,0.2\n");
    read();
    ASSERT_EQ(sink.records.size(), 4u);
    EXPECT_DOUBLE_EQ(sink.records[0].progress, 0.25);
    EXPECT_DOUBLE_EQ(sink.records[1].progress, 1.0);
    EXPECT_DOUBLE_EQ(sink.records[2].progress, 1.0);    // never past the end
    EXPECT_TRUE(std::isnan(sink.records[3].progress));  // a row without an epoch
}

TEST_F(LightningReaderTest, ProgressFromTopLevelAndFlatKeys) {
    write_file(run / "hparams.yaml", "max_epochs: 2\n");
    write_file(metrics, "epoch,loss\n0,0.5\n");
    read();
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_DOUBLE_EQ(sink.records[0].progress, 0.5);

    // hparams.yaml is read again after a rewrite.
    write_file(run / "hparams.yaml", "trainer.max_epochs: 10\n");
    write_file(metrics, "epoch,loss,lr\n0,0.5,\n1,0.4,0.1\n");
    read();
    EXPECT_EQ(sink.resets, 2);
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_DOUBLE_EQ(sink.records[1].progress, 0.2);
}

TEST_F(LightningReaderTest, HparamsThatAreNotYamlGiveNoProgress) {
    write_file(run / "hparams.yaml", "max_epochs: [unclosed\n");
    write_file(metrics, "epoch,loss\n0,0.5\n");
    read();
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_TRUE(std::isnan(sink.records[0].progress));
}

TEST_F(LightningReaderTest, MalformedAndOverlongRowsAreCounted) {
    std::string too_long = "1," + std::string(max_line_bytes + 10, '5') + "\n";
    write_file(metrics, "step,loss\n1,0.5,extra\n2,\"unterminated\n" + too_long + "3,0.25\n");
    read();
    EXPECT_EQ(sink.bad_records, 3);
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0].step, 3);
}

TEST_F(LightningReaderTest, ChangedOnDiskAndVanished) {
    write_file(metrics, "step,loss\n1,0.5\n");
    read();
    EXPECT_FALSE(reader->changed_on_disk(run.string()));
    append_file(metrics, "2,0.4\n");
    EXPECT_TRUE(reader->changed_on_disk(run.string()));
    read();
    EXPECT_FALSE(reader->changed_on_disk(run.string()));
    EXPECT_EQ(reader->identity().size, static_cast<std::int64_t>(std::filesystem::file_size(metrics)));

    std::filesystem::remove(metrics);
    EXPECT_TRUE(reader->changed_on_disk(run.string()));
    EXPECT_EQ(read(), ReadStatus::vanished);
    EXPECT_FALSE(reader->error().empty());
}

}  // namespace
}  // namespace ailab::runs::formats
