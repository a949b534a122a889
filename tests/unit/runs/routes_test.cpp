#include "runs/routes.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "net/hub.hpp"
#include "net/router.hpp"
#include "runs/discovery.hpp"
#include "runs/service.hpp"
#include "test_util.hpp"

namespace ailab::runs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::log_line;
using testing::TempFolder;
using testing::unix_now;
using testing::write_file;

class RunRoutesTest : public ::testing::Test {
protected:
    RunRoutesTest() {
        settings.poll_interval = 50ms;
        std::string text;
        for (int i = 0; i < 300; ++i) text += log_line(unix_now() - 300 + i, "train 2/10", i / 300.0, 1.0 / (i + 1), i);
        write_file(folder.path() / "project/run1/ailab.log", text);
        write_file(folder.path() / "project/run1/config.json", R"({"model": "resnet50"})");
        write_file(folder.path() / "old/ailab.log", log_line(unix_now() - 86400, "warmup", 0.0, 1.0, 0));
        service = std::make_unique<RunService>(folder.path(), settings, hub);
        service->start();
        EXPECT_TRUE(service->wait_until_indexed(10s));
        register_run_routes(router, *service);
    }

    net::Response call(net::Method method, const std::string& target, const std::string& body = "",
                       const std::string& token = "good") {
        net::Request request;
        request.method = method;
        auto question = target.find('?');
        request.path = target.substr(0, question);
        if (question != std::string::npos) {
            request.query_string = target.substr(question + 1);
            request.query = net::parse_query(request.query_string).value();  // the tests send valid queries
        }
        request.body = body;
        if (!token.empty()) request.headers.emplace_back("authorization", "Bearer " + token);
        return router.dispatch(request, [](std::string_view token) -> std::optional<std::string> {
            if (token == "good") return "admin";
            return std::nullopt;
        });
    }
    static boost::json::object json(const net::Response& response) {
        return boost::json::parse(response.body).as_object();
    }

    TempFolder folder;
    Settings settings;
    net::Hub hub;
    net::Router router;
    std::unique_ptr<RunService> service;
    std::string run1 = run_id("project/run1");
};

TEST_F(RunRoutesTest, EveryRouteNeedsTheToken) {
    for (const auto& route : router.routes()) {
        EXPECT_EQ(route.access, net::Access::token_required) << route.pattern;
        auto path = route.pattern;
        if (auto brace = path.find("{id}"); brace != std::string::npos) path.replace(brace, 4, run1);
        if (auto brace = path.find("{index}"); brace != std::string::npos) path.replace(brace, 7, "0");
        EXPECT_EQ(call(route.method, path, "{}", "").status, 401) << route.pattern;
        EXPECT_EQ(call(route.method, path, "{}", "bad").status, 401) << route.pattern;
    }
}

TEST_F(RunRoutesTest, OnlyAnswersFromMemoryRunOnTheIoThread) {
    std::size_t checked = 0;
    for (const auto& route : router.routes()) {
        bool from_memory = route.pattern == "/api/v1/runs" || route.pattern == "/api/v1/runs/params" ||
                           route.pattern == "/api/v1/runs/values" || route.pattern == "/api/v1/runs/{id}/images";
        EXPECT_EQ(route.execution, from_memory ? net::Execution::io_thread : net::Execution::worker) << route.pattern;
        ++checked;
    }
    EXPECT_EQ(checked, 11u);
}

TEST_F(RunRoutesTest, ListHasEveryRunWithTheSummaryFields) {
    auto response = call(net::Method::get, "/api/v1/runs");
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, "application/json");
    auto runs = json(response).at("runs").as_array();
    ASSERT_EQ(runs.size(), 2u);
    const auto& old = runs[0].as_object();  // sorted by path
    EXPECT_EQ(old.at("path").as_string(), "old");
    EXPECT_EQ(old.at("state").as_string(), "dead");
    EXPECT_EQ(old.at("aborted_early").as_bool(), true);
    EXPECT_EQ(old.at("group").as_string(), "");
    const auto& run = runs[1].as_object();
    for (auto key : {"id", "name", "path", "group", "log_file", "state", "phase", "epoch", "epochs", "progress", "eta",
                     "score", "job_id", "started_at", "updated_at", "aborted_early", "metrics", "lines", "errors"})
        EXPECT_TRUE(run.contains(key)) << key;
    EXPECT_EQ(run.at("id").as_string(), run1);
    EXPECT_EQ(run.at("state").as_string(), "running");
    EXPECT_EQ(run.at("epoch").as_int64(), 2);
    EXPECT_EQ(run.at("epochs").as_int64(), 10);
    EXPECT_EQ(run.at("eta").to_number<double>(), 600.0);
    EXPECT_EQ(run.at("lines").as_int64(), 300);
    EXPECT_EQ(run.at("errors").at("bad_lines").as_int64(), 0);
}

TEST_F(RunRoutesTest, DetailAnd404) {
    auto response = call(net::Method::get, "/api/v1/runs/" + run1);
    ASSERT_EQ(response.status, 200);
    auto body = json(response);
    EXPECT_EQ(body.at("config").at("model").as_string(), "resnet50");
    EXPECT_TRUE(body.at("config_text").is_null());
    EXPECT_EQ(body.at("files").as_array().size(), 2u);
    EXPECT_EQ(body.at("name").as_string(), "run1");

    auto missing = call(net::Method::get, "/api/v1/runs/0000000000000000");
    EXPECT_EQ(missing.status, 404);
    EXPECT_NE(json(missing).at("error").as_string().find("no run with id"), std::string::npos);
}

TEST_F(RunRoutesTest, MetricsWithKeysAxisAndMaxPoints) {
    auto response = call(net::Method::get, "/api/v1/runs/" + run1 + "/metrics?keys=loss,nope&x=step&max_points=50");
    ASSERT_EQ(response.status, 200);
    auto body = json(response);
    EXPECT_EQ(body.at("x").as_string(), "step");
    const auto& series = body.at("series").as_object();
    EXPECT_EQ(series.size(), 1u);
    const auto& loss = series.at("loss").as_object();
    EXPECT_LE(loss.at("x").as_array().size(), 50u);
    EXPECT_EQ(loss.at("x").as_array().size(), loss.at("y").as_array().size());
    EXPECT_EQ(loss.at("y").as_array().at(0).to_number<double>(), 1.0);  // the first (maximum) value, exactly

    auto all = json(call(net::Method::get, "/api/v1/runs/" + run1 + "/metrics"));
    EXPECT_EQ(all.at("series").as_object().size(), 2u);  // score and loss
    EXPECT_EQ(all.at("series").at("loss").at("x").as_array().size(), 300u);

    EXPECT_EQ(call(net::Method::get, "/api/v1/runs/" + run1 + "/metrics?x=wallclock").status, 400);
    EXPECT_EQ(call(net::Method::get, "/api/v1/runs/" + run1 + "/metrics?max_points=-1").status, 400);
    EXPECT_EQ(call(net::Method::get, "/api/v1/runs/" + run1 + "/metrics?max_points=abc").status, 400);
    EXPECT_EQ(call(net::Method::get, "/api/v1/runs/0000000000000000/metrics").status, 404);
}

TEST_F(RunRoutesTest, ExportCsvAndJsonlAsAttachments) {
    auto csv = call(net::Method::get, "/api/v1/runs/" + run1 + "/export?format=csv");
    ASSERT_EQ(csv.status, 200);
    EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
    EXPECT_EQ(csv.header("Content-Disposition"), "attachment; filename=\"run1.csv\"");
    EXPECT_TRUE(csv.body.starts_with("step,time,epoch,score,loss\n0,"));
    EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 301);
    auto jsonl = call(net::Method::get, "/api/v1/runs/" + run1 + "/export?format=jsonl");
    ASSERT_EQ(jsonl.status, 200);
    EXPECT_EQ(std::count(jsonl.body.begin(), jsonl.body.end(), '\n'), 300);
    EXPECT_EQ(call(net::Method::get, "/api/v1/runs/" + run1 + "/export?format=xml").status, 400);
    EXPECT_EQ(call(net::Method::get, "/api/v1/runs/0000000000000000/export").status, 404);
}

TEST_F(RunRoutesTest, CleanupTrashAndRestore) {
    auto old_id = run_id("old");
    EXPECT_EQ(call(net::Method::post, "/api/v1/runs/cleanup", "not json").status, 400);
    EXPECT_EQ(call(net::Method::post, "/api/v1/runs/cleanup", R"({"ids": "x"})").status, 400);
    EXPECT_EQ(call(net::Method::post, "/api/v1/runs/cleanup", R"({"ids": [], "force": 1})").status, 400);
    auto response =
        call(net::Method::post, "/api/v1/runs/cleanup", R"({"ids": [")" + old_id + R"(", ")" + run1 + R"("]})");
    ASSERT_EQ(response.status, 200);
    auto body = json(response);
    ASSERT_EQ(body.at("moved").as_array().size(), 1u);
    EXPECT_EQ(body.at("moved").at(0).at("id").as_string(), old_id);
    ASSERT_EQ(body.at("errors").as_array().size(), 1u);
    EXPECT_EQ(body.at("errors").at(0).at("id").as_string(), run1);

    auto trash = json(call(net::Method::get, "/api/v1/runs/trash"));
    ASSERT_EQ(trash.at("items").as_array().size(), 1u);
    std::string trash_path(trash.at("items").at(0).at("trash_path").as_string());
    EXPECT_EQ(trash.at("items").at(0).at("path").as_string(), "old");

    auto restored = json(call(net::Method::post, "/api/v1/runs/restore", R"({"items": [")" + trash_path + R"("]})"));
    ASSERT_EQ(restored.at("restored").as_array().size(), 1u);
    EXPECT_EQ(restored.at("restored").at(0).at("path").as_string(), "old");
    EXPECT_EQ(call(net::Method::get, "/api/v1/runs/" + old_id).status, 200);
    EXPECT_EQ(call(net::Method::post, "/api/v1/runs/restore", R"({"items": [3]})").status, 400);
}

}  // namespace
}  // namespace ailab::runs
