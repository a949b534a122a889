// The job host against the real binary: submit, run, output, exit codes; GPUs handed out from the
// config's list; cancel kills the whole process group; kill -9 of the server mid-job; snapshots
// that no later edit changes; resync that uploads only what changed; the output WebSocket.
// Bad input tried: empty commands, more GPUs than configured, unknown dependencies and groups,
// requests without a token, manifests with `..`, blobs whose bytes do not match their hash.
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "harness.hpp"
#include "job_api.hpp"
#include "sync/hash.hpp"

namespace ailab::testing {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

struct JobServer {
    explicit JobServer(json::object overrides = {}) : server(with_defaults(std::move(overrides))) {
        server.start();
        token = server.login();
    }
    // Jobs a failed assertion left running must not outlive the test: kill each job's process
    // group and its supervisor (their folders are about to be removed).
    ~JobServer() {
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator(server.state() / "jobs", error)) {
            std::ifstream in(entry.path() / "pid.json");
            std::string text(std::istreambuf_iterator<char>(in), {});
            boost::system::error_code parse_error;
            auto pids = json::parse(text, parse_error);
            if (parse_error || !pids.is_object()) continue;
            if (const auto* job = pids.as_object().if_contains("job_pid"); job && job->as_int64() > 0)
                kill(-static_cast<pid_t>(job->as_int64()), SIGKILL);
            if (const auto* supervisor = pids.as_object().if_contains("supervisor_pid");
                supervisor && supervisor->as_int64() > 0)
                kill(static_cast<pid_t>(supervisor->as_int64()), SIGKILL);
        }
    }
    static json::object with_defaults(json::object overrides) {
        if (!overrides.contains("gpus")) overrides["gpus"] = json::array{};
        overrides["cancel_grace_s"] = 1;
        return overrides;
    }
    HttpResult submit(const json::object& body) const {
        return server.post("/api/v1/jobs", json::serialize(body), token);
    }
    std::int64_t submit_ok(const json::object& body) const { return job_api::submit_ok(server, token, body); }
    json::object job(std::int64_t id) const { return job_api::job(server, token, id); }
    json::object wait_for(std::int64_t id, const std::set<std::string>& states,
                          std::chrono::milliseconds timeout = 15s) const {
        return job_api::wait_for(server, token, id, states, timeout);
    }
    json::object wait_ended(std::int64_t id, std::chrono::milliseconds timeout = 15s) const {
        return wait_for(id, {"done", "failed", "cancelled"}, timeout);
    }
    std::string output(std::int64_t id) const { return job_api::output(server, token, id); }
    ServerProcess server;
    std::string token;
};

json::object shell(const std::string& text, json::object extra = {}) {
    extra["shell"] = text;
    return extra;
}

// Processes whose process group is `group` (from /proc/<pid>/stat field 5).
std::vector<pid_t> members_of_group(pid_t group) {
    std::vector<pid_t> members;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(entry.path() / "stat");
        std::string stat;
        std::getline(in, stat);
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(stat.substr(close + 2));
        std::string state;
        long parent = 0, pgrp = 0;
        rest >> state >> parent >> pgrp;
        if (pgrp == group && state != "Z") members.push_back(std::stoi(name));
    }
    return members;
}

TEST(Jobs, RunsACommandWithItsOutputExitCodeAndEnvironment) {
    JobServer host;
    const auto id = host.submit_ok(shell(
        "echo out; echo err >&2; echo \"id=$AILAB_JOB_ID gpus=[$CUDA_VISIBLE_DEVICES] unbuffered=$PYTHONUNBUFFERED "
        "results=$AILAB_RESULTS extra=$EXTRA\"; pwd; exit 3",
        {{"env", json::object{{"EXTRA", "x y"}}}, {"name", "env check"}}));
    const auto job = host.wait_ended(id);
    EXPECT_EQ(job.at("state").as_string(), "failed");
    EXPECT_EQ(job.at("exit_code").as_int64(), 3);
    EXPECT_EQ(job.at("reason").as_string(), "exit code 3");
    EXPECT_EQ(job.at("name").as_string(), "env check");
    EXPECT_EQ(job.at("user").as_string(), "admin");
    const auto output = host.output(id);
    EXPECT_NE(output.find("out\n"), std::string::npos) << output;
    EXPECT_NE(output.find("err\n"), std::string::npos) << output;
    EXPECT_NE(output.find("id=" + std::to_string(id) +
                          " gpus=[] unbuffered=1 results=" + host.server.results().string() + " extra=x y"),
              std::string::npos)
        << output;
    EXPECT_NE(output.find("/jobs/" + std::to_string(id) + "/work"), std::string::npos) << output;
    EXPECT_EQ(job.at("output_bytes").as_int64(), static_cast<std::int64_t>(output.size()));

    const auto argv = host.submit_ok({{"command", json::array{"/bin/echo", "argv", "kept as is"}}});
    const auto done = host.wait_ended(argv);
    EXPECT_EQ(done.at("state").as_string(), "done");
    EXPECT_EQ(done.at("exit_code").as_int64(), 0);
    EXPECT_EQ(host.output(argv), "argv kept as is\n");

    // The output endpoint pages: offset and limit, the total in a header, 416 past the end.
    auto page = host.server.get("/api/v1/jobs/" + std::to_string(argv) + "/output?offset=5&limit=4", host.token);
    EXPECT_EQ(page.body, "kept");
    EXPECT_EQ(page.header("x-ailab-output-size"), "16");
    EXPECT_EQ(host.server.get("/api/v1/jobs/" + std::to_string(argv) + "/output?offset=17", host.token).status, 416);

    const auto missing = host.submit_ok({{"command", json::array{"no-such-program-ailab"}}});
    const auto failed = host.wait_ended(missing);
    EXPECT_EQ(failed.at("state").as_string(), "failed");
    EXPECT_NE(host.output(missing).find("no-such-program-ailab"), std::string::npos);
}

TEST(Jobs, RefusesBadRequestsWithReasonsAndNeverWithoutAToken) {
    JobServer host({{"gpus", json::array{0, 1}}, {"job_groups", json::object{{"eval", 1}}}});
    auto expect_400 = [&](const json::object& body, const std::string& words) {
        auto result = host.submit(body);
        EXPECT_EQ(result.status, 400) << json::serialize(body);
        const auto error = result.status == 400 ? std::string(result.json().at("error").as_string()) : "";
        EXPECT_NE(error.find(words), std::string::npos) << result.body;
    };
    expect_400({}, "the command is empty");
    expect_400({{"command", json::array{}}}, "the command is empty");
    expect_400({{"command", json::array{""}}}, "empty");
    expect_400({{"command", json::array{"a"}}, {"shell", "b"}}, "not both");
    expect_400(shell("true", {{"gpus", 3}}), "asks for 3 GPUs; this server's config lists 2");
    expect_400(shell("true", {{"gpu_ids", json::array{5}}}), "GPU 5 is not one of this server's GPUs");
    expect_400(shell("true", {{"after", json::array{999}}}), "job 999, which does not exist");
    expect_400(shell("true", {{"group", "train"}}), "unknown group \"train\"");
    expect_400(shell("true", {{"env", json::object{{"CUDA_VISIBLE_DEVICES", "3"}}}}), "set by AI Lab");
    expect_400(shell("true", {{"env", json::object{{"1BAD", "x"}}}}), "not a valid variable name");
    expect_400(shell("true", {{"snapshot", "s-0000"}}), "unknown snapshot");
    expect_400(shell("true", {{"project", "nope"}}), "unknown project");
    expect_400(shell("true", {{"bogus", 1}}), "unknown field");
    EXPECT_EQ(host.server.post("/api/v1/jobs", "{not json", host.token).status, 400);
    EXPECT_EQ(host.server.get("/api/v1/jobs/12345", host.token).status, 404);
    EXPECT_EQ(host.server.get("/api/v1/jobs?state=sleeping", host.token).status, 400);

    // A large upload without a token is refused from its headers: its body is never read.
    const std::string announced = "PUT /api/v1/sync/blobs/" + sync::hash_bytes("y") +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 104857600\r\n\r\n";
    const auto answer = raw_exchange(host.server.port(), announced, std::chrono::seconds(5));
    EXPECT_NE(answer.find(" 401 "), std::string::npos) << answer;

    // No job or sync endpoint answers without a token (Ray's CVE-2023-48022 is the lesson).
    for (const auto& [method, target] :
         std::vector<std::pair<std::string, std::string>>{{"POST", "/api/v1/jobs"},
                                                          {"GET", "/api/v1/jobs"},
                                                          {"GET", "/api/v1/jobs/1"},
                                                          {"GET", "/api/v1/jobs/1/output"},
                                                          {"POST", "/api/v1/jobs/1/cancel"},
                                                          {"POST", "/api/v1/jobs/1/restart"},
                                                          {"POST", "/api/v1/jobs/batch"},
                                                          {"POST", "/api/v1/sync/manifest"},
                                                          {"PUT", "/api/v1/sync/blobs/" + std::string(64, 'a')},
                                                          {"POST", "/api/v1/sync/snapshots"}}) {
        EXPECT_EQ(http_request(host.server.port(), method, target, "{\"shell\":\"touch /tmp/pwned\"}").status, 401)
            << method << " " << target;
    }
}

// A sweep in one request: every job checked first, all stored in one transaction or none, the
// answer in the order asked. Tried: a bad job in the middle (nothing stored, the error names its
// index), an empty list, a list over the limit, a body that is not a list, an unknown field.
TEST(Jobs, ABatchSubmitsEveryJobOrNone) {
    JobServer host;
    auto count_jobs = [&] {
        auto listed = host.server.get("/api/v1/jobs?limit=1000", host.token);
        return listed.status == 200 ? listed.json().at("jobs").as_array().size() : 0;
    };
    auto expect_400 = [&](const std::string& body, const std::string& words) {
        auto result = host.server.post("/api/v1/jobs/batch", body, host.token);
        EXPECT_EQ(result.status, 400) << body << " -> " << result.body;
        const auto error = result.status == 400 ? std::string(result.json().at("error").as_string()) : "";
        EXPECT_NE(error.find(words), std::string::npos) << result.body;
    };
    expect_400(json::serialize(json::object{{"jobs", json::array{shell("true"), json::object{{"shell", 5}}}}}),
               "jobs[1]: \"shell\" must be a string");
    expect_400(json::serialize(json::object{{"jobs", json::array{shell("true"), shell("true", {{"gpus", 4}})}}}),
               "jobs[1]: the job asks for 4 GPUs");
    expect_400(json::serialize(
                   json::object{{"jobs", json::array{shell("true"), shell("true", {{"after", json::array{77}}})}}}),
               "job 77, which does not exist");
    expect_400(R"({"jobs":[]})", "\"jobs\" is empty");
    expect_400(R"({"jobs":{"shell":"true"}})", "a list of jobs");
    expect_400(R"([{"shell":"true"}])", "a list of jobs");
    expect_400(R"({"jobs":[{"shell":"true"}],"extra":1})", "unknown field \"extra\"");
    json::array many;
    for (int i = 0; i < 1001; ++i) many.push_back(shell("true"));
    expect_400(json::serialize(json::object{{"jobs", many}}), "at most 1000");
    EXPECT_EQ(count_jobs(), 0u);  // none of the refused batches left a job behind

    json::array sweep;
    for (int lr = 1; lr <= 3; ++lr)
        sweep.push_back(shell(
            "echo lr=$LR", {{"name", "lr-" + std::to_string(lr)}, {"env", json::object{{"LR", std::to_string(lr)}}}}));
    auto answer = host.server.post("/api/v1/jobs/batch", json::serialize(json::object{{"jobs", sweep}}), host.token);
    ASSERT_EQ(answer.status, 201) << answer.body;
    const auto jobs = answer.json().at("jobs").as_array();
    ASSERT_EQ(jobs.size(), 3u);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const auto id = jobs[i].at("id").as_int64();
        EXPECT_EQ(jobs[i].at("name").as_string(), "lr-" + std::to_string(i + 1));
        if (i > 0) {
            EXPECT_EQ(id, jobs[i - 1].at("id").as_int64() + 1);
        }
        EXPECT_EQ(host.wait_ended(id).at("state").as_string(), "done");
        EXPECT_EQ(host.output(id), "lr=" + std::to_string(i + 1) + "\n");
    }
    EXPECT_EQ(count_jobs(), 3u);
}

// A sweep over one project snapshots it once: every job gets the same snapshot, the first says what
// was stored, the others that nothing was.
TEST(Jobs, ABatchOverOneProjectSnapshotsItOnce) {
    TempDir project;
    std::ofstream(project.path() / "train.py") << "print('hi')\n";
    JobServer host({{"projects", json::object{{"demo", project.path().string()}}}});
    json::array sweep;
    for (int i = 0; i < 3; ++i) sweep.push_back(shell("cat train.py", {{"project", "demo"}}));
    auto answer = host.server.post("/api/v1/jobs/batch", json::serialize(json::object{{"jobs", sweep}}), host.token);
    ASSERT_EQ(answer.status, 201) << answer.body;
    const auto jobs = answer.json().at("jobs").as_array();
    ASSERT_EQ(jobs.size(), 3u);
    const auto snapshot = jobs[0].at("snapshot");
    ASSERT_TRUE(snapshot.is_string()) << answer.body;
    EXPECT_EQ(jobs[0].at("sync").at("uploaded_files").as_int64(), 1);
    for (const auto& job : jobs) {
        EXPECT_EQ(job.at("snapshot"), snapshot);
        EXPECT_EQ(job.at("project").as_string(), "demo");
        EXPECT_EQ(job.at("sync").at("files").as_int64(), 1);
        if (&job != &jobs[0]) {
            EXPECT_EQ(job.at("sync").at("uploaded_files").as_int64(), 0);
        }
        const auto id = job.at("id").as_int64();
        EXPECT_EQ(host.wait_ended(id).at("state").as_string(), "done");
        EXPECT_EQ(host.output(id), "print('hi')\n");
    }
}

TEST(Jobs, TwoGpusThreeOneGpuJobsRunTwoAtOnceOnDistinctDevices) {
    // No NVML here (the fake is not on the library path): bookkeeping alone decides, and says so.
    JobServer host({{"gpus", json::array{0, 1}}});
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(host.submit_ok(shell("echo \"[$CUDA_VISIBLE_DEVICES]\"; sleep 1.5", {{"gpus", 1}})));
    const auto first = host.wait_for(ids[0], {"running"});
    const auto second = host.wait_for(ids[1], {"running"});
    const auto third = host.job(ids[2]);
    EXPECT_EQ(third.at("state").as_string(), "queued");
    EXPECT_EQ(third.at("waiting_for").as_string(), "gpu");
    EXPECT_EQ(third.at("gpu_check").as_string(), "bookkeeping");
    EXPECT_NE(first.at("gpus"), second.at("gpus"));
    for (auto id : ids) EXPECT_EQ(host.wait_ended(id).at("state").as_string(), "done");
    std::set<std::string> devices;
    for (auto id : ids) devices.insert(host.output(id));
    EXPECT_TRUE(devices.contains("[0]\n") && devices.contains("[1]\n")) << *devices.begin();
    // The third ran after one of the first two released its GPU.
    EXPECT_GE(
        host.job(ids[2]).at("started_at").as_double(),
        std::min(host.job(ids[0]).at("ended_at").as_double(), host.job(ids[1]).at("ended_at").as_double()) - 0.05);

    // CPU jobs (gpus 0) never wait for a GPU and see no device.
    const auto cpu = host.submit_ok(shell("echo \"[$CUDA_VISIBLE_DEVICES]\"", {{"gpus", 0}}));
    EXPECT_EQ(host.wait_ended(cpu).at("state").as_string(), "done");
    EXPECT_EQ(host.output(cpu), "[]\n");
}

TEST(Jobs, CancelKillsTheWholeProcessGroupAndFailsDependants) {
    JobServer host;
    const auto id = host.submit_ok(shell("sleep 1000 & sleep 1000 & echo started; wait"));
    host.wait_for(id, {"running"});
    // Wait for the shell to have started its children.
    for (int i = 0; i < 200 && host.output(id).empty(); ++i) std::this_thread::sleep_for(10ms);
    // pid.json is written before the command starts (job_pid 0) and again once it runs: the command
    // can print before the supervisor rewrote it (a slow supervisor, under ASan), so wait for the pid.
    pid_t group = 0;
    for (int i = 0; i < 500 && group <= 0; ++i) {
        std::ifstream pid_file(host.server.state() / "jobs" / std::to_string(id) / "pid.json");
        boost::system::error_code error;
        const auto pids = json::parse(std::string(std::istreambuf_iterator<char>(pid_file), {}), error);
        if (!error && pids.is_object()) group = static_cast<pid_t>(pids.as_object().at("job_pid").as_int64());
        if (group <= 0) std::this_thread::sleep_for(10ms);
    }
    ASSERT_GT(group, 0) << "pid.json never named the command's pid";
    EXPECT_EQ(members_of_group(group).size(), 3u);  // the shell and two sleeps

    const auto dependant = host.submit_ok(shell("echo never", {{"after", json::array{id}}}));
    EXPECT_EQ(host.job(dependant).at("waiting_for").as_string(), "dependency");

    auto cancelled = host.server.post("/api/v1/jobs/" + std::to_string(id) + "/cancel", "", host.token);
    EXPECT_EQ(cancelled.status, 200) << cancelled.body;
    const auto job = host.wait_ended(id);
    EXPECT_EQ(job.at("state").as_string(), "cancelled");
    EXPECT_EQ(job.at("reason").as_string(), "cancelled by admin");
    for (int i = 0; i < 100 && !members_of_group(group).empty(); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(members_of_group(group).empty()) << "processes of the job's group survived the cancel";

    const auto failed = host.wait_ended(dependant);
    EXPECT_EQ(failed.at("state").as_string(), "failed");
    EXPECT_NE(failed.at("reason").as_string().find("dependency " + std::to_string(id)), std::string::npos)
        << failed.at("reason").as_string();
    EXPECT_EQ(host.server.post("/api/v1/jobs/" + std::to_string(id) + "/cancel", "", host.token).status, 409);

    // A queued job is cancelled at once; a restart is a new job with the same command.
    const auto blocker = host.submit_ok(shell("sleep 30", {{"after", json::array{dependant}}}));  // fails at once
    EXPECT_EQ(host.wait_ended(blocker).at("state").as_string(), "failed");
    auto restarted = host.server.post("/api/v1/jobs/" + std::to_string(id) + "/restart", "", host.token);
    ASSERT_EQ(restarted.status, 201) << restarted.body;
    const auto again = restarted.json().at("job").as_object();
    EXPECT_EQ(again.at("restarted_from").as_int64(), id);
    EXPECT_EQ(again.at("shell"), job.at("shell"));
    const auto again_id = again.at("id").as_int64();
    host.wait_for(again_id, {"running"});
    host.server.post("/api/v1/jobs/" + std::to_string(again_id) + "/cancel", "", host.token);
    EXPECT_EQ(host.wait_ended(again_id).at("state").as_string(), "cancelled");
}

TEST(Jobs, AServerKilledMidJobReadoptsItAndTheQueueGoesOn) {
    JobServer host({{"gpus", json::array{0}}});
    const auto running = host.submit_ok(shell("for i in $(seq 1 30); do echo line $i; sleep 0.05; done; exit 7"));
    const auto queued = host.submit_ok(shell("echo second", {{"gpus", 1}}));
    host.wait_for(running, {"running"});
    EXPECT_EQ(host.job(queued).at("state").as_string(), "queued");
    host.server.stop(SIGKILL);
    std::this_thread::sleep_for(300ms);  // the job goes on printing while no server runs
    host.server.start();
    host.token = host.server.login();
    const auto first = host.wait_ended(running);
    EXPECT_EQ(first.at("state").as_string(), "failed");
    EXPECT_EQ(first.at("exit_code").as_int64(), 7);
    std::string expected;
    for (int i = 1; i <= 30; ++i) expected += "line " + std::to_string(i) + "\n";
    EXPECT_EQ(host.output(running), expected);
    const auto second = host.wait_ended(queued);
    EXPECT_EQ(second.at("state").as_string(), "done");
    EXPECT_EQ(host.output(queued), "second\n");  // ran once
    EXPECT_NE(host.server.output().find("re-adopted"), std::string::npos) << host.server.output();
}

// Uploads a folder's files the way clients do; returns {snapshot id, uploaded blob count}.
std::pair<std::string, int> sync_files(const JobServer& host, const std::map<std::string, std::string>& files) {
    json::array entries;
    std::map<std::string, std::string> bytes_of;
    for (const auto& [path, bytes] : files) {
        const auto hash = sync::hash_bytes(bytes);
        bytes_of[hash] = bytes;
        entries.push_back(json::object{{"path", path}, {"size", bytes.size()}, {"mode", 0644}, {"hash", hash}});
    }
    const auto manifest = json::serialize(json::object{{"files", entries}});
    auto missing = host.server.post("/api/v1/sync/manifest", manifest, host.token);
    EXPECT_EQ(missing.status, 200) << missing.body;
    int uploaded = 0;
    const auto answer = missing.json();
    for (const auto& hash : answer.at("missing").as_array()) {
        HttpOptions options;
        options.token = host.token;
        auto put = http_request(host.server.port(), "PUT", "/api/v1/sync/blobs/" + std::string(hash.as_string()),
                                bytes_of.at(std::string(hash.as_string())), options);
        EXPECT_EQ(put.status, 201) << put.body;
        ++uploaded;
    }
    auto snapshot = host.server.post("/api/v1/sync/snapshots", manifest, host.token);
    EXPECT_EQ(snapshot.status, 201) << snapshot.body;
    return {snapshot.status == 201 ? std::string(snapshot.json().at("snapshot").as_string()) : "", uploaded};
}

TEST(Jobs, SnapshotsAreImmutableAndAResyncUploadsOnlyTheChangedFile) {
    JobServer host;
    std::map<std::string, std::string> files{
        {"train.py", "print('v1')\n"}, {"lib/util.txt", "helper\n"}, {"data/a.txt", "a\n"}};
    const auto [first, uploaded_first] = sync_files(host, files);
    EXPECT_EQ(uploaded_first, 3);
    const auto job1 =
        host.submit_ok(shell("sleep 0.3; cat train.py lib/util.txt; echo new > created.txt", {{"snapshot", first}}));

    files["train.py"] = "print('v2')\n";  // the user edits after submitting
    const auto [second, uploaded_second] = sync_files(host, files);
    EXPECT_EQ(uploaded_second, 1);  // only the changed file travels
    EXPECT_NE(first, second);
    const auto job2 = host.submit_ok(shell("cat train.py; ls", {{"snapshot", second}}));

    EXPECT_EQ(host.wait_ended(job1).at("state").as_string(), "done");
    EXPECT_EQ(host.output(job1), "print('v1')\nhelper\n");  // the edit did not reach the queued job
    EXPECT_EQ(host.wait_ended(job2).at("state").as_string(), "done");
    EXPECT_EQ(host.output(job2), "print('v2')\ndata\nlib\ntrain.py\n");  // job 1's new file is its own
    EXPECT_EQ(host.job(job2).at("sync").at("files").as_int64(), 3);

    // Bad manifests and blobs.
    auto bad = host.server.post(
        "/api/v1/sync/manifest",
        R"({"files":[{"path":"../etc/passwd","size":1,"mode":420,"hash":")" + sync::hash_bytes("x") + "\"}]}",
        host.token);
    EXPECT_EQ(bad.status, 400) << bad.body;
    HttpOptions options;
    options.token = host.token;
    auto mismatch =
        http_request(host.server.port(), "PUT", "/api/v1/sync/blobs/" + sync::hash_bytes("right"), "wrong", options);
    EXPECT_EQ(mismatch.status, 400) << mismatch.body;
    auto incomplete = host.server.post(
        "/api/v1/sync/snapshots",
        R"({"files":[{"path":"x","size":5,"mode":420,"hash":")" + sync::hash_bytes("never") + "\"}]}", host.token);
    EXPECT_EQ(incomplete.status, 409) << incomplete.body;
}

TEST(Jobs, OutputStreamsOverAWebSocketAndResumesAtAnOffset) {
    JobServer host;
    const auto id = host.submit_ok(shell("for i in $(seq 1 20); do printf 'chunk %02d\\n' $i; sleep 0.02; done"));
    const std::string path = "/api/v1/jobs/" + std::to_string(id) + "/output/ws";
    std::string received;
    {
        WsClient client;
        ASSERT_EQ(client.connect(host.server.port(), "", path), "");
        ASSERT_TRUE(client.authenticate(host.token));
        ASSERT_TRUE(client.send(R"({"type":"resume","offset":0})"));
        // Read a little, then drop the connection mid-stream.
        while (received.size() < 30) {
            auto message = client.read_message();
            ASSERT_TRUE(message);
            ASSERT_TRUE(client.last_was_binary());
            received += *message;
        }
    }
    WsClient client;
    ASSERT_EQ(client.connect(host.server.port(), "", path), "");
    ASSERT_TRUE(client.authenticate(host.token));
    ASSERT_TRUE(client.send(R"({"type":"resume","offset":)" + std::to_string(received.size()) + "}"));
    for (;;) {
        auto message = client.read_message(10s);
        ASSERT_TRUE(message) << "the stream ended without an end message";
        if (!client.last_was_binary()) {
            const auto end = json::parse(*message).as_object();
            EXPECT_EQ(end.at("type").as_string(), "end");
            EXPECT_EQ(end.at("state").as_string(), "done");
            EXPECT_EQ(end.at("output_bytes").as_int64(), static_cast<std::int64_t>(received.size()));
            break;
        }
        received += *message;
    }
    std::string expected;
    for (int i = 1; i <= 20; ++i) expected += (i < 10 ? "chunk 0" : "chunk ") + std::to_string(i) + "\n";
    EXPECT_EQ(received, expected);  // no gap, no duplicate across the reconnect

    WsClient stranger;
    ASSERT_EQ(stranger.connect(host.server.port(), "", "/api/v1/jobs/999/output/ws"), "");
    ASSERT_TRUE(stranger.authenticate(host.token) || stranger.closed());
    EXPECT_FALSE(stranger.read_message(2s));
    EXPECT_EQ(stranger.close_code(), 4404);
}

TEST(Jobs, ListsPagesAndFiltersHistory) {
    JobServer host;
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 5; ++i)
        ids.push_back(host.submit_ok(shell("exit " + std::to_string(i % 2), {{"name", "n" + std::to_string(i)}})));
    for (auto id : ids) host.wait_ended(id);
    auto page = host.server.get("/api/v1/jobs?limit=2", host.token).json().as_object();
    ASSERT_EQ(page.at("jobs").as_array().size(), 2u);
    EXPECT_EQ(page.at("jobs").as_array()[0].at("id").as_int64(), ids[4]);  // newest first
    const auto before = page.at("next_before").as_int64();
    auto next = host.server.get("/api/v1/jobs?limit=2&before=" + std::to_string(before), host.token).json().as_object();
    EXPECT_EQ(next.at("jobs").as_array()[0].at("id").as_int64(), ids[2]);
    auto failed = host.server.get("/api/v1/jobs?state=failed", host.token).json().as_object();
    EXPECT_EQ(failed.at("jobs").as_array().size(), 2u);
    EXPECT_EQ(failed.at("counts").at("done").as_int64(), 3);
    auto named = host.server.get("/api/v1/jobs?q=n3", host.token).json().as_object();
    ASSERT_EQ(named.at("jobs").as_array().size(), 1u);
    EXPECT_EQ(named.at("jobs").as_array()[0].at("id").as_int64(), ids[3]);
}

}  // namespace
}  // namespace ailab::testing

namespace ailab::testing {
namespace {

TEST(Jobs, OnlyTheOwnerOrAnAdminMayCancelOrRestart) {
    // Bad input: another user's cancel and restart of a job that is not theirs.
    JobServer host({{"users", json::object{{"admin", test_password}, {"bob", "bob-password-12345"}}},
                    {"admins", json::array{"admin"}}});
    const auto bob = host.server.login("bob", "bob-password-12345");
    const auto mine = host.submit_ok(shell("sleep 30"));
    EXPECT_EQ(host.job(mine).at("user").as_string(), "admin");
    auto refused = host.server.post("/api/v1/jobs/" + std::to_string(mine) + "/cancel", "", bob);
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_NE(refused.body.find("only its owner or an admin"), std::string::npos) << refused.body;
    EXPECT_EQ(host.server.post("/api/v1/jobs/" + std::to_string(mine) + "/restart", "", bob).status, 403);
    EXPECT_EQ(host.job(mine).at("state").as_string(), "running");

    auto bobs = host.server.post("/api/v1/jobs", R"({"shell":"sleep 30"})", bob);
    ASSERT_EQ(bobs.status, 201) << bobs.body;
    const auto bobs_id = bobs.json().at("job").at("id").as_int64();
    EXPECT_EQ(bobs.json().at("job").at("user").as_string(), "bob");
    EXPECT_EQ(host.server.post("/api/v1/jobs/" + std::to_string(bobs_id) + "/cancel", "", bob).status, 200);
    EXPECT_EQ(host.server.post("/api/v1/jobs/" + std::to_string(mine) + "/cancel", "", host.token).status, 200);
    EXPECT_EQ(host.wait_ended(mine).at("state").as_string(), "cancelled");
    EXPECT_EQ(host.wait_ended(bobs_id).at("state").as_string(), "cancelled");
}

TEST(Jobs, UploadsOverTheLimitsAre413NamingTheLimit) {
    // Bad input: a blob over sync_max_file_mib, a manifest over sync_max_files, and an upload
    // without a token that announces a large body (refused before the body is read).
    JobServer host({{"sync_max_file_mib", 1}, {"sync_max_files", 2}});
    HttpOptions options;
    options.token = host.token;
    const std::string big((std::size_t{1} << 20) + 1, 'x');
    auto put = http_request(host.server.port(), "PUT", "/api/v1/sync/blobs/" + sync::hash_bytes(big), big, options);
    EXPECT_EQ(put.status, 413) << put.body;
    EXPECT_NE(put.body.find("sync_max_file_mib"), std::string::npos) << put.body;

    json::array entries;
    for (int i = 0; i < 3; ++i)
        entries.push_back(json::object{{"path", "f" + std::to_string(i)},
                                       {"size", 1000 * (i + 1)},
                                       {"mode", 0644},
                                       {"hash", sync::hash_bytes(std::to_string(i))}});
    auto manifest =
        host.server.post("/api/v1/sync/manifest", json::serialize(json::object{{"files", entries}}), host.token);
    EXPECT_EQ(manifest.status, 413) << manifest.body;
    EXPECT_NE(manifest.body.find("sync_max_files"), std::string::npos) << manifest.body;
    EXPECT_NE(manifest.body.find("f2"), std::string::npos) << "the largest file is named: " << manifest.body;

    // Announced bodies over the limit are refused from the headers, before a byte is read.
    const std::string announced = "PUT /api/v1/sync/blobs/" + sync::hash_bytes("y") +
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + host.token +
                                  "\r\nContent-Length: 104857600\r\n\r\n";
    const auto answer = raw_exchange(host.server.port(), announced, std::chrono::seconds(5));
    EXPECT_NE(answer.find(" 413 "), std::string::npos) << answer;
}

}  // namespace
}  // namespace ailab::testing
