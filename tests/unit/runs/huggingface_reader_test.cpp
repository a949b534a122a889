// The Hugging Face Trainer reader (runs/formats/huggingface.hpp) on real files in a temporary
// results folder: trainer_state.json at the root and in checkpoint folders, states that extend or
// restart, progress and the goal, and the TensorBoard callback's events between checkpoints.
#include "runs/formats/huggingface.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "support/tfevents_writer.hpp"
#include "test_util.hpp"

namespace ailab::runs::formats {
namespace {

namespace tfe = ailab::testing::tfevents;
using runs::testing::append_file;
using runs::testing::TempFolder;
using runs::testing::write_file;

struct Recorded {
    double step = absent;
    double epoch = absent;
    double progress = absent;
    std::string goal;
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
        Recorded recorded{values.step, values.epoch, values.progress, std::string(values.goal), {}, position};
        EXPECT_EQ(values.has_goal, !values.goal.empty());
        EXPECT_TRUE(std::isnan(values.timestamp));
        for (const auto& metric : values.metrics) recorded.metrics[std::string(metric.name)] = metric.value;
        records.push_back(std::move(recorded));
    }
    void bad_record() override { ++bad_records; }

    // Every (step, key, value) point, for comparing readers.
    std::set<std::tuple<double, std::string, double>> points() const {
        std::set<std::tuple<double, std::string, double>> out;
        for (const auto& record : records)
            for (const auto& [key, value] : record.metrics) out.emplace(record.step, key, value);
        return out;
    }
    std::vector<double> steps() const {
        std::vector<double> out;
        for (const auto& record : records) out.push_back(record.step);
        return out;
    }

    int resets = 0;
    int bad_records = 0;
    std::vector<Recorded> records;
};

// A log_history entry of a training log call (values exact in float32, as events hold them).
std::string train_entry(int step, double loss) {
    return "{\"epoch\": " + std::to_string(step / 100.0) +
           ", \"grad_norm\": 1.5, \"learning_rate\": 0.25, \"loss\": " + std::to_string(loss) +
           ", \"step\": " + std::to_string(step) + "}";
}
std::string eval_entry(int step, double eval_loss) {
    return "{\"epoch\": " + std::to_string(step / 100.0) + ", \"eval_loss\": " + std::to_string(eval_loss) +
           ", \"eval_runtime\": 2.5, \"step\": " + std::to_string(step) + "}";
}
std::string state_json(int global_step, std::optional<int> max_steps, const std::vector<std::string>& entries) {
    std::string history;
    for (const auto& entry : entries) history += (history.empty() ? "" : ", ") + entry;
    return "{\"global_step\": " + std::to_string(global_step) + ", \"epoch\": " + std::to_string(global_step / 100.0) +
           (max_steps ? ", \"max_steps\": " + std::to_string(*max_steps) : std::string()) + ", \"log_history\": [" +
           history + "]}";
}

// The events HF's TensorBoard callback writes for one training log call.
std::vector<std::string> train_events(int step, float loss) {
    return {tfe::scalar_event(1000 + step, step, "train/loss", loss),
            tfe::scalar_event(1000 + step, step, "train/grad_norm", 1.5f),
            tfe::scalar_event(1000 + step, step, "train/learning_rate", 0.25f),
            tfe::scalar_event(1000 + step, step, "train/epoch", static_cast<float>(step / 100.0))};
}

class HuggingFaceReaderTest : public ::testing::Test {
protected:
    ReadStatus read(RunReader& reader, RecordingSink& into, std::size_t max_bytes = SIZE_MAX) {
        ReadContext context{root, buffer, parser};
        return reader.read(context, "out", into, max_bytes);
    }
    ReadStatus read(std::size_t max_bytes = SIZE_MAX) { return read(*reader, sink, max_bytes); }
    // What a new reader makes of the folder now.
    RecordingSink fresh_read() {
        RecordingSink fresh;
        auto other = huggingface_format().make_reader("trainer_state.json");
        while (read(*other, fresh, 64) == ReadStatus::more) {
        }
        return fresh;
    }
    void write_events(const std::vector<std::string>& records, const std::string& file = "events.out.tfevents.1.host") {
        write_file(events / file, tfe::events_file(records));
    }
    void append_events(const std::vector<std::string>& records,
                       const std::string& file = "events.out.tfevents.1.host") {
        append_file(events / file, tfe::events_file(records));
    }

    TempFolder folder;
    ResultsRoot root{folder.path()};
    std::filesystem::path run = folder.path() / "out";
    std::filesystem::path events = run / "runs" / "Jan01_10-00-00_host";
    ReadBuffer buffer;
    LineParser parser;
    std::unique_ptr<RunReader> reader = huggingface_format().make_reader("trainer_state.json");
    RecordingSink sink;
};

TEST(HuggingFaceFormat, MarkersAndWatchedNames) {
    const Format& format = huggingface_format();
    EXPECT_EQ(format.id, RunFormat::huggingface);
    EXPECT_EQ(format.marker_rank("trainer_state.json", false), 3);
    EXPECT_EQ(format.marker_rank("trainer_state.json", true), 0);
    EXPECT_EQ(format.marker_rank("checkpoint-500", true), 3);
    EXPECT_EQ(format.marker_rank("checkpoint-500", false), 0);
    EXPECT_EQ(format.marker_rank("checkpoint-", true), 0);
    EXPECT_EQ(format.marker_rank("checkpoint-5a", true), 0);
    EXPECT_TRUE(format.watches("trainer_state.json"));
    EXPECT_TRUE(format.watches("checkpoint-12"));
    EXPECT_TRUE(format.watches("runs"));
    EXPECT_FALSE(format.watches("config.json"));
    EXPECT_FALSE(format.writes_goals);
    EXPECT_TRUE(format.needs_polling);
}

TEST_F(HuggingFaceReaderTest, RootStateOnly) {
    write_file(
        run / "trainer_state.json",
        state_json(30, 30, {train_entry(10, 2.5), train_entry(20, 2), eval_entry(20, 1.75), train_entry(30, 1.5)}));
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 1);
    ASSERT_EQ(sink.records.size(), 4u);
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 20, 20, 30}));
    EXPECT_EQ(sink.records[0].metrics,
              (std::map<std::string, double>{{"grad_norm", 1.5}, {"learning_rate", 0.25}, {"loss", 2.5}}));
    EXPECT_DOUBLE_EQ(sink.records[0].epoch, 0.1);
    EXPECT_EQ(sink.records[2].metrics, (std::map<std::string, double>{{"eval_loss", 1.75}, {"eval_runtime", 2.5}}));
    for (std::uint64_t i = 0; i < 4; ++i) EXPECT_EQ(sink.records[i].position, i);
    EXPECT_EQ(reader->position(), 4u);
    // global_step == max_steps: the last record is done.
    EXPECT_TRUE(std::isnan(sink.records[2].progress));
    EXPECT_EQ(sink.records[2].goal, "");
    EXPECT_DOUBLE_EQ(sink.records[3].progress, 1.0);
    EXPECT_EQ(sink.records[3].goal, "done");
    EXPECT_EQ(reader->identity().size,
              static_cast<std::int64_t>(std::filesystem::file_size(run / "trainer_state.json")));

    EXPECT_EQ(read(), ReadStatus::unchanged);
    EXPECT_EQ(sink.records.size(), 4u);
    EXPECT_FALSE(reader->changed_on_disk(run.string()));
}

TEST_F(HuggingFaceReaderTest, NewestCheckpointByNumber) {
    write_file(run / "checkpoint-9" / "trainer_state.json", state_json(9, 100, {train_entry(9, 0.5)}));
    write_file(run / "checkpoint-10" / "trainer_state.json",
               state_json(10, 100, {train_entry(9, 0.5), train_entry(10, 0.25)}));
    std::filesystem::create_directories(run / "checkpoint-2");
    read();
    EXPECT_EQ(sink.steps(), (std::vector<double>{9, 10}));
    // Progress on the last record only; not done yet.
    EXPECT_TRUE(std::isnan(sink.records[0].progress));
    EXPECT_DOUBLE_EQ(sink.records[1].progress, 0.1);
    EXPECT_EQ(sink.records[1].goal, "");
}

TEST_F(HuggingFaceReaderTest, RootStateWinsTiesAndLosesToALaterCheckpoint) {
    write_file(run / "checkpoint-10" / "trainer_state.json", state_json(10, 100, {train_entry(10, 0.5)}));
    write_file(run / "trainer_state.json", state_json(10, 100, {train_entry(10, 0.125)}));
    read();
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_EQ(sink.records[0].metrics.at("loss"), 0.125);

    write_file(run / "trainer_state.json", state_json(5, 100, {train_entry(5, 0.75)}));
    write_file(run / "checkpoint-10" / "trainer_state.json",
               state_json(10, 100, {train_entry(5, 0.75), train_entry(10, 0.5)}));
    auto fresh = fresh_read();
    ASSERT_EQ(fresh.records.size(), 2u);
    EXPECT_EQ(fresh.records[1].metrics.at("loss"), 0.5);
}

TEST_F(HuggingFaceReaderTest, MissingMaxStepsGivesNoProgress) {
    write_file(run / "trainer_state.json", state_json(20, std::nullopt, {train_entry(10, 1), train_entry(20, 0.5)}));
    read();
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_TRUE(std::isnan(sink.records[1].progress));
    EXPECT_EQ(sink.records[1].goal, "");
    // max_steps 0: the Trainer did not know it.
    write_file(run / "checkpoint-30" / "trainer_state.json",
               state_json(30, 0, {train_entry(10, 1), train_entry(20, 0.5), train_entry(30, 0.25)}));
    read();
    ASSERT_EQ(sink.records.size(), 3u);
    EXPECT_TRUE(std::isnan(sink.records[2].progress));
}

TEST_F(HuggingFaceReaderTest, EpochOfTheStateWhenTheLastEntryLacksOne) {
    write_file(run / "trainer_state.json",
               "{\"global_step\": 7, \"epoch\": 1.5, \"max_steps\": 14, \"log_history\": "
               "[{\"loss\": 0.5, \"step\": 7}]}");
    read();
    ASSERT_EQ(sink.records.size(), 1u);
    EXPECT_DOUBLE_EQ(sink.records[0].epoch, 1.5);
    EXPECT_DOUBLE_EQ(sink.records[0].progress, 0.5);
}

TEST_F(HuggingFaceReaderTest, LaterStateExtendsWithOnlyNewEntries) {
    write_file(run / "checkpoint-10" / "trainer_state.json",
               state_json(10, 40, {train_entry(5, 1), train_entry(10, 0.75)}));
    read();
    ASSERT_EQ(sink.records.size(), 2u);
    EXPECT_FALSE(reader->changed_on_disk(run.string()));

    write_file(
        run / "checkpoint-20" / "trainer_state.json",
        state_json(20, 40, {train_entry(5, 1), train_entry(10, 0.75), train_entry(15, 0.5), eval_entry(20, 0.25)}));
    EXPECT_TRUE(reader->changed_on_disk(run.string()));
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 1);
    ASSERT_EQ(sink.records.size(), 4u);
    EXPECT_EQ(sink.records[2].step, 15);
    EXPECT_EQ(sink.records[2].position, 2u);
    EXPECT_EQ(sink.records[3].metrics.at("eval_loss"), 0.25);
    EXPECT_DOUBLE_EQ(sink.records[3].progress, 0.5);
    EXPECT_EQ(reader->position(), 4u);
    EXPECT_EQ(sink.points(), fresh_read().points());
}

TEST_F(HuggingFaceReaderTest, RestartFromAnEarlierCheckpointResets) {
    write_file(
        run / "checkpoint-40" / "trainer_state.json",
        state_json(40, 100, {train_entry(10, 1), train_entry(20, 0.75), train_entry(30, 0.5), train_entry(40, 0.25)}));
    read();
    ASSERT_EQ(sink.records.size(), 4u);
    // Resumed from checkpoint-20 after the later ones were removed: other steps after 20.
    std::filesystem::remove_all(run / "checkpoint-40");
    write_file(run / "checkpoint-25" / "trainer_state.json",
               state_json(25, 100, {train_entry(10, 1), train_entry(20, 0.75), train_entry(25, 0.625)}));
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.resets, 2);
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 20, 25}));
    EXPECT_EQ(sink.records[0].position, 0u);
    EXPECT_EQ(reader->position(), 3u);
}

TEST_F(HuggingFaceReaderTest, HalfWrittenNewestCheckpointIsPassedOver) {
    write_file(run / "checkpoint-10" / "trainer_state.json", state_json(10, 100, {train_entry(10, 0.5)}));
    write_file(run / "checkpoint-20" / "trainer_state.json", "{\"global_step\": 20, \"log_hist");
    std::filesystem::create_directories(run / "checkpoint-30");  // no state file yet
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.steps(), (std::vector<double>{10}));
    EXPECT_EQ(sink.bad_records, 0);
    EXPECT_FALSE(reader->changed_on_disk(run.string()));

    write_file(run / "checkpoint-30" / "trainer_state.json",
               state_json(30, 100, {train_entry(10, 0.5), train_entry(20, 0.25), train_entry(30, 0.125)}));
    EXPECT_TRUE(reader->changed_on_disk(run.string()));
    read();
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 20, 30}));
    EXPECT_EQ(sink.resets, 1);
}

TEST_F(HuggingFaceReaderTest, EventsBeyondTheStateThenNotDuplicated) {
    write_file(run / "checkpoint-10" / "trainer_state.json",
               state_json(10, 40, {train_entry(5, 1), train_entry(10, 0.75)}));
    std::vector<std::string> records = {tfe::file_version_event(1000)};
    for (int step : {5, 10, 15}) {
        auto more = train_events(step, step == 15 ? 0.5f : (step == 10 ? 0.75f : 1.0f));
        records.insert(records.end(), more.begin(), more.end());
    }
    records.push_back(tfe::scalar_event(1020, 20, "train/loss", 0.375f));
    write_events(records);
    EXPECT_EQ(read(), ReadStatus::appended);
    // The state's two entries, then the events past step 10: one record per step.
    EXPECT_EQ(sink.steps(), (std::vector<double>{5, 10, 15, 20}));
    const Recorded& live = sink.records[2];
    EXPECT_EQ(live.metrics,
              (std::map<std::string, double>{{"grad_norm", 1.5}, {"learning_rate", 0.25}, {"loss", 0.5}}));
    EXPECT_DOUBLE_EQ(live.epoch, static_cast<float>(0.15));
    EXPECT_DOUBLE_EQ(live.progress, 15.0 / 40);
    EXPECT_EQ(live.position, 2u);
    EXPECT_EQ(reader->position(), 4u);
    EXPECT_EQ(sink.points(), fresh_read().points());
    EXPECT_FALSE(reader->changed_on_disk(run.string()));
    auto identity_before = reader->identity();

    // The rest of step 20's log call, and its evaluation.
    append_events({tfe::scalar_event(1020, 20, "train/grad_norm", 1.5f),
                   tfe::scalar_event(1020, 20, "train/learning_rate", 0.25f),
                   tfe::scalar_event(1020, 20, "train/epoch", 0.2f)});
    EXPECT_TRUE(reader->changed_on_disk(run.string()));
    read();
    EXPECT_GT(reader->identity().size, identity_before.size);
    ASSERT_EQ(sink.records.size(), 5u);
    EXPECT_EQ(sink.records[4].step, 20);
    EXPECT_EQ(sink.records[4].metrics, (std::map<std::string, double>{{"grad_norm", 1.5}, {"learning_rate", 0.25}}));

    // The checkpoint at 20 catches up, with an evaluation the events have not shown: only that is new.
    write_file(run / "checkpoint-20" / "trainer_state.json",
               state_json(20, 40,
                          {train_entry(5, 1), train_entry(10, 0.75), train_entry(15, 0.5), train_entry(20, 0.375),
                           eval_entry(20, 0.625)}));
    read();
    ASSERT_EQ(sink.records.size(), 6u);
    EXPECT_EQ(sink.records[5].step, 20);
    EXPECT_EQ(sink.records[5].metrics, (std::map<std::string, double>{{"eval_loss", 0.625}, {"eval_runtime", 2.5}}));
    EXPECT_DOUBLE_EQ(sink.records[5].progress, 0.5);
    EXPECT_EQ(sink.resets, 1);

    // The evaluation's events come late: already shown.
    append_events(
        {tfe::scalar_event(1021, 20, "eval/loss", 0.625f), tfe::scalar_event(1021, 20, "eval/runtime", 2.5f)});
    read();
    EXPECT_EQ(sink.records.size(), 6u);
    // Training goes on past the checkpoint.
    append_events(train_events(25, 0.25f));
    read();
    ASSERT_EQ(sink.records.size(), 7u);
    EXPECT_EQ(sink.records[6].step, 25);
    EXPECT_EQ(sink.records[6].position, 6u);
    EXPECT_EQ(sink.points(), fresh_read().points());
    EXPECT_EQ(sink.bad_records, 0);
}

TEST_F(HuggingFaceReaderTest, EventsOfTheNewestRunsSubfolderOnly) {
    write_file(run / "checkpoint-10" / "trainer_state.json", state_json(10, 40, {train_entry(10, 0.75)}));
    auto old_folder = run / "runs" / "Dec31_09-00-00_host";
    write_file(old_folder / "events.out.tfevents.0.host",
               tfe::events_file({tfe::scalar_event(900, 30, "train/loss", 9.0f)}));
    std::filesystem::last_write_time(old_folder / "events.out.tfevents.0.host",
                                     std::filesystem::file_time_type::clock::now() - std::chrono::hours(24));
    write_events({tfe::scalar_event(1015, 15, "train/loss", 0.5f)});
    read();
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 15}));
    EXPECT_EQ(sink.records[1].metrics.at("loss"), 0.5);
}

TEST_F(HuggingFaceReaderTest, EventFilesInNameOrderAndBudget) {
    write_file(run / "checkpoint-10" / "trainer_state.json", state_json(10, 100, {train_entry(10, 0.75)}));
    std::vector<std::string> first, second;
    for (int step = 11; step <= 30; ++step) first.push_back(tfe::scalar_event(1000 + step, step, "train/loss", 0.5f));
    for (int step = 31; step <= 40; ++step) second.push_back(tfe::scalar_event(1000 + step, step, "train/loss", 0.25f));
    write_events(first, "events.out.tfevents.1.host.1");
    write_events(second, "events.out.tfevents.2.host.1");
    int calls = 0;
    while (read(64) == ReadStatus::more) ++calls;
    EXPECT_GT(calls, 1);
    ASSERT_EQ(sink.records.size(), 31u);
    for (std::size_t i = 0; i < sink.records.size(); ++i)
        EXPECT_EQ(sink.records[i].step, 10.0 + static_cast<double>(i));
    EXPECT_EQ(sink.resets, 1);
}

TEST_F(HuggingFaceReaderTest, NewRunsSubfolderAfterLiveEventsStartsOver) {
    write_file(run / "checkpoint-10" / "trainer_state.json", state_json(10, 100, {train_entry(10, 0.75)}));
    write_events({tfe::scalar_event(1015, 15, "train/loss", 0.5f), tfe::scalar_event(1020, 20, "train/loss", 0.375f)});
    std::filesystem::last_write_time(events / "events.out.tfevents.1.host",
                                     std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
    read();
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 15, 20}));
    // Resumed from checkpoint-10 in a new process: a new subfolder, other values after step 10.
    write_file(run / "runs" / "Jan01_11-00-00_host" / "events.out.tfevents.2.host",
               tfe::events_file({tfe::scalar_event(2015, 15, "train/loss", 0.625f)}));
    EXPECT_TRUE(reader->changed_on_disk(run.string()));
    read();
    EXPECT_EQ(sink.resets, 2);
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 15}));
    EXPECT_EQ(sink.records[1].metrics.at("loss"), 0.625);
    EXPECT_EQ(sink.points(), fresh_read().points());
}

TEST_F(HuggingFaceReaderTest, BadEventRecordsAreCounted) {
    write_file(run / "checkpoint-10" / "trainer_state.json", state_json(10, 100, {train_entry(10, 0.75)}));
    std::string good = tfe::events_file({tfe::scalar_event(1015, 15, "train/loss", 0.5f)});
    std::string bad = good;
    bad[bad.size() - 1] = static_cast<char>(bad[bad.size() - 1] ^ 0x5a);  // the data's checksum
    write_file(events / "events.out.tfevents.1.host",
               bad + tfe::events_file({tfe::scalar_event(1016, 16, "train/loss", 0.25f)}));
    read();
    EXPECT_EQ(sink.bad_records, 1);
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 16}));
}

TEST_F(HuggingFaceReaderTest, ReplacedEventFileStartsOver) {
    write_file(run / "checkpoint-10" / "trainer_state.json", state_json(10, 100, {train_entry(10, 0.75)}));
    write_events({tfe::file_version_event(1000), tfe::scalar_event(1015, 15, "train/loss", 0.5f),
                  tfe::scalar_event(1020, 20, "train/loss", 0.375f)});
    read();
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 15, 20}));
    // Written again from the start, shorter and with other values.
    write_events({tfe::file_version_event(2000), tfe::scalar_event(2015, 15, "train/loss", 0.25f)});
    while (read() == ReadStatus::more) {
    }
    EXPECT_EQ(sink.resets, 2);
    EXPECT_EQ(sink.steps(), (std::vector<double>{10, 15}));
    EXPECT_EQ(sink.records[1].metrics.at("loss"), 0.25);
    EXPECT_EQ(sink.points(), fresh_read().points());
}

TEST_F(HuggingFaceReaderTest, VanishesWithoutStateOrCheckpoint) {
    EXPECT_EQ(read(), ReadStatus::vanished);  // no folder
    write_file(run / "config.json", "{}");
    EXPECT_EQ(read(), ReadStatus::vanished);  // a folder without markers
    EXPECT_FALSE(reader->error().empty());
    write_file(run / "checkpoint-10" / "trainer_state.json", state_json(10, 100, {train_entry(10, 0.75)}));
    EXPECT_EQ(read(), ReadStatus::appended);
    EXPECT_EQ(sink.records.size(), 1u);
    std::filesystem::remove_all(run / "checkpoint-10");
    EXPECT_TRUE(reader->changed_on_disk(run.string()));
    EXPECT_EQ(read(), ReadStatus::vanished);
}

}  // namespace
}  // namespace ailab::runs::formats
