// RunService over several results folders (config "results": [...]): one FolderRuns each, their
// runs named apart by the folder's name, every question sent to the folder that holds the run.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "net/hub.hpp"
#include "runs/discovery.hpp"
#include "runs/service.hpp"
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

class ResultsFoldersTest : public ::testing::Test {
protected:
    ResultsFoldersTest() {
        settings.poll_interval = 50ms;
        for (const char* name : {"a", "b"}) fs::create_directories(folder.path() / name);
    }
    // A run of `lines` lines whose last is `minutes_ago` old.
    void write_run(const fs::path& run, int lines, double minutes_ago) {
        std::string text;
        double end = unix_now() - minutes_ago * 60;
        for (int i = 0; i < lines; ++i)
            text += log_line(end - (lines - 1 - i), "train 1/10", 0.05 * (i + 1), 1.0 / (1 + i), i);
        write_file(run / "ailab.log", text);
    }
    void start() {
        service = std::make_unique<RunService>(
            std::vector<ResultsFolder>{{"a", folder.path() / "a"}, {"logs_b", folder.path() / "b"}}, settings, hub);
        service->start();
    }

    TempFolder folder;
    Settings settings;
    net::Hub hub;
    std::unique_ptr<RunService> service;
};

TEST_F(ResultsFoldersTest, TheSameRelativePathInTwoFoldersIsTwoRuns) {
    write_run(folder.path() / "a/p/run1", 5, 1);
    write_run(folder.path() / "b/p/run1", 8, 300);
    write_run(folder.path() / "b/q", 3, 1);
    start();
    EXPECT_EQ(service->folder_count(), 2u);

    auto runs = service->list();
    ASSERT_EQ(runs.size(), 3u);
    EXPECT_EQ(runs[0].path, "a/p/run1");  // sorted by path over both folders
    EXPECT_EQ(runs[1].path, "logs_b/p/run1");
    EXPECT_EQ(runs[2].path, "logs_b/q");
    EXPECT_EQ(runs[0].id, run_id("a/p/run1"));
    EXPECT_EQ(runs[1].id, run_id("logs_b/p/run1"));
    EXPECT_EQ(runs[0].group, "a/p");
    EXPECT_EQ(runs[2].group, "logs_b");
    EXPECT_EQ(runs[0].name, "run1");
    EXPECT_EQ(runs[0].state, RunState::running);
    EXPECT_EQ(runs[1].state, RunState::dead);
    EXPECT_EQ(service->count_by_state().at("running"), 2u);
    EXPECT_EQ(service->count_by_state().at("dead"), 1u);

    // Each question goes to the folder holding the run.
    EXPECT_EQ(service->folder_of(runs[1].id), folder.path() / "b" / "p/run1");
    EXPECT_EQ(service->folder_of(runs[0].id), folder.path() / "a" / "p/run1");
    EXPECT_FALSE(service->folder_of(run_id("p/run1")));  // the unscoped id is no run here
    ASSERT_TRUE(service->wait_until_indexed(5s));
    auto a = service->metrics(runs[0].id, MetricsQuery{});
    auto b = service->metrics(runs[1].id, MetricsQuery{});
    ASSERT_TRUE(a && b);
    ASSERT_FALSE(a->series.empty());
    EXPECT_EQ(a->series.front().second.x.size(), 5u);
    EXPECT_EQ(b->series.front().second.x.size(), 8u);
    EXPECT_FALSE(service->metrics("0123456789abcdef", MetricsQuery{}));
    auto detail = service->detail(runs[2].id);
    ASSERT_TRUE(detail);
    EXPECT_EQ(detail->files, std::vector<std::string>{"ailab.log"});
    EXPECT_EQ(service->all_values().size(), 3u);

    // Appends and new runs in the second folder are seen like in the first.
    append_file(folder.path() / "b/q/ailab.log", log_line(unix_now(), "train 2/10", 0.5, 0.1, 3));
    write_run(folder.path() / "b/new", 2, 0);
    service->poll_now();
    auto q = service->summary(runs[2].id);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->lines, 4u);
    EXPECT_TRUE(service->summary(run_id("logs_b/new")));
}

TEST_F(ResultsFoldersTest, CleanupTrashAndRestoreStayInTheRunsFolder) {
    write_run(folder.path() / "a/p/run1", 5, 300);
    write_run(folder.path() / "b/p/run1", 5, 300);
    start();
    std::string in_b = run_id("logs_b/p/run1");
    auto cleaned = service->cleanup({in_b, "0123456789abcdef"}, CleanupScope::only_finished);
    ASSERT_EQ(cleaned.moved.size(), 1u);
    EXPECT_EQ(cleaned.moved[0].path, "logs_b/p/run1");
    EXPECT_TRUE(cleaned.moved[0].trash_path.starts_with("logs_b/.ailab-trash/")) << cleaned.moved[0].trash_path;
    ASSERT_EQ(cleaned.errors.size(), 1u);
    EXPECT_NE(cleaned.errors[0].error.find("no run"), std::string::npos);
    EXPECT_FALSE(fs::exists(folder.path() / "b/p/run1"));
    EXPECT_TRUE(fs::exists(folder.path() / "a/p/run1/ailab.log"));  // the same path in the other folder stays
    EXPECT_TRUE(fs::is_directory(folder.path() / "b/.ailab-trash"));
    EXPECT_FALSE(fs::exists(folder.path() / "a/.ailab-trash"));
    EXPECT_FALSE(service->summary(in_b));
    ASSERT_TRUE(service->summary(run_id("a/p/run1")));

    auto items = service->trash();
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].path, "logs_b/p/run1");
    EXPECT_EQ(items[0].trash_path, cleaned.moved[0].trash_path);

    // A trash path must name its folder; one that does not is refused, nothing moves.
    std::string inside = items[0].trash_path.substr(std::string("logs_b/").size());
    auto refused = service->restore({inside, "nowhere/.ailab-trash/x"});
    EXPECT_TRUE(refused.restored.empty());
    ASSERT_EQ(refused.errors.size(), 2u);
    EXPECT_NE(refused.errors[0].error.find("no results folder named"), std::string::npos);

    auto restored = service->restore({items[0].trash_path});
    ASSERT_EQ(restored.restored.size(), 1u) << (restored.errors.empty() ? "" : restored.errors[0].error);
    EXPECT_EQ(restored.restored[0].path, "logs_b/p/run1");
    EXPECT_EQ(restored.restored[0].id, in_b);
    EXPECT_TRUE(fs::exists(folder.path() / "b/p/run1/ailab.log"));
    ASSERT_TRUE(service->summary(in_b));
    EXPECT_TRUE(service->trash().empty());
}

TEST_F(ResultsFoldersTest, AMissingFolderIsWatchedForAndTheOthersServe) {
    write_run(folder.path() / "a/r", 3, 1);
    fs::remove_all(folder.path() / "b");
    start();
    ASSERT_EQ(service->list().size(), 1u);
    write_run(folder.path() / "b/late", 2, 0);
    service->poll_now();
    EXPECT_TRUE(service->summary(run_id("logs_b/late")));
}

}  // namespace
}  // namespace ailab::runs
