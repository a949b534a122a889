#include "runs/service.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "net/hub.hpp"
#include "runs/discovery.hpp"
#include "test_util.hpp"

namespace ailab::runs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::append_file;
using testing::log_line;
using testing::TempFolder;
using testing::unix_now;
using testing::write_file;

// A WebSocket client stand-in that records what the hub delivers (the events of a runs.batch
// one by one, as the GUI applies them) and how many messages came.
class RecordingClient : public net::HubClient {
public:
    void deliver(net::SharedMessage message) override {
        std::lock_guard lock(mutex_);
        ++deliveries_;
        auto object = boost::json::parse(*message).as_object();
        if (object.at("type").as_string() == "runs.batch") {
            for (const auto& event : object.at("events").as_array()) messages_.push_back(event.as_object());
        } else {
            messages_.push_back(std::move(object));
        }
        arrived_.notify_all();
    }
    std::size_t deliveries() {
        std::lock_guard lock(mutex_);
        return deliveries_;
    }
    // Waits until a message matches; returns it.
    std::optional<boost::json::object> wait_for(const std::function<bool(const boost::json::object&)>& match,
                                                std::chrono::milliseconds timeout = 3s) {
        std::unique_lock lock(mutex_);
        std::optional<boost::json::object> found;
        arrived_.wait_for(lock, timeout, [&] {
            for (const auto& message : messages_) {
                if (match(message)) {
                    found = message;
                    return true;
                }
            }
            return false;
        });
        return found;
    }
    std::vector<boost::json::object> messages() {
        std::lock_guard lock(mutex_);
        return messages_;
    }

private:
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<boost::json::object> messages_;
    std::size_t deliveries_ = 0;
};

bool is_type(const boost::json::object& message, std::string_view type, const std::string& id = "") {
    if (message.at("type").as_string() != type) return false;
    if (id.empty()) return true;
    if (type == "runs.added") return message.at("run").at("id").as_string() == id;
    return message.at("id").as_string() == id;
}

class RunServiceTest : public ::testing::Test {
protected:
    RunServiceTest() {
        results = folder.path() / "results";
        settings.poll_interval = 50ms;
        settings.dead_after = 90min;
        settings.discovery_depth = 5;
        fs::create_directories(results);
    }
    fs::path run_folder(const std::string& path) const { return results / path; }
    // Writes a run of 10 epochs whose last line is `minutes_ago` old and reached final_progress.
    void write_run(const std::string& path, int lines, double minutes_ago, const std::string& last_goal = "",
                   double final_progress = 0.5) {
        std::string text;
        double end = unix_now() - minutes_ago * 60;
        for (int i = 0; i < lines; ++i) {
            double progress = final_progress * (i + 1.0) / lines;
            int epoch = std::min(10, 1 + static_cast<int>(progress * 10));
            text +=
                log_line(end - (lines - 1 - i), "train " + std::to_string(epoch) + "/10", progress, 2.0 / (1 + i), i);
        }
        if (!last_goal.empty())
            text += "{\"timestamp\": \"" + testing::local_timestamp(end) + "\", \"goal\": \"" + last_goal + "\"}\n";
        write_file(run_folder(path) / "ailab.log", text);
    }
    std::optional<RunSummary> find_run(const std::string& path) {
        auto summary = service->summary(run_id(path));
        return summary;
    }
    void start() {
        service = std::make_unique<RunService>(results, settings, hub);
        service->start();
    }
    void subscribe() {
        client = std::make_shared<RecordingClient>();
        hub.subscribe(client, "runs");
    }

    TempFolder folder;
    fs::path results;
    Settings settings;
    net::Hub hub;
    std::unique_ptr<RunService> service;
    std::shared_ptr<RecordingClient> client;
};

TEST_F(RunServiceTest, EveryStateIsKnownWhenStartReturns) {
    write_run("p/running", 50, 1);
    write_run("p/done", 50, 300, "done");
    write_run("p/failed", 50, 300, "failed");
    write_run("p/dead", 50, 300);
    write_run("p/finished", 50, 300, "", 1.0);  // stale, last epoch finished with progress 1.0
    write_run("p/paused", 50, 1, "pause");
    write_file(run_folder("p/empty") / "log.txt", "");
    write_file(run_folder("p/garbage") / "ailab.log", "not json\n[1]\n");
    start();
    EXPECT_EQ(find_run("p/running")->state, RunState::running);
    EXPECT_EQ(find_run("p/done")->state, RunState::done);
    EXPECT_EQ(find_run("p/failed")->state, RunState::failed);
    EXPECT_EQ(find_run("p/dead")->state, RunState::dead);
    EXPECT_EQ(find_run("p/finished")->state, RunState::done);
    EXPECT_EQ(find_run("p/paused")->state, RunState::paused);
    EXPECT_EQ(find_run("p/empty")->state, RunState::empty);
    EXPECT_EQ(find_run("p/empty")->log_file, "log.txt");
    EXPECT_EQ(find_run("p/garbage")->state, RunState::empty);
    auto counts = service->count_by_state();
    EXPECT_EQ(counts["running"], 1u);
    EXPECT_EQ(counts["dead"], 1u);
    EXPECT_EQ(counts["empty"], 2u);
    EXPECT_EQ(counts["waiting"], 0u);
    EXPECT_EQ(counts["done"], 2u);
    EXPECT_EQ(service->list().size(), 8u);

    ASSERT_TRUE(service->wait_until_indexed(10s));
    auto running = find_run("p/running");
    EXPECT_EQ(running->lines, 50u);
    EXPECT_EQ(running->phase, "train");
    EXPECT_EQ(running->epochs, 10);
    EXPECT_EQ(running->metrics, (std::vector<std::string>{"score", "loss"}));
    EXPECT_EQ(running->group, "p");
    EXPECT_EQ(running->name, "running");
    ASSERT_TRUE(running->started_at && running->updated_at);
    EXPECT_NEAR(*running->updated_at - *running->started_at, 49.0, 0.01);
    EXPECT_EQ(find_run("p/garbage")->bad_lines, 2u);
    EXPECT_TRUE(find_run("p/dead")->aborted_early == false);
}

TEST_F(RunServiceTest, UnreadableLogIsShownAsSuch) {
    if (::geteuid() == 0) GTEST_SKIP() << "root reads everything";
    write_run("locked", 5, 1);
    ::chmod((run_folder("locked") / "ailab.log").c_str(), 0);
    start();
    EXPECT_EQ(find_run("locked")->state, RunState::unreadable);
    ::chmod((run_folder("locked") / "ailab.log").c_str(), 0644);
    service->poll_now();
    EXPECT_EQ(find_run("locked")->state, RunState::running);
}

TEST_F(RunServiceTest, LogThatIsNoRegularFileIsUnreadableAndDoesNotBlock) {
    fs::create_directories(run_folder("weird"));
    ASSERT_EQ(::mkfifo((run_folder("weird") / "ailab.log").c_str(), 0644), 0);  // opening it must not hang
    start();
    EXPECT_EQ(find_run("weird")->state, RunState::unreadable);
    fs::remove(run_folder("weird") / "ailab.log");
    write_run("weird", 3, 1);
    service->poll_now();
    EXPECT_EQ(find_run("weird")->state, RunState::running);
    EXPECT_EQ(find_run("weird")->lines, 3u);
}

TEST_F(RunServiceTest, AppendedLinesShowUpAfterAPoll) {
    write_run("r", 10, 1);
    start();
    ASSERT_TRUE(service->wait_until_indexed(10s));
    append_file(run_folder("r") / "ailab.log", log_line(unix_now(), "val 3/10", 0.3, 0.1, 10));
    service->poll_now();
    auto run = find_run("r");
    EXPECT_EQ(run->lines, 11u);
    EXPECT_EQ(run->phase, "val");
    EXPECT_EQ(run->epoch, 3.0);
    EXPECT_EQ(run->progress, 0.3);
}

TEST_F(RunServiceTest, PartialAndBrokenLinesAreHandled) {
    write_run("r", 3, 1);
    start();
    ASSERT_TRUE(service->wait_until_indexed(10s));
    append_file(run_folder("r") / "ailab.log", "{\"goal\": \"val 9/10\"");
    service->poll_now();
    EXPECT_EQ(find_run("r")->lines, 3u);  // waits for its newline
    append_file(run_folder("r") / "ailab.log", "}\nbroken\n");
    service->poll_now();
    auto run = find_run("r");
    EXPECT_EQ(run->lines, 4u);  // valid lines; the broken one is counted apart
    EXPECT_EQ(run->bad_lines, 1u);
    EXPECT_EQ(run->epoch, 9.0);
}

TEST_F(RunServiceTest, TruncatedLogIsReadAgain) {
    write_run("r", 20, 1);
    start();
    ASSERT_TRUE(service->wait_until_indexed(10s));
    write_run("r", 2, 1);
    service->poll_now();
    EXPECT_EQ(find_run("r")->lines, 2u);
}

TEST_F(RunServiceTest, VanishedLogKeepsTheRunAsUnreadableAndDeletedFolderRemovesIt) {
    write_run("p/r", 5, 1);
    start();
    fs::remove(run_folder("p/r") / "ailab.log");
    service->poll_now();
    ASSERT_TRUE(find_run("p/r"));
    EXPECT_EQ(find_run("p/r")->state, RunState::unreadable);
    fs::remove_all(run_folder("p/r"));
    service->poll_now();
    EXPECT_FALSE(find_run("p/r"));
}

TEST_F(RunServiceTest, NewRunsAppearWithoutRestart) {
    start();
    EXPECT_TRUE(service->list().empty());
    write_run("later/deep/run", 5, 1);
    service->poll_now();
    auto run = find_run("later/deep/run");
    ASSERT_TRUE(run);
    EXPECT_EQ(run->state, RunState::running);
    // A folder that gets its log only later becomes a run then.
    fs::create_directories(run_folder("later/deep/run2"));
    service->poll_now();
    EXPECT_FALSE(find_run("later/deep/run2"));
    write_run("later/deep/run2", 1, 1);
    service->poll_now();
    EXPECT_TRUE(find_run("later/deep/run2"));
}

TEST_F(RunServiceTest, WebSocketGetsAddedUpdatedPointsAndRemovedWithoutPolling) {
    write_run("r", 5, 1);
    start();
    ASSERT_TRUE(service->wait_until_indexed(10s));
    subscribe();
    auto id = run_id("r");
    append_file(run_folder("r") / "ailab.log",
                "{\"timestamp\": \"" + testing::local_timestamp(unix_now()) +
                    "\", \"goal\": \"val 2/10\", \"progress\": 0.5, \"loss\": 0.25, \"step\": 77}\n");
    // inotify (or the 50 ms poll) delivers it; no poll_now() here.
    // (An earlier runs.updated may still report the end of the initial index, with every field
    // because nothing was sent before this client subscribed.)
    auto updated = client->wait_for([&](const auto& m) {
        if (!is_type(m, "runs.updated", id)) return false;
        const auto* phase = m.at("changes").as_object().if_contains("phase");
        return phase && phase->is_string() && phase->as_string() == "val";
    });
    ASSERT_TRUE(updated);
    const auto& changes = updated->at("changes").as_object();
    EXPECT_EQ(changes.at("lines").as_int64(), 6);
    EXPECT_EQ(changes.at("phase").as_string(), "val");
    EXPECT_FALSE(changes.contains("log_file"));  // changed fields only
    EXPECT_FALSE(changes.contains("epochs"));
    auto points = client->wait_for([&](const auto& m) { return is_type(m, "runs.points", id); });
    ASSERT_TRUE(points);
    const auto& point = points->at("points").as_array().at(0).as_object();
    EXPECT_EQ(point.at("step").to_number<double>(), 77.0);
    EXPECT_EQ(point.at("values").at("loss").to_number<double>(), 0.25);
    EXPECT_DOUBLE_EQ(point.at("epoch").to_number<double>(), 1.5);  // (2 - 1) + 0.5

    write_run("new_run", 3, 1);
    auto added = client->wait_for([&](const auto& m) { return is_type(m, "runs.added", run_id("new_run")); });
    ASSERT_TRUE(added);
    EXPECT_EQ(added->at("run").at("state").as_string(), "running");

    fs::remove_all(run_folder("new_run"));
    EXPECT_TRUE(client->wait_for([&](const auto& m) { return is_type(m, "runs.removed", run_id("new_run")); }));
}

TEST_F(RunServiceTest, UpdatesAreBatchedToAtMostTenMessagesASecond) {
    // Five runs written at once: each batch is still one WebSocket message for the client.
    constexpr int run_count = 5;
    for (int r = 0; r < run_count; ++r) write_run("r" + std::to_string(r), 5, 1);
    start();
    ASSERT_TRUE(service->wait_until_indexed(10s));
    subscribe();
    auto begin = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) {
        for (int r = 0; r < run_count; ++r) {
            append_file(run_folder("r" + std::to_string(r)) / "ailab.log",
                        log_line(unix_now(), "train 5/10", 0.5, 0.1, 100 + i));
        }
        std::this_thread::sleep_for(5ms);
    }
    auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    std::size_t updates = 0, point_count = 0;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (point_count < 100u * run_count && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
        updates = point_count = 0;
        for (const auto& message : client->messages()) {
            if (is_type(message, "runs.updated")) ++updates;
            if (is_type(message, "runs.points")) point_count += message.at("points").as_array().size();
        }
    }
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    EXPECT_LE(client->deliveries(), static_cast<std::size_t>(seconds * 10) + 2);
    EXPECT_LE(updates, static_cast<std::size_t>(elapsed * 10 + 2) * run_count);
    EXPECT_EQ(point_count, 100u * run_count);  // batching loses no point
}

TEST_F(RunServiceTest, RoutesReadWhileTheWorkerAppendsAndDiscovers) {
    write_run("busy", 600, 1);
    start();
    subscribe();  // so the worker also builds events
    std::atomic<bool> done{false};
    std::atomic<int> reads{0};
    auto reader = [&] {
        MetricsQuery coarse, exact;
        coarse.max_points = 50;
        exact.max_points = 100'000;
        while (!done) {
            auto runs = service->list();
            for (const auto& run : runs) {
                service->summary(run.id);
                service->metrics(run.id, coarse);
                service->metrics(run.id, exact);
                service->export_points(run.id, ExportFormat::jsonl);
            }
            service->count_by_state();
            ++reads;
        }
    };
    std::thread first(reader), second(reader);
    for (int i = 0; i < 200; ++i) {
        append_file(run_folder("busy") / "ailab.log", log_line(unix_now(), "train 6/10", 0.55, 0.1, 600 + i));
        if (i % 50 == 0) write_run("other" + std::to_string(i), 20, 1);
        std::this_thread::sleep_for(1ms);
    }
    service->poll_now();
    done = true;
    first.join();
    second.join();
    EXPECT_GT(reads.load(), 2);
    EXPECT_EQ(find_run("busy")->lines, 800u);
    EXPECT_EQ(service->list().size(), 5u);
}

TEST_F(RunServiceTest, MetricsFromMemoryOrFromDiskAgree) {
    write_run("r", 5000, 1);
    start();
    ASSERT_TRUE(service->wait_until_indexed(10s));
    MetricsQuery query;
    query.keys = {"loss"};
    query.max_points = 100;
    auto coarse = service->metrics(run_id("r"), query);
    ASSERT_TRUE(coarse);
    EXPECT_FALSE(coarse->from_disk);
    ASSERT_EQ(coarse->series.size(), 1u);
    EXPECT_LE(coarse->series[0].second.x.size(), 100u);
    EXPECT_FLOAT_EQ(
        static_cast<float>(*std::max_element(coarse->series[0].second.y.begin(), coarse->series[0].second.y.end())),
        2.0f);

    query.max_points = 5000;
    auto exact = service->metrics(run_id("r"), query);
    ASSERT_TRUE(exact);
    EXPECT_TRUE(exact->from_disk);
    const auto& series = exact->series[0].second;
    ASSERT_EQ(series.x.size(), 5000u);
    EXPECT_EQ(series.x[1234], 1234.0);
    EXPECT_NEAR(series.y[1234], 2.0 / 1235, 1e-6);

    query.max_points = 1000;
    query.axis = XAxis::time;
    auto by_time = service->metrics(run_id("r"), query);
    ASSERT_TRUE(by_time);
    EXPECT_LE(by_time->series[0].second.x.size(), 1000u);
    EXPECT_GT(by_time->series[0].second.x.front(), 1e9);

    query.keys = {"nope"};
    EXPECT_TRUE(service->metrics(run_id("r"), query)->series.empty());
    auto missing = service->metrics("0000000000000000", query);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(is_no_such_run(missing.error()));
}

TEST_F(RunServiceTest, ReplayOfALogThatCannotBeReadIsAnErrorNotAMissingRun) {
    write_run("r", 2000, 1);
    start();
    ASSERT_TRUE(service->wait_until_indexed(10s));
    fs::remove(run_folder("r") / "ailab.log");
    MetricsQuery query;
    query.max_points = 100'000;  // finer than the history: read from disk
    auto metrics = service->metrics(run_id("r"), query);
    ASSERT_FALSE(metrics);
    EXPECT_FALSE(is_no_such_run(metrics.error()));
    EXPECT_TRUE(metrics.error().is(boost::system::errc::no_such_file_or_directory));
    // Named by the run's path below results; the server's own folders are not shown.
    EXPECT_EQ(metrics.error().message.rfind("run r: its log cannot be read", 0), 0u) << metrics.error().message;
    EXPECT_EQ(metrics.error().message.find(run_folder("r").string()), std::string::npos) << metrics.error().message;
    auto exported = service->export_points(run_id("r"), ExportFormat::csv);
    ASSERT_FALSE(exported);
    EXPECT_FALSE(is_no_such_run(exported.error()));
}

TEST_F(RunServiceTest, ExportWritesEveryPoint) {
    write_file(run_folder("r") / "ailab.log",
               "{\"step\": 1, \"loss\": 0.5}\n{\"step\": 2, \"loss\": 0.25, \"acc\": 0.9}\nbad\n");
    start();
    ASSERT_TRUE(service->wait_until_indexed(10s));
    auto csv = service->export_points(run_id("r"), ExportFormat::csv);
    ASSERT_TRUE(csv);
    EXPECT_EQ(csv->file_name, "r.csv");
    EXPECT_EQ(csv->body, "step,time,epoch,loss,acc\n1,,,0.5\n2,,,0.25,0.9\n");
    auto jsonl = service->export_points(run_id("r"), ExportFormat::jsonl);
    ASSERT_TRUE(jsonl);
    EXPECT_EQ(jsonl->file_name, "r.jsonl");
    EXPECT_EQ(jsonl->body,
              "{\"step\":1,\"time\":null,\"epoch\":null,\"values\":{\"loss\":0.5}}\n"
              "{\"step\":2,\"time\":null,\"epoch\":null,\"values\":{\"loss\":0.25,\"acc\":0.9}}\n");
    auto missing = service->export_points("ffffffffffffffff", ExportFormat::csv);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(is_no_such_run(missing.error()));
    EXPECT_EQ(missing.error().message, "no run with id ffffffffffffffff");
}

TEST_F(RunServiceTest, CleanupMovesOnlyFinishedRunsAndRestoreBringsThemBack) {
    write_run("p/dead", 5, 300);
    write_run("p/running", 5, 1);
    start();
    subscribe();
    auto result =
        service->cleanup({run_id("p/dead"), run_id("p/running"), "0123456789abcdef"}, CleanupScope::only_finished);
    ASSERT_EQ(result.moved.size(), 1u);
    EXPECT_EQ(result.moved[0].path, "p/dead");
    EXPECT_TRUE(result.moved[0].trash_path.starts_with(".ailab-trash/"));
    ASSERT_EQ(result.errors.size(), 2u);
    EXPECT_NE(result.errors[0].error.find("running"), std::string::npos);
    EXPECT_FALSE(find_run("p/dead"));
    EXPECT_FALSE(fs::exists(run_folder("p/dead")));
    EXPECT_TRUE(client->wait_for([&](const auto& m) { return is_type(m, "runs.removed", run_id("p/dead")); }));

    auto items = service->trash();
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].path, "p/dead");

    auto restored = service->restore({items[0].trash_path, ".ailab-trash/2000-01-01/nothing"});
    ASSERT_EQ(restored.restored.size(), 1u);
    EXPECT_EQ(restored.restored[0].id, run_id("p/dead"));
    EXPECT_EQ(restored.errors.size(), 1u);
    ASSERT_TRUE(find_run("p/dead"));  // listed as soon as restore returns
    EXPECT_EQ(find_run("p/dead")->state, RunState::dead);
    EXPECT_TRUE(service->trash().empty());

    auto forced = service->cleanup({run_id("p/running")}, CleanupScope::forced);
    EXPECT_EQ(forced.moved.size(), 1u);
}

TEST_F(RunServiceTest, DetailHasConfigAndFiles) {
    write_run("r", 2, 1);
    write_file(run_folder("r") / "config.json", R"({"lr": 0.001})");
    write_file(run_folder("r") / "hparams.yaml", "lr: 0.001\n");
    fs::create_directories(run_folder("r") / "checkpoints");
    start();
    auto detail = service->detail(run_id("r"));
    ASSERT_TRUE(detail);
    EXPECT_EQ(detail->config_json, R"({"lr": 0.001})");
    EXPECT_EQ(detail->hparams_text, "lr: 0.001\n");
    EXPECT_EQ(detail->files, (std::vector<std::string>{"ailab.log", "checkpoints/", "config.json", "hparams.yaml"}));
}

TEST_F(RunServiceTest, StopIsIdempotentAndStartWithoutResultsFolderWorks) {
    results = folder.path() / "missing";
    start();
    EXPECT_TRUE(service->list().empty());
    write_run("x", 1, 1);  // creates missing/x
    service->poll_now();
    EXPECT_TRUE(find_run("x"));
    service->stop();
    service->stop();
}

}  // namespace
}  // namespace ailab::runs
