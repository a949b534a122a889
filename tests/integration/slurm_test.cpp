// The Slurm executor against a real Slurm: munged, slurmctld and slurmd from Debian's slurm-wlm
// and munge, started by scripts/slurm-up.sh in a temp folder (one node, loopback) for this test
// program and stopped after it. Skipped, saying why, when Slurm is not installed or this is not
// root (slurmd must be). What is tried: a CPU job with its output streamed live while it runs, a
// job that fails with its exit code, cancel of a running job, a dependency chain (and the
// dependant of a failed job), kill -9 of the server mid-job and a restart (the job is found again,
// finishes and its output is whole), and slurmctld stopped while a job is submitted (it waits with
// Slurm's reason and is submitted exactly once when the controller is back).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "job_api.hpp"

namespace ailab::testing {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

std::filesystem::path scripts() { return std::filesystem::path(AILAB_SOURCE_DIR) / "scripts"; }

class Slurm : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (::geteuid() != 0) {
            skip_reason_ = "slurmd must run as root here";
            return;
        }
        cluster_ = new TempDir();
        // With our pid: if this binary crashes, slurm-up's watchdog stops the daemons.
        const auto up = run_program(
            {(scripts() / "slurm-up.sh").string(), cluster_->path().string(), std::to_string(::getpid())}, "", 60s);
        if (up.exit_code == 2) {
            skip_reason_ = "Slurm is not installed: " + up.output;
            return;
        }
        ASSERT_EQ(up.exit_code, 0) << up.output;
        conf_ = (cluster_->path() / "slurm.conf").string();
        ::setenv("SLURM_CONF", conf_.c_str(), 1);  // the server and our own squeue find the cluster
    }
    static void TearDownTestSuite() {
        if (cluster_ != nullptr) {
            run_program({(scripts() / "slurm-down.sh").string(), cluster_->path().string()}, "", 30s);
            delete cluster_;
            cluster_ = nullptr;
        }
    }
    void SetUp() override {
        if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    }

    static void stop_controller() {
        std::ifstream in(cluster_->path() / "slurmctld.pid");
        pid_t pid = 0;
        in >> pid;
        ASSERT_GT(pid, 0);
        ::kill(pid, SIGTERM);
        for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(50ms);
    }
    static void start_controller() {
        // Without -i: the controller recovers its jobs from its state folder.
        const auto started = run_program(
            {"/bin/sh", "-c", "exec /usr/sbin/slurmctld -f \"$0\" </dev/null >/dev/null 2>&1", conf_}, "", 30s);
        ASSERT_EQ(started.exit_code, 0) << started.output;
    }
    // Every job the controller holds, as "id state comment" lines.
    static std::string squeue_lines() { return run_program({"squeue", "-h", "--states=all", "-o", "%i %T %k"}).output; }

    static inline TempDir* cluster_ = nullptr;
    static inline std::string conf_;
    static inline std::string skip_reason_;
};

struct SlurmServer {
    SlurmServer() : server(config(shared.path())) {
        server.start();
        token = server.login();
    }
    static json::object config(const std::filesystem::path& shared) {
        return {{"gpus", json::array{}},
                {"executor", {{"type", "slurm"}, {"shared_dir", (shared / "ailab").string()}}},
                {"slurm_poll_s", 1}};
    }
    std::int64_t submit_ok(const json::object& body) const { return job_api::submit_ok(server, token, body); }
    json::object job(std::int64_t id) const { return job_api::job(server, token, id); }
    json::object wait_for(std::int64_t id, const std::set<std::string>& states,
                          std::chrono::milliseconds timeout = 40s) const {
        return job_api::wait_for(server, token, id, states, timeout);
    }
    json::object wait_ended(std::int64_t id) const { return wait_for(id, {"done", "failed", "cancelled"}); }
    std::string output(std::int64_t id) const { return job_api::output(server, token, id); }
    TempDir shared;  // the "shared file system": every node of this one-node cluster sees it
    ServerProcess server;
    std::string token;
};

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

json::object shell(const std::string& text, json::object extra = {}) {
    extra["shell"] = text;
    return extra;
}

TEST_F(Slurm, ACpuJobRunsWithItsOutputStreamedLive) {
    SlurmServer host;
    const auto id = host.submit_ok(
        shell("echo first line; sleep 2; echo job=$AILAB_JOB_ID slurm=$SLURM_JOB_ID unbuffered=$PYTHONUNBUFFERED; pwd",
              {{"name", "live"}}));
    auto running = host.wait_for(id, {"running"});
    EXPECT_EQ(running.at("executor").as_string(), "slurm");
    ASSERT_TRUE(running.at("slurm_job_id").is_string()) << json::serialize(running);
    const std::string slurm_id(running.at("slurm_job_id").as_string());
    EXPECT_FALSE(running.at("nodes").is_null()) << json::serialize(running);

    // The output WebSocket delivers the first line while the job still runs, then the rest and
    // the end message.
    WsClient client;
    ASSERT_EQ(client.connect(host.server.port(), "", "/api/v1/jobs/" + std::to_string(id) + "/output/ws"), "");
    ASSERT_TRUE(client.authenticate(host.token));
    ASSERT_TRUE(client.send(R"({"type":"resume","offset":0})"));
    std::string received;
    bool seen_while_running = false;
    for (;;) {
        auto message = client.read_message(30s);
        ASSERT_TRUE(message) << "the stream ended without an end message; got: " << received;
        if (!client.last_was_binary()) {
            auto end = json::parse(*message).as_object();
            EXPECT_EQ(end.at("state").as_string(), "done") << *message;
            break;
        }
        received += *message;
        if (received.find("first line") != std::string::npos && !seen_while_running)
            seen_while_running = host.job(id).at("state").as_string() == "running";
    }
    EXPECT_TRUE(seen_while_running) << "the first line came only after the job ended";
    EXPECT_NE(received.find("job=" + std::to_string(id) + " slurm=" + slurm_id + " unbuffered=1"), std::string::npos)
        << received;
    EXPECT_NE(received.find("/ailab/jobs/" + std::to_string(id) + "/work"), std::string::npos) << received;
    auto done = host.wait_ended(id);
    EXPECT_EQ(done.at("state").as_string(), "done");
    EXPECT_EQ(done.at("exit_code").as_int64(), 0);
    EXPECT_EQ(host.output(id), received);

    // The jobs list says who places the jobs and how the partition stands (sinfo).
    auto list = host.server.get("/api/v1/jobs", host.token).json().as_object();
    EXPECT_EQ(list.at("executor").as_string(), "slurm");
    const auto& partitions = list.at("cluster").at("partitions").as_array();
    ASSERT_EQ(partitions.size(), 1u) << json::serialize(list.at("cluster"));
    EXPECT_EQ(partitions[0].at("name").as_string(), "debug");
    EXPECT_EQ(partitions[0].at("total_nodes").as_int64(), 1);
    EXPECT_EQ(partitions[0].at("gres").as_string(), "gpu:2");
}

TEST_F(Slurm, GpusComeFromSlurmAndAnImpossibleRequestFailsWithSlurmsMessage) {
    // slurm-up.sh gives the node two placeholder GPUs (gres.conf over links to /dev/null).
    SlurmServer host;
    const auto id = host.submit_ok(shell("echo devices=$CUDA_VISIBLE_DEVICES", {{"gpus", 2}}));
    auto ended = host.wait_ended(id);
    EXPECT_EQ(ended.at("state").as_string(), "done") << json::serialize(ended);
    EXPECT_EQ(host.output(id), "devices=0,1\n");
    const auto too_many = host.submit_ok(shell("echo never", {{"gpus", 3}}));
    auto refused = host.wait_ended(too_many);
    EXPECT_EQ(refused.at("state").as_string(), "failed") << json::serialize(refused);
    EXPECT_NE(std::string(refused.at("reason").as_string()).find("sbatch refused it: "), std::string::npos)
        << json::serialize(refused);
    auto ids = host.server.post("/api/v1/jobs", R"({"shell":"true","gpu_ids":[0]})", host.token);
    EXPECT_EQ(ids.status, 400) << ids.body;  // this machine's ids mean nothing to Slurm
}

TEST_F(Slurm, AFailingJobFailsWithItsExitCode) {
    // Bad input: another user's job named in Latin-1 ("caf\xe9"), which squeue --json writes as
    // it is, not as UTF-8. The poll must still see our job end.
    const auto foreign = run_program(
        {"/bin/sh", "-c", "printf '#!/bin/sh\\ntrue\\n' | sbatch --hold -o /dev/null -J \"$(printf 'caf\\351')\""});
    ASSERT_EQ(foreign.exit_code, 0) << foreign.output;
    SlurmServer host;
    const auto id = host.submit_ok(shell("echo about to fail; exit 3"));
    auto ended = host.wait_ended(id);
    EXPECT_EQ(ended.at("state").as_string(), "failed") << json::serialize(ended);
    EXPECT_EQ(ended.at("exit_code").as_int64(), 3) << json::serialize(ended);
    EXPECT_EQ(ended.at("reason").as_string(), "exit code 3");
    EXPECT_NE(host.output(id).find("about to fail"), std::string::npos);
}

// A sweep in one request: each job its own sbatch, its own Slurm id and its own work/ (made by the
// batch script, since there is no snapshot to copy), all done with their own output.
TEST_F(Slurm, ABatchBecomesOneSlurmJobEach) {
    SlurmServer host;
    json::array sweep;
    for (int lr = 1; lr <= 6; ++lr)
        sweep.push_back(shell("echo lr=$LR; pwd", {{"env", json::object{{"LR", std::to_string(lr)}}}}));
    auto answer = host.server.post("/api/v1/jobs/batch", json::serialize(json::object{{"jobs", sweep}}), host.token);
    ASSERT_EQ(answer.status, 201) << answer.body;
    std::set<std::string> slurm_ids;
    int lr = 0;
    const auto jobs = answer.json().at("jobs").as_array();
    for (const auto& item : jobs) {
        const auto id = item.at("id").as_int64();
        auto ended = host.wait_ended(id);
        EXPECT_EQ(ended.at("state").as_string(), "done") << json::serialize(ended);
        if (ended.at("slurm_job_id").is_string()) slurm_ids.insert(std::string(ended.at("slurm_job_id").as_string()));
        // sbatch read the script on stdin; the job copied it into its folder, marker and all.
        const auto script = read_text(host.shared.path() / "ailab" / "jobs" / std::to_string(id) / "job.sbatch");
        EXPECT_NE(script.find("#SBATCH --comment=ailab:"), std::string::npos) << script;
        EXPECT_EQ(host.output(id), "lr=" + std::to_string(++lr) + "\n" +
                                       (host.shared.path() / "ailab" / "jobs" / std::to_string(id) / "work").string() +
                                       "\n");
    }
    EXPECT_EQ(slurm_ids.size(), 6u);
}

TEST_F(Slurm, CancelStopsARunningJob) {
    SlurmServer host;
    const auto id = host.submit_ok(shell("echo started; sleep 120"));
    host.wait_for(id, {"running"});
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (host.output(id).find("started") == std::string::npos && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    const auto slurm_id = std::string(host.job(id).at("slurm_job_id").as_string());
    auto cancel = host.server.post("/api/v1/jobs/" + std::to_string(id) + "/cancel", "{}", host.token);
    EXPECT_EQ(cancel.status, 200) << cancel.body;
    auto ended = host.wait_ended(id);
    EXPECT_EQ(ended.at("state").as_string(), "cancelled") << json::serialize(ended);
    EXPECT_NE(std::string(ended.at("reason").as_string()).find("cancelled by admin"), std::string::npos);
    EXPECT_NE(squeue_lines().find(slurm_id + " CANCELLED"), std::string::npos) << squeue_lines();
}

TEST_F(Slurm, ADependencyChainRunsInOrderAndAFailedLinkFailsTheRest) {
    SlurmServer host;
    const auto marks = (host.shared.path() / "chain.txt").string();
    const auto first = host.submit_ok(shell("sleep 1; echo first >> " + marks));
    const auto second = host.submit_ok(shell("echo second >> " + marks, {{"after", json::array{first}}}));
    const auto third = host.submit_ok(shell("echo third >> " + marks, {{"after", json::array{second}}}));
    EXPECT_EQ(host.wait_ended(third).at("state").as_string(), "done");
    std::ifstream in(marks);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "first\nsecond\nthird\n");

    const auto failing = host.submit_ok(shell("exit 1"));
    const auto dependant = host.submit_ok(shell("echo never", {{"after", json::array{failing}}}));
    auto ended = host.wait_ended(dependant);
    EXPECT_EQ(ended.at("state").as_string(), "failed") << json::serialize(ended);
    EXPECT_NE(std::string(ended.at("reason").as_string()).find("dependency " + std::to_string(failing)),
              std::string::npos)
        << json::serialize(ended);
    EXPECT_EQ(host.output(dependant).find("never"), std::string::npos);
}

TEST_F(Slurm, AServerKilledMidJobFindsItAgainAndItsOutputIsWhole) {
    SlurmServer host;
    const auto id = host.submit_ok(shell("for i in $(seq 1 8); do echo line-$i; sleep 0.4; done"));
    host.wait_for(id, {"running"});
    host.server.stop(SIGKILL);
    std::this_thread::sleep_for(1500ms);
    host.server.start();
    host.token = host.server.login();
    auto ended = host.wait_ended(id);
    EXPECT_EQ(ended.at("state").as_string(), "done") << json::serialize(ended);
    std::string expected;
    for (int i = 1; i <= 8; ++i) expected += "line-" + std::to_string(i) + "\n";
    EXPECT_EQ(host.output(id), expected);
    // Submitted once: one Slurm job carries its marker.
    const auto lines = squeue_lines();
    const auto slurm_id = std::string(ended.at("slurm_job_id").as_string());
    EXPECT_NE(lines.find(slurm_id + " COMPLETED"), std::string::npos) << lines;
}

TEST_F(Slurm, AStoppedControllerDelaysTheSubmissionWithoutDuplicates) {
    SlurmServer host;
    stop_controller();
    const auto id = host.submit_ok(shell("echo once"));
    auto waiting = host.wait_for(id, {"queued"});
    std::this_thread::sleep_for(6s);  // sbatch's own retries take about 4 s
    waiting = host.job(id);
    EXPECT_EQ(waiting.at("state").as_string(), "queued") << json::serialize(waiting);
    EXPECT_EQ(waiting.at("waiting_for").as_string(), "submit retry") << json::serialize(waiting);
    EXPECT_NE(std::string(waiting.at("reason").as_string()).find("Slurm cannot be reached"), std::string::npos)
        << json::serialize(waiting);
    start_controller();
    auto ended = host.wait_ended(id);
    EXPECT_EQ(ended.at("state").as_string(), "done") << json::serialize(ended);
    EXPECT_EQ(host.output(id), "once\n");
    // Exactly one Slurm job carries this job's marker (the comment of the job that ran), whatever
    // its Slurm id: a second submission would be a second row with the same comment.
    const auto lines = squeue_lines();
    const std::string slurm_id(ended.at("slurm_job_id").as_string());
    std::string marker;
    std::vector<std::string> comments;
    std::istringstream rows(lines);
    for (std::string row; std::getline(rows, row);) {
        const auto comment = row.substr(row.rfind(' ') + 1);
        comments.push_back(comment);
        if (row.rfind(slurm_id + " ", 0) == 0) marker = comment;
    }
    ASSERT_EQ(marker.rfind("ailab:", 0), 0u) << lines;
    ASSERT_TRUE(marker.ends_with(":" + std::to_string(id))) << lines;
    const auto count = std::count(comments.begin(), comments.end(), marker);
    EXPECT_EQ(count, 1) << lines;
}

// The scripts themselves: a test binary that crashes (or is killed by ctest's timeout) must not
// leave its daemons running. Tried: the owner killed with SIGKILL (no teardown of its own runs),
// and the owner calling slurm-down.sh (the watchdog goes with the daemons).
std::vector<pid_t> daemon_pids(const std::filesystem::path& cluster) {
    std::vector<pid_t> pids;
    for (const auto* name : {"slurmd.pid", "slurmctld.pid", "munge/munged.pid", "watchdog.pid"}) {
        std::ifstream in(cluster / name);
        pid_t pid = 0;
        if (in >> pid && pid > 0) pids.push_back(pid);
    }
    return pids;
}
bool all_gone(const std::vector<pid_t>& pids, std::chrono::seconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    for (;;) {
        if (std::none_of(pids.begin(), pids.end(), [](pid_t pid) { return ::kill(pid, 0) == 0; })) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(100ms);
    }
}

TEST(SlurmScripts, NoDaemonOutlivesItsOwner) {
    if (::geteuid() != 0) GTEST_SKIP() << "slurmd must run as root here";
    TempDir cluster;
    // The owner: a process that stands for a test binary and dies without any teardown.
    const auto owner = ::fork();
    ASSERT_GE(owner, 0);
    if (owner == 0) {
        ::pause();
        ::_exit(0);
    }
    struct Owner {  // never outlives this test, whichever assertion ends it
        pid_t pid;
        void kill() {  // and reaped: a zombie still answers kill(pid, 0)
            if (pid <= 0) return;
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            pid = -1;
        }
        ~Owner() { kill(); }
    } owner_process{owner};
    struct Down {  // nor do the daemons, should an assertion end it before the watchdog has
        std::filesystem::path cluster;
        ~Down() { run_program({(scripts() / "slurm-down.sh").string(), cluster.string()}, "", 30s); }
    } down{cluster.path()};
    const auto up =
        run_program({(scripts() / "slurm-up.sh").string(), cluster.path().string(), std::to_string(owner)}, "", 60s);
    if (up.exit_code == 2) GTEST_SKIP() << "Slurm is not installed: " << up.output;
    ASSERT_EQ(up.exit_code, 0) << up.output;
    const auto pids = daemon_pids(cluster.path());
    ASSERT_EQ(pids.size(), 4u) << "slurmd, slurmctld, munged and the watchdog";
    owner_process.kill();  // no teardown of its own
    EXPECT_TRUE(all_gone(pids, 15s)) << "daemons still running after their owner died";

    // An owner that stops its cluster itself stops the watchdog with it.
    TempDir second;
    const auto again = run_program(
        {(scripts() / "slurm-up.sh").string(), second.path().string(), std::to_string(::getpid())}, "", 60s);
    ASSERT_EQ(again.exit_code, 0) << again.output;
    Down second_down{second.path()};
    const auto second_pids = daemon_pids(second.path());
    ASSERT_EQ(second_pids.size(), 4u);
    run_program({(scripts() / "slurm-down.sh").string(), second.path().string()}, "", 30s);
    EXPECT_TRUE(all_gone(second_pids, 5s)) << "slurm-down.sh left a daemon or the watchdog";
    EXPECT_FALSE(std::filesystem::exists(second.path() / "watchdog.pid"));
    // A bad owner is refused before anything starts.
    TempDir third;
    const auto refused = run_program({(scripts() / "slurm-up.sh").string(), third.path().string(), "12x"}, "", 30s);
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_NE(refused.output.find("OWNER_PID"), std::string::npos) << refused.output;
    EXPECT_FALSE(std::filesystem::exists(third.path() / "slurm.conf"));
}

}  // namespace
}  // namespace ailab::testing
