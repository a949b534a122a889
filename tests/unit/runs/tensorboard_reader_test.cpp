// The TensorBoard reader (runs/formats/tensorboard.hpp) and the event-file tail
// (runs/formats/tfevents_file.hpp) on event files written by the test writer in a temporary
// results folder, read through a ResultsRoot.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "runs/formats/crc32c.hpp"
#include "runs/formats/tensorboard.hpp"
#include "runs/formats/tfevents_file.hpp"
#include "runs/formats/tfrecord.hpp"
#include "support/tfevents_writer.hpp"
#include "test_util.hpp"

namespace ailab::runs::formats {
namespace {

namespace tfe = ailab::testing::tfevents;
using runs::testing::append_file;
using runs::testing::TempFolder;
using runs::testing::write_file;
using Point = std::tuple<double, std::string, double>;

struct Recorded {
    double step;
    double time;
    std::uint64_t position;
    std::map<std::string, double> metrics;
};

class RecordingSink final : public RecordSink {
public:
    void reset() override {
        ++resets;
        records.clear();
        images.clear();
        bad_records = 0;
        last_position.reset();
    }
    void begin_batch() override {
        EXPECT_FALSE(in_batch);
        in_batch = true;
    }
    void end_batch() override {
        EXPECT_TRUE(in_batch);
        in_batch = false;
    }
    void record(const ParsedLine& values, std::uint64_t position) override {
        if (last_position) {
            EXPECT_GT(position, *last_position) << "positions grow until a reset";
        }
        last_position = position;
        Recorded recorded{values.step, values.timestamp, position, {}};
        for (const auto& metric : values.metrics) recorded.metrics[std::string(metric.name)] = metric.value;
        records.push_back(std::move(recorded));
    }
    void bad_record() override { ++bad_records; }
    void format_params(const boost::json::object& object) override {
        params = object;
        ++params_calls;
    }
    void image(RunImage image) override { images.push_back(std::move(image)); }

    std::set<Point> points() const {
        std::set<Point> out;
        for (const auto& record : records)
            for (const auto& [key, value] : record.metrics) out.emplace(record.step, key, value);
        return out;
    }
    std::vector<double> steps() const {
        std::vector<double> out;
        for (const auto& record : records) out.push_back(record.step);
        return out;
    }

    bool in_batch = false;
    int resets = 0;
    int bad_records = 0;
    int params_calls = 0;
    std::optional<std::uint64_t> last_position;
    std::vector<Recorded> records;
    std::vector<RunImage> images;
    boost::json::object params;
};

std::string read_whole(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string loss_events(int first_step, int end_step, float offset = 0) {
    std::vector<std::string> events;
    for (int step = first_step; step < end_step; ++step)
        events.push_back(tfe::scalar_event(1000 + step, step, "loss", offset + static_cast<float>(step)));
    return tfe::events_file(events);
}

class TensorBoardReaderTest : public ::testing::Test {
protected:
    TensorBoardReaderTest() : root_(folder_.path()), context_{root_, buffer_, parser_} {}

    std::filesystem::path run(const std::string& name) const { return folder_.path() / "tb" / name; }
    std::string run_folder() const { return (folder_.path() / "tb").string(); }
    ReadStatus read(RunReader& reader, RecordSink& sink, std::size_t max_bytes = SIZE_MAX) {
        auto status = reader.read(context_, "tb", sink, max_bytes);
        EXPECT_FALSE(static_cast<RecordingSink&>(sink).in_batch);
        return status;
    }
    // Reads until the reader stops saying `more`.
    ReadStatus read_all(RunReader& reader, RecordSink& sink, std::size_t max_bytes = SIZE_MAX) {
        for (int calls = 0; calls < 100000; ++calls) {
            auto status = read(reader, sink, max_bytes);
            if (status != ReadStatus::more) return status;
        }
        ADD_FAILURE() << "the reader never finished";
        return ReadStatus::more;
    }
    static std::unique_ptr<RunReader> make() { return tensorboard_format().make_reader("events.out.tfevents.1.host"); }
    // What a fresh reader (replay) ends with.
    std::set<Point> fresh_points(std::size_t max_bytes = SIZE_MAX) {
        auto reader = make();
        RecordingSink sink;
        read_all(*reader, sink, max_bytes);
        return sink.points();
    }

    TempFolder folder_;
    ResultsRoot root_;
    ReadBuffer buffer_{4096};  // the smallest there is (about 1 MiB)
    LineParser parser_;
    ReadContext context_;
};

TEST_F(TensorBoardReaderTest, MarkerWatchesAndFlags) {
    const Format& format = tensorboard_format();
    EXPECT_EQ(format.id, RunFormat::tensorboard);
    EXPECT_EQ(format.marker_rank("events.out.tfevents.1700000000.host.1.0", false), 5);
    EXPECT_EQ(format.marker_rank("events.out.tfevents.1700000000.host", true), 0);
    EXPECT_EQ(format.marker_rank("metrics.csv", false), 0);
    EXPECT_TRUE(format.watches("x.tfevents.y"));
    EXPECT_FALSE(format.watches("notes.txt"));
    EXPECT_FALSE(format.writes_goals);
    EXPECT_FALSE(format.needs_polling);
}

TEST_F(TensorBoardReaderTest, EveryScalarFormReachesRecordsWithTagsAsWritten) {
    using Form = tfe::TensorForm;
    write_file(run("events.out.tfevents.1.host"),
               tfe::events_file({
                   tfe::file_version_event(100),
                   tfe::scalar_event(101, 1, "loss/train", 0.5f),
                   tfe::tensor_scalar_event(102, 2, "float", 1.5, Form::float_val),
                   tfe::tensor_scalar_event(103, 3, "float unpacked", 1.75, Form::float_val_unpacked),
                   tfe::tensor_scalar_event(104, 4, "double", 2.25, Form::double_val),
                   tfe::tensor_scalar_event(105, 5, "double unpacked", 2.5, Form::double_val_unpacked),
                   tfe::tensor_scalar_event(106, 6, "content float", 3.5, Form::tensor_content_float),
                   tfe::tensor_scalar_event(107, 7, "content double", 3.25, Form::tensor_content_double),
                   tfe::tensor_scalar_event(108, 8, "half", 0.5, Form::half_val),
                   tfe::summary_event(109, 9, {tfe::simple_value("a", 1), tfe::simple_value("b", 2)}),
               }));
    auto reader = make();
    RecordingSink sink;
    EXPECT_EQ(read(*reader, sink), ReadStatus::appended);
    std::set<Point> expected = {{1, "loss/train", 0.5},
                                {2, "float", 1.5},
                                {3, "float unpacked", 1.75},
                                {4, "double", 2.25},
                                {5, "double unpacked", 2.5},
                                {6, "content float", 3.5},
                                {7, "content double", 3.25},
                                {8, "half", 0.5},
                                {9, "a", 1},
                                {9, "b", 2}};
    EXPECT_EQ(sink.points(), expected);
    ASSERT_EQ(sink.records.size(), 9u);  // one record per event with scalars
    EXPECT_EQ(sink.records.front().time, 101);
    EXPECT_EQ(sink.records.back().metrics.size(), 2u);
    EXPECT_EQ(sink.bad_records, 0);
    EXPECT_EQ(read(*reader, sink), ReadStatus::unchanged);
    EXPECT_EQ(sink.records.size(), 9u);
    EXPECT_EQ(sink.resets, 0);
}

TEST_F(TensorBoardReaderTest, TwoFilesInNameOrderWithGrowingBytePositions) {
    std::string first = tfe::events_file({tfe::file_version_event(1), tfe::scalar_event(1, 10, "loss", 0.1f)});
    std::string second = tfe::events_file({tfe::file_version_event(2), tfe::scalar_event(2, 20, "loss", 0.2f)});
    write_file(run("events.out.tfevents.2.host"), second);
    write_file(run("events.out.tfevents.1.host"), first);
    auto reader = make();
    RecordingSink sink;
    EXPECT_EQ(read(*reader, sink), ReadStatus::appended);
    ASSERT_EQ(sink.steps(), (std::vector<double>{10, 20}));
    std::uint64_t version_frame = tfe::frame(tfe::file_version_event(1)).size();
    EXPECT_EQ(sink.records[0].position, version_frame);
    EXPECT_EQ(sink.records[1].position, first.size() + tfe::frame(tfe::file_version_event(2)).size());
    EXPECT_EQ(reader->position(), first.size() + second.size());
    EXPECT_EQ(reader->identity().size, static_cast<std::int64_t>(first.size() + second.size()));
    // A third file comes after them: only its records are new.
    write_file(run("events.out.tfevents.3.host"), loss_events(30, 32));
    EXPECT_EQ(read(*reader, sink), ReadStatus::appended);
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 20, 30, 31}));
    EXPECT_EQ(sink.resets, 0);
    EXPECT_EQ(fresh_points(), sink.points());
}

TEST_F(TensorBoardReaderTest, ATruncatedLastRecordWaitsUntilItIsComplete) {
    auto file = run("events.out.tfevents.1.host");
    std::string whole = loss_events(0, 2);
    std::string last = tfe::frame(tfe::scalar_event(1002, 2, "loss", 2));
    write_file(file, whole + last.substr(0, 7));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.steps(), (std::vector<double>{0, 1}));
    EXPECT_EQ(reader->position(), whole.size());
    append_file(file, last.substr(7, 10));  // the header is complete now, the data is not
    EXPECT_EQ(read(*reader, sink), ReadStatus::unchanged);
    EXPECT_EQ(reader->position(), whole.size());
    append_file(file, last.substr(17));
    EXPECT_EQ(read(*reader, sink), ReadStatus::appended);
    EXPECT_EQ(sink.steps(), (std::vector<double>{0, 1, 2}));
    EXPECT_EQ(sink.records.back().position, whole.size());
    EXPECT_EQ(sink.bad_records, 0);
    EXPECT_EQ(sink.resets, 0);
}

TEST_F(TensorBoardReaderTest, AnEarlierFileThatGrowsIsReadAgainFromTheStart) {
    std::string rest = tfe::frame(tfe::scalar_event(1, 11, "loss", 0.11f));
    write_file(run("events.out.tfevents.1.host"), loss_events(10, 11) + rest.substr(0, 5));
    write_file(run("events.out.tfevents.2.host"), loss_events(20, 21));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 20}));
    append_file(run("events.out.tfevents.1.host"), rest.substr(5));
    EXPECT_EQ(read(*reader, sink), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 1);
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 11, 20}));
    EXPECT_EQ(fresh_points(), sink.points());
}

TEST_F(TensorBoardReaderTest, ABadDataCrcInTheMiddleIsOneBadRecord) {
    std::string bad = tfe::frame(tfe::scalar_event(1, 2, "loss", 0.2f));
    bad[bad.size() - 1] = static_cast<char>(bad.back() ^ 0x40);  // the data's CRC
    write_file(run("events.out.tfevents.1.host"), loss_events(0, 2) + bad + loss_events(3, 5));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.steps(), (std::vector<double>{0, 1, 3, 4}));
    EXPECT_EQ(sink.bad_records, 1);
}

TEST_F(TensorBoardReaderTest, ABadLengthCrcResyncsAtTheNextFrame) {
    std::string bad = tfe::frame(tfe::scalar_event(1, 2, "loss", 0.2f));
    bad[9] = static_cast<char>(bad[9] ^ 0x01);  // the length's CRC
    write_file(run("events.out.tfevents.1.host"), loss_events(0, 2) + bad + loss_events(3, 5));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.steps(), (std::vector<double>{0, 1, 3, 4}));
    EXPECT_EQ(sink.bad_records, 1);  // once, however many bytes the resync skips
}

TEST_F(TensorBoardReaderTest, AMalformedEventIsABadRecord) {
    write_file(run("events.out.tfevents.1.host"),
               loss_events(0, 1) + tfe::frame(std::string("\x0a\xff\xff", 3)) + loss_events(1, 2));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.steps(), (std::vector<double>{0, 1}));
    EXPECT_EQ(sink.bad_records, 1);
}

TEST_F(TensorBoardReaderTest, StepsThatGoBackReplaceTheOlderPointsFromThatStepOn) {
    write_file(run("events.out.tfevents.1.host"), loss_events(0, 10));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.records.size(), 10u);
    // A job restarted from its step-5 checkpoint: SummaryWriter opens a new file.
    write_file(run("events.out.tfevents.2.host"), loss_events(5, 8, 100));
    EXPECT_EQ(read(*reader, sink), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 1);
    EXPECT_EQ(sink.steps(), (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7}));
    EXPECT_EQ(sink.points().count({5, "loss", 105}), 1u);
    EXPECT_EQ(sink.points().count({5, "loss", 5}), 0u);
    EXPECT_EQ(sink.points().count({9, "loss", 9}), 0u);
    // Later appends are read on without another reset.
    append_file(run("events.out.tfevents.2.host"), loss_events(8, 12, 100));
    read(*reader, sink);
    EXPECT_EQ(sink.resets, 1);
    EXPECT_EQ(sink.records.size(), 12u);
    // A fresh reader finds the same purge and ends with the same points, in one go or in slices.
    EXPECT_EQ(fresh_points(), sink.points());
    EXPECT_EQ(fresh_points(200), sink.points());
}

TEST_F(TensorBoardReaderTest, EachTagIsComparedWithItsOwnSteps) {
    // train/loss per batch, val/acc per epoch: the epochs are lower steps, and purge nothing.
    std::vector<std::string> events;
    for (int epoch = 0; epoch < 3; ++epoch) {
        for (int batch = 0; batch < 4; ++batch) {
            int step = epoch * 4 + batch;
            events.push_back(tfe::scalar_event(step, step, "train/loss", static_cast<float>(step)));
        }
        events.push_back(tfe::scalar_event(epoch, epoch, "val/acc", 0.5f + static_cast<float>(epoch)));
    }
    write_file(run("events.out.tfevents.1.host"), tfe::events_file(events));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.resets, 0);
    EXPECT_EQ(sink.records.size(), 15u);
    // Steps going back for one tag purge that tag only.
    append_file(run("events.out.tfevents.1.host"), tfe::frame(tfe::scalar_event(99, 1, "val/acc", 9)));
    read(*reader, sink);
    EXPECT_EQ(sink.resets, 1);
    EXPECT_EQ(sink.points().count({1, "val/acc", 1.5}), 0u);
    EXPECT_EQ(sink.points().count({2, "val/acc", 2.5}), 0u);
    EXPECT_EQ(sink.points().count({0, "val/acc", 0.5}), 1u);
    EXPECT_EQ(sink.points().count({1, "val/acc", 9}), 1u);
    EXPECT_EQ(sink.points().count({11, "train/loss", 11}), 1u);
    EXPECT_EQ(sink.points().size(), 14u);
    EXPECT_EQ(fresh_points(), sink.points());
}

TEST_F(TensorBoardReaderTest, ASessionStartPurgesEveryTagFromItsStep) {
    // SummaryWriter(purge_step=3): a SessionLog START at step 3, then the steps from 3 again.
    std::string first = tfe::events_file({tfe::scalar_event(0, 0, "loss", 0), tfe::scalar_event(1, 1, "acc", 1),
                                          tfe::scalar_event(3, 3, "loss", 3), tfe::scalar_event(4, 4, "acc", 4),
                                          tfe::image_event(4, 4, "sample", 1, 1, "\x89PNG\r\n\x1a\nold")});
    write_file(run("events.out.tfevents.1.host"), first);
    write_file(run("events.out.tfevents.2.host"),
               tfe::events_file({tfe::session_start_event(10, 3), tfe::scalar_event(11, 3, "loss", 30),
                                 tfe::scalar_event(12, 4, "loss", 40)}));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.points(), (std::set<Point>{{0, "loss", 0}, {1, "acc", 1}, {3, "loss", 30}, {4, "loss", 40}}));
    EXPECT_TRUE(sink.images.empty());
    EXPECT_EQ(fresh_points(100), sink.points());
}

TEST_F(TensorBoardReaderTest, HparamsInASubfolderBecomeFormatParams) {
    write_file(run("events.out.tfevents.1.host"), loss_events(1, 3));
    // add_hparams: the hparams and the metrics' copy in <logdir>/<time>/.
    write_file(run("1700000000.5/events.out.tfevents.2.host"),
               tfe::events_file({tfe::hparams_event(1, {{"lr", 0.01}, {"opt", std::string("adam")}}),
                                 tfe::scalar_event(1, 2, "hparam/accuracy", 0.7f)}));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.params.at("lr").to_number<double>(), 0.01);
    EXPECT_EQ(sink.params.at("opt").as_string(), "adam");
    EXPECT_EQ(sink.steps(), (std::vector<double>{1, 2}));  // the sub-folder's scalars are not records
    EXPECT_EQ(sink.points().count({2, "hparam/accuracy", 0.7f}), 0u);
    int calls = sink.params_calls;
    read(*reader, sink);
    EXPECT_EQ(sink.params_calls, calls);  // unchanged params are not sent again
    // A later add_hparams (a later sub-folder) wins.
    write_file(run("1700000100.5/events.out.tfevents.3.host"),
               tfe::events_file({tfe::hparams_event(2, {{"lr", 0.1}})}));
    read(*reader, sink);
    EXPECT_EQ(sink.params.at("lr").to_number<double>(), 0.1);
    EXPECT_FALSE(sink.params.contains("opt"));
    EXPECT_EQ(sink.resets, 0);
    // changed_on_disk sees the sub-folders' files too.
    EXPECT_FALSE(reader->changed_on_disk(run_folder()));
    append_file(run("1700000000.5/events.out.tfevents.2.host"), tfe::frame(tfe::scalar_event(3, 3, "x", 1)));
    EXPECT_TRUE(reader->changed_on_disk(run_folder()));
}

TEST_F(TensorBoardReaderTest, HparamsInTheRunFolderCountAndASubfolderWinsOverThem) {
    // TensorFlow's hp.hparams writes the session_start_info into the run's own file.
    write_file(run("events.out.tfevents.1.host"),
               tfe::events_file({tfe::hparams_event(1, {{"units", 64.0}}), tfe::scalar_event(2, 1, "loss", 1)}));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.params.at("units").to_number<double>(), 64);
    EXPECT_EQ(sink.records.size(), 1u);
    write_file(run("1700000000.5/events.out.tfevents.2.host"),
               tfe::events_file({tfe::hparams_event(3, {{"lr", 0.5}})}));
    read(*reader, sink);
    EXPECT_EQ(sink.params, (boost::json::object{{"lr", 0.5}}));
    // The sub-folder goes away: the run folder's hparams are back.
    std::filesystem::remove_all(run("1700000000.5"));
    read(*reader, sink);
    EXPECT_EQ(sink.params.at("units").to_number<double>(), 64);
}

TEST_F(TensorBoardReaderTest, ADanglingLinkNamedLikeAnEventFileCountsAsEmpty) {
    write_file(run("events.out.tfevents.1.host"), loss_events(0, 2));
    std::filesystem::create_symlink(folder_.path() / "missing", run("events.out.tfevents.2.host"));
    auto reader = make();
    RecordingSink sink;
    EXPECT_EQ(read(*reader, sink), ReadStatus::appended);
    EXPECT_EQ(read(*reader, sink), ReadStatus::unchanged);
    EXPECT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.resets, 0);
    EXPECT_FALSE(reader->changed_on_disk(run_folder()));
}

TEST_F(TensorBoardReaderTest, ImagesAreListedWithTheOffsetOfTheirBytes) {
    std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(300, 'p');
    std::string jpeg = std::string("\xff\xd8\xff", 3) + std::string(50, 'j');
    auto file = run("events.out.tfevents.1.host");
    write_file(file,
               tfe::events_file({tfe::scalar_event(1, 1, "loss", 0.5f), tfe::image_event(2, 7, "sample", 4, 3, png),
                                 tfe::images_plugin_event(3, 8, "batch", 5, 6, {jpeg, png})}));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    ASSERT_EQ(sink.images.size(), 3u);
    const RunImage& image = sink.images[0];
    EXPECT_EQ(image.tag, "sample");
    EXPECT_EQ(image.step, 7);
    EXPECT_EQ(image.wall_time, 2);
    EXPECT_EQ(image.width, 4);
    EXPECT_EQ(image.height, 3);
    EXPECT_EQ(image.type, "image/png");
    EXPECT_EQ(image.file, "events.out.tfevents.1.host");
    std::string bytes = read_whole(file);
    EXPECT_EQ(bytes.substr(image.offset, image.bytes), png);
    EXPECT_EQ(sink.images[1].tag, "batch");
    EXPECT_EQ(sink.images[1].type, "image/jpeg");
    EXPECT_EQ(sink.images[1].width, 5);
    EXPECT_EQ(bytes.substr(sink.images[1].offset, sink.images[1].bytes), jpeg);
    EXPECT_EQ(bytes.substr(sink.images[2].offset, sink.images[2].bytes), png);
    EXPECT_EQ(sink.records.size(), 1u);
}

TEST_F(TensorBoardReaderTest, AReplacedFileResetsAndIsReadAgain) {
    auto file = run("events.out.tfevents.1.host");
    write_file(file, loss_events(0, 3));
    auto reader = make();
    RecordingSink sink;
    read(*reader, sink);
    EXPECT_EQ(sink.records.size(), 3u);
    std::filesystem::remove(file);
    write_file(file, tfe::events_file({tfe::scalar_event(1, 1, "acc", 0.9f)}));
    EXPECT_EQ(read(*reader, sink), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 1);
    EXPECT_EQ(sink.points(), (std::set<Point>{{1, "acc", 0.9f}}));
    // Rewritten in place, longer (same inode, other first bytes).
    write_file(file, loss_events(0, 5, 50));
    read(*reader, sink);
    EXPECT_EQ(sink.resets, 2);
    EXPECT_EQ(sink.records.size(), 5u);
    // A file of two that disappears: read again from what is left.
    write_file(run("events.out.tfevents.2.host"), loss_events(5, 6, 50));
    read(*reader, sink);
    EXPECT_EQ(sink.records.size(), 6u);
    std::filesystem::remove(file);
    read(*reader, sink);
    EXPECT_EQ(sink.resets, 3);
    EXPECT_EQ(sink.steps(), (std::vector<double>{5}));
    std::filesystem::remove(run("events.out.tfevents.2.host"));
    EXPECT_EQ(read(*reader, sink), ReadStatus::vanished);
    EXPECT_EQ(reader->error(), "no event file");
}

TEST_F(TensorBoardReaderTest, AZeroLengthFileIsUnchangedUntilItHasRecords) {
    auto file = run("events.out.tfevents.1.host");
    write_file(file, "");
    auto reader = make();
    RecordingSink sink;
    EXPECT_EQ(read(*reader, sink), ReadStatus::unchanged);
    EXPECT_TRUE(sink.records.empty());
    EXPECT_EQ(reader->position(), 0u);
    EXPECT_EQ(reader->identity().size, 0);
    EXPECT_FALSE(reader->changed_on_disk(run_folder()));
    append_file(file, loss_events(0, 2));
    EXPECT_TRUE(reader->changed_on_disk(run_folder()));
    EXPECT_EQ(read(*reader, sink), ReadStatus::appended);
    EXPECT_EQ(sink.records.size(), 2u);
    EXPECT_EQ(sink.resets, 0);
}

TEST_F(TensorBoardReaderTest, ChangedOnDiskOnlyWhenTheFilesChanged) {
    auto file = run("events.out.tfevents.1.host");
    write_file(file, loss_events(0, 1));
    write_file(run("notes.txt"), "not an event file");
    auto reader = make();
    RecordingSink sink;
    EXPECT_TRUE(reader->changed_on_disk(run_folder()));  // nothing read yet
    read(*reader, sink);
    EXPECT_FALSE(reader->changed_on_disk(run_folder()));
    append_file(run("notes.txt"), "more");
    EXPECT_FALSE(reader->changed_on_disk(run_folder()));
    append_file(file, loss_events(1, 2));
    EXPECT_TRUE(reader->changed_on_disk(run_folder()));
    read(*reader, sink);
    EXPECT_FALSE(reader->changed_on_disk(run_folder()));
    write_file(run("events.out.tfevents.2.host"), "");
    EXPECT_TRUE(reader->changed_on_disk(run_folder()));
    read(*reader, sink);
    EXPECT_FALSE(reader->changed_on_disk(run_folder()));
    std::filesystem::remove(run("events.out.tfevents.2.host"));
    EXPECT_TRUE(reader->changed_on_disk(run_folder()));
}

TEST_F(TensorBoardReaderTest, NoEventFileIsVanished) {
    write_file(run("notes.txt"), "");
    auto reader = make();
    RecordingSink sink;
    EXPECT_EQ(read(*reader, sink), ReadStatus::vanished);
    EXPECT_EQ(reader->error(), "no event file");
    auto missing = tensorboard_format().make_reader("events.out.tfevents.1");
    EXPECT_EQ(missing->read(context_, "nowhere", sink, SIZE_MAX), ReadStatus::vanished);
}

TEST_F(TensorBoardReaderTest, SmallBudgetsReadInSlicesWithTheSameRecords) {
    write_file(run("events.out.tfevents.1.host"), loss_events(0, 300));
    write_file(run("events.out.tfevents.2.host"), loss_events(300, 500));
    auto reader = make();
    RecordingSink sink;
    int calls = 0;
    while (read(*reader, sink, 1000) == ReadStatus::more) ++calls;
    EXPECT_GT(calls, 5);
    EXPECT_EQ(sink.records.size(), 500u);
    EXPECT_EQ(reader->position(), std::filesystem::file_size(run("events.out.tfevents.1.host")) +
                                      std::filesystem::file_size(run("events.out.tfevents.2.host")));
    EXPECT_EQ(fresh_points(), sink.points());
}

// --- EventFileTail on its own --------------------------------------------------------------------

class Collector final : public EventFileTail::Visitor {
public:
    explicit Collector(const EventFileTail& tail) : tail_(tail) {}
    void restart() override {
        ++restarts;
        steps.clear();
    }
    void event(const TfEvent& event, std::uint64_t offset) override {
        EXPECT_EQ(tail_.record_offset(), offset + frame_header_bytes);
        steps.push_back(event.step);
        offsets.push_back(offset);
        if (!event.images.empty()) image_bytes = event.images.front().encoded.size();
    }
    void bad_record() override { ++bad_records; }

    std::vector<std::int64_t> steps;
    std::vector<std::uint64_t> offsets;
    std::size_t image_bytes = 0;
    int bad_records = 0;
    int restarts = 0;

private:
    const EventFileTail& tail_;
};

class TensorBoardReaderTailTest : public TensorBoardReaderTest {};

TEST_F(TensorBoardReaderTailTest, ReadsARecordLargerThanTheBuffer) {
    std::string big(buffer_.capacity() + 1000, 'x');
    std::string contents = loss_events(0, 1) + tfe::frame(tfe::image_event(1, 1, "big", 1, 1, big)) + loss_events(2, 3);
    write_file(run("events.out.tfevents.1.host"), contents);
    EventFileTail tail("tb/events.out.tfevents.1.host");
    Collector collector(tail);
    EXPECT_EQ(tail.read(context_, collector, SIZE_MAX).status, ReadStatus::appended);
    EXPECT_EQ(collector.steps, (std::vector<std::int64_t>{0, 1, 2}));
    EXPECT_EQ(collector.image_bytes, big.size());
    EXPECT_EQ(tail.offset(), contents.size());
    EXPECT_EQ(tail.read(context_, collector, SIZE_MAX).status, ReadStatus::unchanged);
}

// A frame header (length and its masked CRC) without its data.
std::string frame_header(std::uint64_t length) {
    std::string header = tfe::Message::le_bytes(length, 8);
    return header + tfe::Message::le_bytes(mask_crc(crc32c(header.data(), header.size())), 4);
}

// Writes `bytes` at `offset` of the file, leaving a hole before it (a sparse file).
void write_at(const std::filesystem::path& path, std::uint64_t offset, const std::string& bytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
}

TEST_F(TensorBoardReaderTailTest, SkipsATooLargeRecordWhoseBytesAreThere) {
    std::string one = loss_events(0, 1);
    std::uint64_t length = max_event_record_bytes + 1;
    auto path = run("events.out.tfevents.1.host");
    write_file(path, one + frame_header(length));
    std::uint64_t after = one.size() + frame_header_bytes + length + frame_footer_bytes;
    write_at(path, after, loss_events(2, 3));
    EventFileTail tail("tb/events.out.tfevents.1.host");
    Collector collector(tail);
    EXPECT_EQ(tail.read(context_, collector, SIZE_MAX).status, ReadStatus::appended);
    EXPECT_EQ(collector.steps, (std::vector<std::int64_t>{0, 2}));
    EXPECT_EQ(collector.offsets.back(), after);
    EXPECT_EQ(collector.bad_records, 1);
}

TEST_F(TensorBoardReaderTailTest, SkipsTheRestOfATooLargeRecordLater) {
    std::string one = loss_events(0, 1);
    std::uint64_t length = max_event_record_bytes + 1;
    auto path = run("events.out.tfevents.1.host");
    write_file(path, one + frame_header(length) + "some of the data");
    EventFileTail tail("tb/events.out.tfevents.1.host");
    Collector collector(tail);
    tail.read(context_, collector, SIZE_MAX);
    EXPECT_EQ(collector.bad_records, 1);
    EXPECT_EQ(tail.offset(), std::filesystem::file_size(path));
    // The rest of it, and a good record after it.
    std::uint64_t after = one.size() + frame_header_bytes + length + frame_footer_bytes;
    write_at(path, after, loss_events(2, 3));
    EXPECT_EQ(tail.read(context_, collector, SIZE_MAX).status, ReadStatus::appended);
    EXPECT_EQ(collector.steps, (std::vector<std::int64_t>{0, 2}));
    EXPECT_EQ(collector.bad_records, 1);
    EXPECT_EQ(tail.offset(), std::filesystem::file_size(path));
}

TEST_F(TensorBoardReaderTailTest, ResyncsAcrossReadsAndRestartsOnAShorterFile) {
    auto path = run("events.out.tfevents.1.host");
    write_file(path, loss_events(0, 2) + "garbage bytes");
    EventFileTail tail("tb/events.out.tfevents.1.host");
    Collector collector(tail);
    tail.read(context_, collector, SIZE_MAX);
    EXPECT_EQ(collector.bad_records, 1);
    append_file(path, "more garbage" + loss_events(2, 4));
    tail.read(context_, collector, SIZE_MAX);
    EXPECT_EQ(collector.steps, (std::vector<std::int64_t>{0, 1, 2, 3}));
    EXPECT_EQ(collector.bad_records, 1);  // one stretch of damage, counted once
    // Truncated to one record (same inode): restart() before the events of the new read.
    std::filesystem::resize_file(path, loss_events(0, 1).size());
    tail.read(context_, collector, SIZE_MAX);
    EXPECT_EQ(collector.restarts, 1);
    EXPECT_EQ(collector.steps, (std::vector<std::int64_t>{0}));
    EXPECT_EQ(tail.offset(), loss_events(0, 1).size());
}

TEST_F(TensorBoardReaderTailTest, StopsNearTheBudgetAndSaysMore) {
    std::string contents = loss_events(0, 100);
    write_file(run("events.out.tfevents.1.host"), contents);
    EventFileTail tail("tb/events.out.tfevents.1.host");
    Collector collector(tail);
    EXPECT_EQ(tail.read(context_, collector, 100).status, ReadStatus::more);
    EXPECT_LT(collector.steps.size(), 10u);
    EXPECT_GE(tail.offset(), 100u);
    while (tail.read(context_, collector, 100).status == ReadStatus::more) {
    }
    EXPECT_EQ(collector.steps.size(), 100u);
    EXPECT_EQ(tail.offset(), contents.size());
}

TEST_F(TensorBoardReaderTailTest, ReportsAMissingFile) {
    EventFileTail tail("tb/events.out.tfevents.none");
    Collector collector(tail);
    EXPECT_EQ(tail.read(context_, collector, SIZE_MAX).status, ReadStatus::vanished);
    EXPECT_NE(tail.error().find("tb/events.out.tfevents.none"), std::string::npos);
}

}  // namespace
}  // namespace ailab::runs::formats
