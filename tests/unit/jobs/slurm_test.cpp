// The Slurm executor's pure pieces: the batch script and sbatch's answer, squeue/sacct/scontrol
// parsing and the state table, the "executor" config, the store's version-2 migration, and the
// command runner. (The real Slurm is in tests/integration/slurm_test.cpp.)

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "../system/support.hpp"
#include "core/config.hpp"
#include "core/config_reader.hpp"
#include "core/sqlite.hpp"
#include "jobs/job_rows.hpp"
#include "jobs/settings.hpp"
#include "jobs/slurm/batch.hpp"
#include "jobs/slurm/command.hpp"
#include "jobs/slurm/states.hpp"
#include "jobs/store.hpp"

namespace ailab::jobs {
namespace {

using namespace std::chrono_literals;
using sys::testing::TempDir;

Job sample_job() {
    Job job;
    job.id = 42;
    job.name = "train big model";
    job.shell = "python train.py --lr 'a b'";
    job.gpus_requested = 2;
    job.time_limit_s = 61;
    job.priority = -5;
    job.env = {{"WANDB_MODE", "off it's"}, {"bad name", "x"}};
    return job;
}

TEST(SlurmBatch, TheScriptCarriesEveryOptionAndQuotesWhatTheUserWrote) {
    const Job job = sample_job();
    SlurmSettings settings;
    settings.partition = "gpu";
    settings.account = "lab";
    settings.qos = "normal";
    slurm::BatchInput input{&job, "/shared/jobs/42", "/shared/jobs/42.output.log", "/results", "abc123", {"7", "8"}};
    const auto script = slurm::batch_script(input, settings);
    for (const char* line : {"#!/bin/sh\n",
                             "#SBATCH --job-name=ailab-42-train_big_model\n",
                             "#SBATCH --comment=ailab:abc123:42\n",
                             "#SBATCH --chdir=/shared/jobs\n",
                             "mkdir -p '/shared/jobs/42/work' || exit 1\n",
                             "cd '/shared/jobs/42/work' || exit 1\n",
                             "cp -- \"$0\" '/shared/jobs/42/job.sbatch' 2>/dev/null & ailab_copy=$!\n",
                             "#SBATCH --output=/shared/jobs/42.output.log\n",
                             "#SBATCH --open-mode=append\n",
                             "#SBATCH --partition=gpu\n",
                             "#SBATCH --account=lab\n",
                             "#SBATCH --qos=normal\n",
                             "#SBATCH --gres=gpu:2\n",
                             "#SBATCH --time=2\n",
                             "#SBATCH --nice=5\n",
                             "#SBATCH --dependency=afterok:7:8\n",
                             "export AILAB_JOB_ID=42\n",
                             "export AILAB_RESULTS='/results'\n",
                             "export PYTHONUNBUFFERED=1\n",
                             "export WANDB_MODE='off it'\\''s'\n",
                             "/bin/sh -c 'python train.py --lr '\\''a b'\\'''\n",
                             "exit $ailab_status\n"})
        EXPECT_NE(script.find(line), std::string::npos) << line << "\n---\n" << script;
    EXPECT_EQ(script.find("bad name"), std::string::npos);               // not a variable name: left out
    EXPECT_EQ(script.find("CUDA_VISIBLE_DEVICES="), std::string::npos);  // Slurm sets it
}

TEST(SlurmBatch, ASnapshotsCopyIsTheWorkingFolderAndAnEmptyOneIsMadeByTheJob) {
    Job job = sample_job();
    job.snapshot = "s-1";
    slurm::BatchInput input{&job, "/shared/jobs/42", "/shared/jobs/42.output.log", "/results", "abc123", {}};
    auto script = slurm::batch_script(input, SlurmSettings{});
    EXPECT_NE(script.find("#SBATCH --chdir=/shared/jobs\n"), std::string::npos) << script;
    EXPECT_EQ(script.find("mkdir"), std::string::npos) << script;  // the server made work/ with the files
    EXPECT_LT(script.find("cd '/shared/jobs/42/work' || exit 1\n"), script.find("/bin/sh -c")) << script;
    job.snapshot.clear();
    script = slurm::batch_script(input, SlurmSettings{});
    // No snapshot: the server makes nothing; the job makes its folder and work/ before the command
    // (the output file is beside the folder, in jobs/, which exists).
    EXPECT_NE(script.find("#SBATCH --chdir=/shared/jobs\n"), std::string::npos) << script;
    EXPECT_NE(script.find("#SBATCH --output=/shared/jobs/42.output.log\n"), std::string::npos) << script;
    EXPECT_LT(script.find("mkdir -p '/shared/jobs/42/work' || exit 1\n"), script.find("/bin/sh -c")) << script;
}

TEST(SlurmBatch, OptionalLinesAreLeftOutAndArgvIsQuotedWordByWord) {
    Job job;
    job.id = 3;
    job.command = {"echo", "two words", "$HOME"};
    SlurmSettings settings;
    slurm::BatchInput input{&job, "/s/jobs/3", "/s/jobs/3.output.log", "/r", "t", {}};
    const auto script = slurm::batch_script(input, settings);
    for (const char* absent : {"--partition", "--account", "--qos", "--gres", "--time", "--nice", "--dependency"})
        EXPECT_EQ(script.find(absent), std::string::npos) << absent;
    EXPECT_NE(script.find("\n'echo' 'two words' '$HOME'\n"), std::string::npos) << script;
    settings.extra_args = {"--exclusive", "--mem=4G"};
    EXPECT_EQ(slurm::sbatch_command(settings),
              (std::vector<std::string>{"sbatch", "--parsable", "--exclusive", "--mem=4G"}));  // the script on stdin
}

TEST(SlurmBatch, SbatchAnswersAndMarkers) {
    EXPECT_EQ(slurm::parse_sbatch_id("123\n"), "123");
    EXPECT_EQ(slurm::parse_sbatch_id("123;cluster\n"), "123");
    EXPECT_EQ(slurm::parse_sbatch_id("sbatch: warning: x\n77\n"), "77");
    EXPECT_EQ(slurm::parse_sbatch_id(""), "");
    EXPECT_EQ(slurm::parse_sbatch_id("Submitted batch job 5"), "");
    EXPECT_TRUE(
        slurm::is_unreachable("sbatch: error: Batch job submission failed: Unable to contact slurm controller "
                              "(connect failure)"));
    EXPECT_FALSE(slurm::is_unreachable(
        "sbatch: error: Batch job submission failed: Requested node configuration is not available"));
    EXPECT_EQ(slurm::marker("abc", 9), "ailab:abc:9");
    const auto tag = slurm::server_tag("/tmp/q", "host1");
    EXPECT_EQ(tag.size(), 12u);
    EXPECT_EQ(tag, slurm::server_tag("/tmp/q/", "host1"));  // the same folder
    EXPECT_NE(tag, slurm::server_tag("/tmp/q", "host2"));
    EXPECT_NE(tag, slurm::server_tag("/tmp/other", "host1"));
    EXPECT_EQ(slurm::shell_quote("it's"), "'it'\\''s'");
}

// As Slurm 22.05's squeue --json writes it (fields cut to those read, plus some that are not).
constexpr const char* squeue_sample = R"({"meta":{},"errors":[],"jobs":[
 {"job_id":2,"job_state":"FAILED","state_reason":"NonZeroExitCode","nodes":"vm","exit_code":768,
  "start_time":1796389587,"end_time":1796389588,"comment":"ailab:t:5","extra":{"x":[1,2]}},
 {"job_id":3,"job_state":"CANCELLED","state_reason":"None","nodes":"vm","exit_code":15,"start_time":1,"end_time":2,"comment":""},
 {"job_id":5,"job_state":"PENDING","state_reason":"Resources","nodes":"","exit_code":0,"start_time":0,"end_time":0},
 {"job_id":6,"job_state":["RUNNING"],"state_reason":"None","nodes":"n[1-2]","exit_code":{"set":true,"number":0},
  "start_time":{"set":true,"number":100}},
 {"no_id":true}, 7]})";

TEST(SlurmStates, SqueueJsonGivesStatesReasonsNodesAndWaitStatuses) {
    auto jobs = slurm::parse_squeue_json(squeue_sample);
    ASSERT_TRUE(jobs) << jobs.error().message;
    ASSERT_EQ(jobs->size(), 4u);
    const auto& failed = (*jobs)[0];
    EXPECT_EQ(failed.id, "2");
    EXPECT_EQ(failed.state, "FAILED");
    EXPECT_EQ(failed.exit_code, 3);  // 768 = 3 << 8
    EXPECT_FALSE(failed.signal);
    EXPECT_EQ(failed.comment, "ailab:t:5");
    EXPECT_EQ(failed.start_time, 1796389587);
    EXPECT_EQ((*jobs)[1].signal, 15);
    EXPECT_FALSE((*jobs)[1].exit_code);
    EXPECT_EQ((*jobs)[2].reason, "Resources");
    EXPECT_EQ((*jobs)[3].state, "RUNNING");  // newer Slurm: a list
    EXPECT_EQ((*jobs)[3].nodes, "n[1-2]");
    EXPECT_EQ((*jobs)[3].start_time, 100);
}

TEST(SlurmStates, SqueueJsonReadInPlaceGivesTheSameJobsWithoutACopy) {
    // The poll's buffer, exactly full (no spare capacity): the first parse reserves the padding.
    std::string answer;
    answer.reserve(std::string_view(squeue_sample).size());
    answer.assign(squeue_sample);
    const auto copied = slurm::parse_squeue_json(answer);
    auto in_place = slurm::parse_squeue_json_in_place(answer);
    ASSERT_TRUE(copied && in_place) << (in_place ? "" : in_place.error().message);
    ASSERT_EQ(in_place->size(), copied->size());
    for (std::size_t i = 0; i < copied->size(); ++i) {
        EXPECT_EQ((*in_place)[i].id, (*copied)[i].id);
        EXPECT_EQ((*in_place)[i].state, (*copied)[i].state);
        EXPECT_EQ((*in_place)[i].exit_code, (*copied)[i].exit_code);
        EXPECT_EQ((*in_place)[i].signal, (*copied)[i].signal);
        EXPECT_EQ((*in_place)[i].nodes, (*copied)[i].nodes);
    }
    EXPECT_EQ(answer, squeue_sample);  // the text itself is unchanged
    EXPECT_GE(answer.capacity(), answer.size() + 64);
    // The next poll into the same buffer: the capacity stays, nothing is reserved again.
    const auto* buffer = answer.data();
    answer.clear();
    answer.append(R"({"jobs":[{"job_id":9,"job_state":"RUNNING"}]})");
    auto next = slurm::parse_squeue_json_in_place(answer);
    ASSERT_TRUE(next);
    ASSERT_EQ(next->size(), 1u);
    EXPECT_EQ((*next)[0].id, "9");
    EXPECT_EQ(answer.data(), buffer);
    // Bad input read in place is the same error.
    std::string bad = "{\"jobs\":{}}";
    EXPECT_FALSE(slurm::parse_squeue_json_in_place(bad));
}

TEST(SlurmStates, BytesThatAreNotUtf8DoNotHideTheOtherJobs) {
    // Bad input: another user's job named in Latin-1 and in broken sequences (a lone continuation
    // byte, a cut 3-byte sequence, an overlong '/', a surrogate, past U+10FFFF), beside ours.
    const std::string answer =
        "{\"jobs\":[{\"job_id\":1,\"job_state\":\"RUNNING\",\"name\":\"caf\xe9 \x80 \xe2\x82 \xc0\xaf "
        "\xed\xa0\x80 \xf4\x90\x80\x80\"},"
        "{\"job_id\":2,\"job_state\":\"PENDING\",\"state_reason\":\"Priorit\xe4t\","
        "\"comment\":\"ailab:t:7\",\"nodes\":\"n\xc3\xa9\"}]}";
    std::string in_place = answer;
    for (auto parsed : {slurm::parse_squeue_json(answer), slurm::parse_squeue_json_in_place(in_place)}) {
        ASSERT_TRUE(parsed) << parsed.error().message;
        ASSERT_EQ(parsed->size(), 2u);
        EXPECT_EQ((*parsed)[0].state, "RUNNING");
        EXPECT_EQ((*parsed)[1].comment, "ailab:t:7");
        EXPECT_EQ((*parsed)[1].reason, "Priorit?t");
        EXPECT_EQ((*parsed)[1].nodes, "n\xc3\xa9");  // valid UTF-8 stays as it is
    }
    EXPECT_EQ(in_place.size(), answer.size());
    EXPECT_NE(in_place.find("caf? ? ?? ?? ??? ????"), std::string::npos) << in_place;
    // What is not JSON for another reason is still an error.
    EXPECT_FALSE(slurm::parse_squeue_json("{\"jobs\":[\xff"));
}

TEST(SlurmStates, BadAnswersAreErrorsNamingTheCommand) {
    auto down = slurm::parse_squeue_json(
        R"({"errors":[{"description":"Failed while looking for jobs","source":"slurm_load_jobs"}],"jobs":[]})");
    ASSERT_FALSE(down);
    EXPECT_NE(down.error().message.find("Failed while looking for jobs (slurm_load_jobs)"), std::string::npos)
        << down.error().message;
    EXPECT_FALSE(slurm::parse_squeue_json("not json"));
    EXPECT_FALSE(slurm::parse_squeue_json("{\"jobs\":{}}"));
    auto empty = slurm::parse_squeue_json("{\"jobs\":[]}");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

TEST(SlurmStates, SacctJsonAndScontrolLines) {
    auto accounted = slurm::parse_sacct_json(R"({"jobs":[
      {"job_id":10,"state":{"current":"COMPLETED","reason":"None"},"nodes":"vm","comment":{"job":"ailab:t:1"},
       "time":{"start":5,"end":9},"exit_code":{"status":"SUCCESS","return_code":0}},
      {"job_id":11,"state":{"current":"FAILED","reason":"None"},"exit_code":{"status":"FAILED","return_code":2}},
      {"job_id":12,"state":{"current":"CANCELLED"},"exit_code":{"status":"SIGNALED","return_code":0,
       "signal":{"signal_id":9,"name":"KILL"}}}]})");
    ASSERT_TRUE(accounted) << accounted.error().message;
    ASSERT_EQ(accounted->size(), 3u);
    EXPECT_EQ((*accounted)[0].comment, "ailab:t:1");
    EXPECT_EQ((*accounted)[0].end_time, 9);
    EXPECT_EQ((*accounted)[1].exit_code, 2);
    EXPECT_EQ((*accounted)[2].signal, 9);

    auto lines = slurm::parse_scontrol_lines(
        "JobId=7 JobName=a JobState=RUNNING Reason=None ExitCode=0:0 NodeList=vm Comment=ailab:t:2\n"
        "JobId=8 JobName=b JobState=FAILED Reason=NonZeroExitCode ExitCode=4:0 NodeList=(null) Comment=(null)\n"
        "JobId=9 JobState=CANCELLED ExitCode=0:15\n"
        "garbage line\n");
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].comment, "ailab:t:2");
    EXPECT_EQ(lines[0].nodes, "vm");
    EXPECT_EQ(lines[1].exit_code, 4);
    EXPECT_EQ(lines[1].nodes, "");
    EXPECT_EQ(lines[2].signal, 15);
}

TEST(SlurmStates, SinfoLinesBecomePartitionsWithNodeCounts) {
    auto partitions = slurm::parse_sinfo_lines(
        "debug*|up|2|idle|gpu:2\ndebug*|up|1|mixed|gpu:2\nbig|down|3|down*|(null)\nbroken line\n");
    ASSERT_EQ(partitions.size(), 2u);
    EXPECT_EQ(partitions[0].name, "debug");
    EXPECT_TRUE(partitions[0].is_default);
    EXPECT_EQ(partitions[0].total_nodes, 3);
    EXPECT_EQ(partitions[0].nodes.at("idle"), 2);
    EXPECT_EQ(partitions[0].nodes.at("mixed"), 1);
    EXPECT_EQ(partitions[0].gres, "gpu:2");
    EXPECT_EQ(partitions[1].available, "down");
    EXPECT_EQ(partitions[1].nodes.at("down"), 3);  // sinfo's "*" (not responding) dropped
    EXPECT_EQ(partitions[1].gres, "");
}

TEST(SlurmStates, EveryStateMapsOntoOneOfOurs) {
    auto outcome = [](std::string state, std::optional<int> code = std::nullopt, std::string reason = "None") {
        slurm::SlurmJob job;
        job.state = std::move(state);
        job.exit_code = code;
        job.reason = std::move(reason);
        return slurm::map_state(job);
    };
    EXPECT_EQ(outcome("PENDING", {}, "Priority")->state, JobState::queued);
    EXPECT_EQ(outcome("PENDING", {}, "Priority")->reason, "Priority");
    EXPECT_EQ(outcome("PENDING")->reason, "PENDING");
    EXPECT_EQ(outcome("RUNNING")->state, JobState::running);
    EXPECT_EQ(outcome("COMPLETING")->state, JobState::running);
    EXPECT_EQ(outcome("COMPLETED", 0)->state, JobState::done);
    EXPECT_EQ(outcome("FAILED", 3)->reason, "exit code 3");
    EXPECT_EQ(outcome("CANCELLED")->state, JobState::cancelled);
    for (const char* failing : {"NODE_FAIL", "OUT_OF_MEMORY", "TIMEOUT", "BOOT_FAIL", "DEADLINE", "PREEMPTED"}) {
        auto mapped = outcome(failing);
        ASSERT_TRUE(mapped) << failing;
        EXPECT_EQ(mapped->state, JobState::failed) << failing;
        EXPECT_FALSE(mapped->reason.empty()) << failing;
    }
    EXPECT_NE(outcome("TIMEOUT")->reason.find("time limit"), std::string::npos);
    EXPECT_NE(outcome("OUT_OF_MEMORY")->reason.find("out of memory"), std::string::npos);
    EXPECT_FALSE(outcome("SOMETHING_NEW"));
}

core::ConfigReader reader_of(boost::json::object document) {
    return core::ConfigReader(std::move(document), "config.json",
                              [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
}

std::string executor_error(boost::json::object document) {
    auto reader = reader_of(std::move(document));
    try {
        (void)Settings::read(core::Config{}, &reader);
    } catch (const core::ConfigError& error) {
        return error.what();
    }
    return "";
}

TEST(SlurmSettings, ExecutorIsLocalOrAWritableSlurmSetup) {
    {
        auto reader = reader_of({});
        EXPECT_FALSE(Settings::read(core::Config{}, &reader).slurm);
        auto local = reader_of({{"executor", "local"}});
        EXPECT_FALSE(Settings::read(core::Config{}, &local).slurm);
    }
    TempDir shared;
    auto reader = reader_of({{"executor",
                              {{"type", "slurm"},
                               {"partition", "gpu"},
                               {"account", "lab"},
                               {"qos", "high"},
                               {"extra_args", boost::json::array{"--exclusive"}},
                               {"shared_dir", shared.path().string()}}},
                             {"slurm_poll_s", 2}});
    const auto settings = Settings::read(core::Config{}, &reader);
    ASSERT_TRUE(settings.slurm);
    EXPECT_EQ(settings.slurm->partition, "gpu");
    EXPECT_EQ(settings.slurm->account, "lab");
    EXPECT_EQ(settings.slurm->qos, "high");
    EXPECT_EQ(settings.slurm->extra_args, std::vector<std::string>{"--exclusive"});
    EXPECT_EQ(settings.slurm->poll, 2s);
    EXPECT_TRUE(std::filesystem::is_directory(shared.path() / "jobs"));
}

TEST(SlurmSettings, BadExecutorsAreRefusedWithTheReason) {
    TempDir shared;
    const auto dir = shared.path().string();
    struct Case {
        boost::json::value executor;
        const char* says;
    };
    const std::vector<Case> cases = {
        {"remote", "must be \"local\" or"},
        {boost::json::object{{"type", "pbs"}, {"shared_dir", dir}}, "\"type\" must be \"slurm\""},
        {boost::json::object{{"type", "slurm"}}, "\"shared_dir\" must be an absolute folder"},
        {boost::json::object{{"type", "slurm"}, {"shared_dir", "relative/path"}}, "must be an absolute folder"},
        {boost::json::object{{"type", "slurm"}, {"shared_dir", "/dev/null/jobs"}}, "is not writable"},
        {boost::json::object{{"type", "slurm"}, {"shared_dir", dir}, {"partiton", "x"}}, "has no key \"partiton\""},
        {boost::json::object{{"type", "slurm"}, {"shared_dir", dir}, {"extra_args", "--x"}}, "list of strings"},
        {boost::json::object{{"type", "slurm"}, {"shared_dir", dir}, {"qos", "a\nb"}}, "one-line string"},
    };
    for (const auto& item : cases) {
        const auto error = executor_error({{"executor", item.executor}});
        EXPECT_NE(error.find(item.says), std::string::npos) << boost::json::serialize(item.executor) << " -> " << error;
        EXPECT_NE(error.find("executor"), std::string::npos) << error;
    }
    EXPECT_NE(executor_error({{"slurm_poll_s", 0}}).find("slurm_poll_s"), std::string::npos);
}

// A version-1 store (before the Slurm columns) is migrated in place and keeps its jobs.
TEST(SlurmStore, AVersionOneFileIsMigratedAndKeepsItsJobs) {
    TempDir folder;
    const auto file = folder.path() / "jobs.db";
    {
        auto database = core::Database::open(file);
        ASSERT_TRUE(database);
        ASSERT_TRUE(database->exec(rows::schema()));
        ASSERT_TRUE(database->exec(
            "INSERT INTO jobs (name, user, state, command, shell, search_text, project, snapshot, gpus_requested, "
            "gpu_ids_requested, gpus, job_group, priority, after_ids, env, reason, submitted_at, output_bytes, "
            "waiting_for, nvml_checked) VALUES ('old', 'admin', 'done', '[]', 'true', 'true', '', '', 0, '[]', '[]', "
            "'', 0, '[]', '{}', '', 1.0, 0, '', 1)"));
        ASSERT_TRUE(database->exec("PRAGMA user_version = 1"));
    }
    auto store = JobStore::open(file);
    ASSERT_TRUE(store) << store.error().message;
    auto old = store->get(1);
    ASSERT_TRUE(old && *old);
    EXPECT_EQ((*old)->name, "old");
    EXPECT_EQ((*old)->slurm_id, "");
    Job job;
    job.name = "new";
    job.user = "admin";
    job.shell = "true";
    job.executor = "slurm";
    job.slurm_id = "123";
    job.nodes = "node[1-2]";
    ASSERT_TRUE(store->insert(job));
    auto back = store->get(job.id);
    ASSERT_TRUE(back && *back);
    EXPECT_EQ((*back)->executor, "slurm");
    EXPECT_EQ((*back)->slurm_id, "123");
    EXPECT_EQ((*back)->nodes, "node[1-2]");
}

TEST(SlurmCommand, OutputExitCodesTimeoutsAndMissingPrograms) {
    auto ran = slurm::run_command({"/bin/sh", "-c", "echo out; echo err >&2; exit 4"}, 5s);
    ASSERT_TRUE(ran);
    EXPECT_EQ(ran->exit_code, 4);
    EXPECT_EQ(ran->out, "out\n");
    EXPECT_EQ(ran->err, "err\n");
    EXPECT_EQ(ran->message(), "err");
    auto slow = slurm::run_command({"/bin/sh", "-c", "exec sleep 10"}, 200ms);
    ASSERT_TRUE(slow);
    EXPECT_TRUE(slow->timed_out);
    auto missing = slurm::run_command({"sbatch-that-is-not-installed"}, 5s);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("sbatch-that-is-not-installed is not installed or not in PATH"),
              std::string::npos)
        << missing.error().message;
}

// sbatch reads the script on stdin. Tried: an input larger than a pipe holds (written while the
// child's output is read, so neither side waits on the other), a child that exits without reading
// its input (EPIPE, and no SIGPIPE for this process), and a reused result (its old text is gone).
TEST(SlurmCommand, InputGoesToStdinWithoutSigpipe) {
    std::string big;
    for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i) + "\n";  // ~200 KB
    slurm::CommandResult result;
    ASSERT_TRUE(slurm::run_command({"/bin/cat"}, 10s, result, big));
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out, big);
    ASSERT_TRUE(slurm::run_command({"/bin/sh", "-c", "exit 7"}, 10s, result, big));
    EXPECT_EQ(result.exit_code, 7);  // the process is still here: SIGPIPE did not end it
    EXPECT_EQ(result.out, "");
    auto counted = slurm::run_command({"/usr/bin/wc", "-l"}, 10s, "a\nb\n");
    ASSERT_TRUE(counted);
    EXPECT_EQ(counted->out, "2\n");
    auto no_input = slurm::run_command({"/bin/cat"}, 10s);  // stdin is /dev/null: cat ends at once
    ASSERT_TRUE(no_input);
    EXPECT_EQ(no_input->out, "");
}

}  // namespace
}  // namespace ailab::jobs
