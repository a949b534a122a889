// Issue 12, the server part, through the real binary: a run's config files become flattened params
// (GET /runs/{id}, the bulk GET /runs/params, runs.params when a file changes); metrics as last /
// min / max (GET /runs/values); notes, tags and stars kept in the state folder's SQLite, shared by
// every user, live over the runs topic, kept across a restart and never written into results.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.hpp"

namespace ailab::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::trunc);
    out << text;
}

// Polls GET target until `ready` says yes (the worker reads config files after the cold start).
template <class Ready>
boost::json::value wait_for(const ServerProcess& server, const std::string& target, const std::string& token,
                            Ready ready, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    boost::json::value last;
    while (std::chrono::steady_clock::now() < deadline) {
        auto answer = server.get(target, token);
        if (answer.status == 200) {
            last = answer.json();
            if (ready(last)) return last;
        }
        std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "timed out waiting on " << target << ": " << boost::json::serialize(last);
    return last;
}

HttpResult patch(const ServerProcess& server, const std::string& id, const std::string& body,
                 const std::string& token) {
    HttpOptions options;
    options.token = token;
    options.headers.emplace_back("Content-Type", "application/json");
    return http_request(server.port(), "PATCH", "/api/v1/runs/" + id + "/annotations", body, options);
}

constexpr const char* log_lines =
    "{\"step\": 1, \"loss\": 2.0, \"acc\": 0.1}\n"
    "{\"step\": 2, \"loss\": 0.5, \"acc\": 0.7}\n"
    "not json at all\n"
    "{\"step\": 3, \"loss\": 0.9, \"acc\": 0.6}\n";

TEST(RunParamsIntegration, ConfigFilesBecomeParamsInBulkAndLive) {
    ServerProcess server;
    write(server.results() / "sweep" / "a" / "ailab.log", log_lines);
    write(server.results() / "sweep" / "a" / "config.json",
          R"({"optimizer": {"lr": 0.01, "name": "adamw"}, "seed": 1, "layers": [64, 128]})");
    write(server.results() / "sweep" / "b" / "ailab.log", log_lines);
    write(server.results() / "sweep" / "b" / "hparams.yaml", "lr: 1.0e-05\nmodel:\n  name: resnet50\n");
    write(server.results() / "sweep" / "c" / "ailab.log", log_lines);
    write(server.results() / "sweep" / "c" / "config.json", "{\"lr\": 0.1,");  // broken
    server.start();
    auto token = server.login();
    std::string a = run_id("sweep/a"), b = run_id("sweep/b"), c = run_id("sweep/c");

    EXPECT_EQ(server.get("/api/v1/runs/params", "").status, 401);
    auto all = wait_for(server, "/api/v1/runs/params", token, [&](const boost::json::value& v) {
        return v.at("params").as_object().contains(a) && v.at("params").as_object().contains(b);
    });
    const auto& params = all.at("params").as_object();
    EXPECT_EQ(params.at(a).at("optimizer.lr").to_number<double>(), 0.01);
    EXPECT_EQ(params.at(a).at("optimizer.name").as_string(), "adamw");
    EXPECT_EQ(params.at(a).at("seed").as_int64(), 1);
    EXPECT_EQ(params.at(a).at("layers").as_array().size(), 2u);
    EXPECT_EQ(params.at(b).at("lr").to_number<double>(), 1e-5);
    EXPECT_EQ(params.at(b).at("model.name").as_string(), "resnet50");
    EXPECT_FALSE(params.contains(c)) << "a broken config.json gives no params";

    auto detail = server.get("/api/v1/runs/" + c, token);
    ASSERT_EQ(detail.status, 200);
    EXPECT_TRUE(detail.json().at("params").as_object().empty());
    EXPECT_NE(std::string(detail.json().at("params_error").as_string()).find("config.json is not valid JSON"),
              std::string::npos);
    EXPECT_EQ(detail.json().at("config_text").as_string(), "{\"lr\": 0.1,");  // the text is still shown

    // Metrics as last / min / max, the bad line skipped.
    auto values = wait_for(server, "/api/v1/runs/values", token,
                           [&](const boost::json::value& v) { return v.at("values").as_object().contains(a); });
    const auto& loss = values.at("values").at(a).at("loss").as_array();
    EXPECT_EQ(loss[0].to_number<double>(), 0.9);
    EXPECT_EQ(loss[1].to_number<double>(), 0.5);
    EXPECT_EQ(loss[2].to_number<double>(), 2.0);

    // A config written while the server runs (as editors do: a new file renamed over the old one)
    // reaches the WebSocket as runs.params and the bulk answer.
    WsClient ws;
    ASSERT_EQ(ws.connect(server.port()), "");
    ASSERT_TRUE(ws.authenticate(token));
    ASSERT_TRUE(ws.subscribe({"runs"}));
    write(server.results() / "sweep" / "c" / "config.tmp", R"({"lr": 0.3, "seed": 7})");
    fs::rename(server.results() / "sweep" / "c" / "config.tmp", server.results() / "sweep" / "c" / "config.json");
    auto event = ws.read_type("runs.params", 5s);
    ASSERT_TRUE(event) << "no runs.params";
    EXPECT_EQ(event->at("id").as_string(), c);
    EXPECT_EQ(event->at("params").at("lr").to_number<double>(), 0.3);
    EXPECT_EQ(server.get("/api/v1/runs/params", token).json().at("params").at(c).at("seed").as_int64(), 7);

    // A new run with its config appears with both.
    write(server.results() / "sweep" / "d" / "config.json", R"({"seed": 4})");
    write(server.results() / "sweep" / "d" / "ailab.log", log_lines);
    auto fresh = ws.read_type("runs.params", 5s);
    ASSERT_TRUE(fresh) << "no runs.params for a new run";
    EXPECT_EQ(fresh->at("id").as_string(), run_id("sweep/d"));
}

TEST(RunParamsIntegration, AnnotationsAreSharedLiveAndKeptOutsideResults) {
    ServerProcess server;
    write(server.results() / "p" / "run1" / "ailab.log", log_lines);
    server.start();
    auto admin = server.login();
    std::string id = run_id("p/run1");

    EXPECT_EQ(patch(server, id, R"({"starred": true})", "").status, 401);
    EXPECT_EQ(patch(server, "0000000000000000", R"({"starred": true})", admin).status, 404);
    // Bad input: a clear 400 each, and nothing stored.
    for (const char* body : {R"({"tags": ["a,b"]})", R"({"tags": [""]})", R"({"tags": "best"})", R"({"starred": 1})",
                             R"({"colour": "red"})", R"({})", "[1]", "not json"}) {
        auto refused = patch(server, id, body, admin);
        EXPECT_EQ(refused.status, 400) << body << " -> " << refused.body;
        EXPECT_NE(refused.body.find("\"error\""), std::string::npos) << refused.body;
    }
    std::string long_tag(65, 't');
    auto too_long = patch(server, id, "{\"tags\": [\"" + long_tag + "\"]}", admin);
    EXPECT_EQ(too_long.status, 400);
    EXPECT_NE(too_long.body.find("at most 64 bytes"), std::string::npos) << too_long.body;
    EXPECT_TRUE(server.get("/api/v1/runs/annotations", admin).json().at("annotations").as_object().empty());

    WsClient ws;
    ASSERT_EQ(ws.connect(server.port()), "");
    ASSERT_TRUE(ws.authenticate(admin));
    ASSERT_TRUE(ws.subscribe({"runs"}));

    auto tagged = patch(server, id, R"({"tags": ["best", " seed-sweep ", "best"], "note": "lr 0.01 wins"})", admin);
    ASSERT_EQ(tagged.status, 200) << tagged.body;
    EXPECT_EQ(tagged.json().at("tags").as_array().size(), 2u);
    EXPECT_EQ(tagged.json().at("updated_by").as_string(), "admin");
    auto event = ws.read_type("runs.annotations", 5s);
    ASSERT_TRUE(event) << "no runs.annotations";
    EXPECT_EQ(event->at("id").as_string(), id);
    EXPECT_EQ(event->at("annotations").at("note").as_string(), "lr 0.01 wins");

    auto starred = patch(server, id, R"({"starred": true})", admin);
    ASSERT_EQ(starred.status, 200);
    EXPECT_EQ(starred.json().at("note").as_string(), "lr 0.01 wins") << "a partial update keeps the note";
    auto detail = server.get("/api/v1/runs/" + id, admin).json();
    EXPECT_TRUE(detail.at("annotations").at("starred").as_bool());
    EXPECT_EQ(detail.at("annotations").at("tags").at(1).as_string(), "seed-sweep");

    // Kept in the state folder across a restart; nothing new in the run folder.
    server.stop();
    EXPECT_TRUE(fs::exists(server.state() / "runs.db"));
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(server.results() / "p" / "run1")) ++entries;
    EXPECT_EQ(entries, 1u) << "only ailab.log in the run folder";
    server.start();
    auto token = server.login();
    auto kept = server.get("/api/v1/runs/annotations", token).json().at("annotations").at(id);
    EXPECT_TRUE(kept.at("starred").as_bool());
    EXPECT_EQ(kept.at("note").as_string(), "lr 0.01 wins");
}

}  // namespace
}  // namespace ailab::testing
