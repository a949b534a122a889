// Issue 13 end to end: the real binary on a results folder that mixes all four formats (an AI Lab
// log, TensorBoard event files, Lightning's metrics.csv, Hugging Face's trainer_state.json), read
// natively, with live appends to each and the state changes they bring, seen through the API and
// the WebSocket. Event files are written by our own writer (tests/support/tfevents_writer.hpp).
//
// Tried here: files older than idle_minutes start idle and turn running when they grow; a
// truncated last event waits for its bytes; a corrupted record is counted and reading goes on;
// PyTorch's add_hparams sub-folder gives params, not a stray run; Hugging Face's own event files
// in runs/<date>/ do not make a second run; global_step == max_steps is done.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "support/tfevents_writer.hpp"

namespace ailab::testing {
namespace {

namespace fs = std::filesystem;
namespace tfe = tfevents;
using namespace std::chrono_literals;

void append(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << text;
}

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << text;
}

// Sets a file's mtime `age` in the past.
void age_file(const fs::path& path, std::chrono::seconds age) {
    auto when = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() - age);
    struct utimbuf times {
        when, when
    };
    ASSERT_EQ(::utime(path.c_str(), &times), 0) << path;
}

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

const boost::json::object* find_run(const boost::json::value& runs, const std::string& path) {
    for (const auto& run : runs.at("runs").as_array()) {
        if (run.at("path").as_string() == path) return &run.as_object();
    }
    return nullptr;
}

std::string trainer_state(int global_step, int max_steps, int entries) {
    std::string history;
    for (int i = 1; i <= entries; ++i) {
        if (!history.empty()) history += ",";
        history += R"({"step":)" + std::to_string(i * 10) + R"(,"epoch":)" + std::to_string(i * 0.1) + R"(,"loss":)" +
                   std::to_string(1.0 / i) + R"(,"learning_rate":0.001})";
    }
    return R"({"global_step":)" + std::to_string(global_step) + R"(,"max_steps":)" + std::to_string(max_steps) +
           R"(,"epoch":)" + std::to_string(entries * 0.1) + R"(,"num_train_epochs":1,"log_history":[)" + history + "]}";
}

// Polls GET /api/v1/runs until `check` holds for the run at `path` (or the time runs out).
template <typename Check>
bool wait_for_run(ServerProcess& server, const std::string& token, const std::string& path, Check check,
                  std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto listed = server.get("/api/v1/runs", token);
        if (listed.status == 200) {
            auto runs = listed.json();
            if (const auto* run = find_run(runs, path); run && check(*run)) return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

TEST(RunFormatsIntegration, FourFormatsSideBySideWithLiveAppendsAndStates) {
    ServerProcess server(boost::json::object{{"idle_minutes", 5}});
    const fs::path results = server.results();
    double old = unix_now() - 3600;

    // AI Lab's own log: running.
    append(results / "mix/ailab_run/ailab.log", R"({"goal": "train 1/2", "progress": 0.1, "loss": 1.0, "step": 1})"
                                                "\n");
    // TensorBoard: an hour-old run (idle), with a corrupted record between two good ones, a
    // truncated last record, and add_hparams's sub-folder.
    std::string good1 = tfe::frame(tfe::scalar_event(old, 1, "loss/train", 0.5f));
    std::string bad = tfe::frame(tfe::scalar_event(old, 2, "loss/train", 0.4f));
    bad[bad.size() - 1] ^= 0x5a;  // the data CRC no longer matches
    std::string good3 = tfe::frame(tfe::scalar_event(old, 3, "loss/train", 0.3f));
    std::string partial = tfe::frame(tfe::scalar_event(old, 4, "loss/train", 0.2f));
    fs::path events = results / "mix/tb_run/events.out.tfevents.1700000000.host";
    write(events, tfe::frame(tfe::file_version_event(old)) + good1 + bad + good3 + partial.substr(0, 7));
    write(results / "mix/tb_run/1700000001.5/events.out.tfevents.1700000001.host",
          tfe::frame(tfe::file_version_event(old)) +
              tfe::frame(tfe::hparams_event(old, {{"lr", 0.01}, {"optimizer", std::string("adam")}})));
    // Lightning: rows with blanks, an hour old (idle), max_epochs known.
    fs::path csv = results / "mix/pl_run/metrics.csv";
    write(csv, "epoch,step,train_loss,val_loss\n0,9,0.9,\n0,9,,0.8\n");
    write(results / "mix/pl_run/hparams.yaml", "max_epochs: 2\nlr: 0.1\n");
    age_file(csv, 1h);
    // Hugging Face: a finished run (global_step == max_steps) and one halfway, with the Trainer's
    // own event files in runs/<date>/.
    write(results / "mix/hf_done/trainer_state.json", trainer_state(100, 100, 10));
    write(results / "mix/hf_live/checkpoint-50/trainer_state.json", trainer_state(50, 100, 5));
    write(results / "mix/hf_live/runs/Dec03_10-00-00_host/events.out.tfevents.1.host",
          tfe::frame(tfe::file_version_event(unix_now())) +
              tfe::frame(tfe::scalar_event(unix_now(), 50, "train/loss", 0.2f)));

    server.start();
    auto token = server.login();
    auto listed = server.get("/api/v1/runs", token);
    ASSERT_EQ(listed.status, 200) << listed.body;
    auto runs = listed.json();
    // One entry per training: no stray run for the hparams sub-folder or HF's runs/<date>/.
    EXPECT_EQ(runs.at("runs").as_array().size(), 5u) << listed.body;
    const auto* ailab = find_run(runs, "mix/ailab_run");
    const auto* tb = find_run(runs, "mix/tb_run");
    const auto* pl = find_run(runs, "mix/pl_run");
    const auto* hf_done = find_run(runs, "mix/hf_done");
    const auto* hf_live = find_run(runs, "mix/hf_live");
    ASSERT_TRUE(ailab && tb && pl && hf_done && hf_live) << listed.body;
    EXPECT_EQ(ailab->at("format").as_string(), "ailab");
    EXPECT_EQ(ailab->at("state").as_string(), "running");
    EXPECT_EQ(tb->at("format").as_string(), "tensorboard");
    EXPECT_EQ(tb->at("state").as_string(), "idle");
    EXPECT_EQ(tb->at("errors").at("bad_lines").as_int64(), 1);
    EXPECT_EQ(pl->at("format").as_string(), "lightning");
    EXPECT_EQ(pl->at("state").as_string(), "idle");
    EXPECT_EQ(hf_done->at("format").as_string(), "huggingface");
    EXPECT_EQ(hf_done->at("state").as_string(), "done");
    EXPECT_NEAR(hf_done->at("progress").to_number<double>(), 1.0, 1e-9);
    EXPECT_EQ(hf_live->at("state").as_string(), "running");
    EXPECT_NEAR(hf_live->at("progress").to_number<double>(), 0.5, 1e-9);
    std::string tb_id(tb->at("id").as_string());

    // TensorBoard: tags as written, the points before and after the bad record, hparams as params.
    auto metrics = server.get("/api/v1/runs/" + tb_id + "/metrics?keys=loss/train&max_points=100", token);
    ASSERT_EQ(metrics.status, 200) << metrics.body;
    auto series = metrics.json();
    const auto& xs = series.at("series").at("loss/train").at("x").as_array();
    ASSERT_EQ(xs.size(), 2u) << metrics.body;
    EXPECT_EQ(xs[0].to_number<double>(), 1.0);
    EXPECT_EQ(xs[1].to_number<double>(), 3.0);
    auto detail = server.get("/api/v1/runs/" + tb_id, token);
    ASSERT_EQ(detail.status, 200);
    auto detail_json = detail.json();
    ASSERT_TRUE(detail_json.at("params").as_object().contains("lr")) << detail.body;
    EXPECT_NEAR(detail_json.at("params").at("lr").to_number<double>(), 0.01, 1e-9) << detail.body;
    EXPECT_EQ(detail_json.at("params").at("optimizer").as_string(), "adam");

    WsClient ws;
    ASSERT_EQ(ws.connect(server.port()), "");
    ASSERT_TRUE(ws.authenticate(token));
    ASSERT_TRUE(ws.subscribe({"runs"}));

    // The rest of the truncated record, then a new one written now: idle → running, live points.
    append(events, partial.substr(7) + tfe::frame(tfe::scalar_event(unix_now(), 5, "loss/train", 0.1f)));
    bool tb_point = false;
    for (int i = 0; i < 20 && !tb_point; ++i) {
        auto points = ws.read_type("runs.points", 5s);
        ASSERT_TRUE(points) << "no runs.points for the event file";
        if (points->at("id").as_string() != tb_id) continue;
        const auto& last = points->at("points").as_array().back().as_object();
        EXPECT_EQ(last.at("step").to_number<double>(), 5.0);
        EXPECT_NEAR(last.at("values").at("loss/train").to_number<double>(), 0.1, 1e-6);
        tb_point = true;
    }
    EXPECT_TRUE(tb_point);
    EXPECT_TRUE(wait_for_run(server, token, "mix/tb_run",
                             [](const boost::json::object& run) { return run.at("state").as_string() == "running"; }));
    auto after = server.get("/api/v1/runs/" + tb_id + "/metrics?keys=loss/train&max_points=100", token);
    auto after_json = after.json();
    EXPECT_EQ(after_json.at("series").at("loss/train").at("x").as_array().size(), 4u) << after.body;

    // Lightning: a new row → running.
    append(csv, "1,19,0.7,\n");
    EXPECT_TRUE(wait_for_run(server, token, "mix/pl_run", [](const boost::json::object& run) {
        return run.at("state").as_string() == "running" && run.at("lines").is_int64() &&
               run.at("lines").as_int64() == 3;
    }));

    // Hugging Face: the next checkpoint moves the progress on; the last one is done.
    write(results / "mix/hf_live/checkpoint-80/trainer_state.json", trainer_state(80, 100, 8));
    EXPECT_TRUE(wait_for_run(server, token, "mix/hf_live", [](const boost::json::object& run) {
        return run.at("progress").is_number() && std::abs(run.at("progress").to_number<double>() - 0.8) < 1e-9;
    }));
    write(results / "mix/hf_live/trainer_state.json", trainer_state(100, 100, 10));
    EXPECT_TRUE(wait_for_run(server, token, "mix/hf_live",
                             [](const boost::json::object& run) { return run.at("state").as_string() == "done"; }));
    // Still one entry for that training.
    EXPECT_EQ(server.get("/api/v1/runs", token).json().at("runs").as_array().size(), 5u);

    // The AI Lab log goes on as before.
    append(results / "mix/ailab_run/ailab.log", R"({"goal": "done", "progress": 1.0, "loss": 0.5, "step": 2})"
                                                "\n");
    EXPECT_TRUE(wait_for_run(server, token, "mix/ailab_run",
                             [](const boost::json::object& run) { return run.at("state").as_string() == "done"; }));
}

TEST(RunFormatsIntegration, HuggingFaceAbsorbsItsEventFilesRunAtTheFirstCheckpoint) {
    ServerProcess server;
    const fs::path results = server.results();
    // Before the first checkpoint, the Trainer's runs/<date>/ event files are all there is.
    fs::path events = results / "hf_out/runs/Dec03_10-00-00_host/events.out.tfevents.1.host";
    write(events, tfe::frame(tfe::file_version_event(unix_now())) +
                      tfe::frame(tfe::scalar_event(unix_now(), 10, "train/loss", 0.9f)));
    server.start();
    auto token = server.login();
    auto runs = server.get("/api/v1/runs", token).json();
    ASSERT_EQ(runs.at("runs").as_array().size(), 1u);
    EXPECT_EQ(runs.at("runs").as_array()[0].at("format").as_string(), "tensorboard");

    // The first checkpoint: the output folder is a Hugging Face run now, and the event-file run
    // inside it is gone (one entry for one training).
    write(results / "hf_out/checkpoint-10/trainer_state.json", trainer_state(10, 100, 1));
    EXPECT_TRUE(wait_for_run(server, token, "hf_out", [](const boost::json::object& run) {
        return run.at("format").as_string() == "huggingface";
    }));
    auto after = server.get("/api/v1/runs", token).json();
    ASSERT_EQ(after.at("runs").as_array().size(), 1u) << boost::json::serialize(after);
    EXPECT_EQ(after.at("runs").as_array()[0].at("path").as_string(), "hf_out");
}

// "results" as a list of two folders, named in the config. Tried here:
// the same relative path in both folders is two runs (prefixed paths, distinct ids), each run's
// files root and metrics come from its own folder, and a run written later in the second folder
// shows up live.
TEST(RunFormatsIntegration, SeveralResultsFoldersAreListedSideBySide) {
    TempDir first, second;
    ServerProcess server(boost::json::object{
        {"results", boost::json::array{boost::json::object{{"name", "local"}, {"path", first.path().string()}},
                                       boost::json::object{{"name", "tb"}, {"path", second.path().string()}}}}});
    append(first.path() / "p/run1/ailab.log", R"({"goal": "train 1/2", "progress": 0.1, "loss": 1.0, "step": 1})"
                                              "\n");
    write(second.path() / "p/run1/events.out.tfevents.1.host",
          tfe::frame(tfe::file_version_event(unix_now())) + tfe::frame(tfe::scalar_event(unix_now(), 1, "loss", 0.5f)) +
              tfe::frame(tfe::scalar_event(unix_now(), 2, "loss", 0.25f)));
    server.start();
    auto token = server.login();
    auto runs = server.get("/api/v1/runs", token).json();
    const auto* mine = find_run(runs, "local/p/run1");
    const auto* theirs = find_run(runs, "tb/p/run1");
    ASSERT_TRUE(mine && theirs) << boost::json::serialize(runs);
    EXPECT_EQ(mine->at("format").as_string(), "ailab");
    EXPECT_EQ(theirs->at("format").as_string(), "tensorboard");
    EXPECT_EQ(theirs->at("group").as_string(), "tb/p");
    std::string id = std::string(theirs->at("id").as_string());
    EXPECT_EQ(id, run_id("tb/p/run1"));
    EXPECT_NE(id, std::string(mine->at("id").as_string()));

    auto metrics = server.get("/api/v1/runs/" + id + "/metrics", token);
    ASSERT_EQ(metrics.status, 200) << metrics.body;
    EXPECT_NE(metrics.body.find("0.25"), std::string::npos) << metrics.body;
    auto files = server.get("/api/v1/files/list?root=run:" + id + "&path=", token);
    ASSERT_EQ(files.status, 200) << files.body;
    EXPECT_NE(files.body.find("events.out.tfevents.1.host"), std::string::npos) << files.body;

    write(second.path() / "q/run2/ailab.log", R"({"goal": "train 1/2", "progress": 0.5, "loss": 0.5, "step": 5})"
                                              "\n");
    EXPECT_TRUE(wait_for_run(server, token, "tb/q/run2", [](const boost::json::object&) { return true; }));
}

}  // namespace
}  // namespace ailab::testing
