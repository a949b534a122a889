// The job store on a real SQLite file in a temporary folder: every field round-trips, paging and
// filters, dependencies' final states, counts, reopening, a newer schema and a damaged file.

#include "jobs/store.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../system/support.hpp"

namespace ailab::jobs {
namespace {

using sys::testing::TempDir;

void expect_same(const Job& a, const Job& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.user, b.user);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.command, b.command);
    EXPECT_EQ(a.shell, b.shell);
    EXPECT_EQ(a.project, b.project);
    EXPECT_EQ(a.snapshot, b.snapshot);
    EXPECT_EQ(a.gpus_requested, b.gpus_requested);
    EXPECT_EQ(a.gpu_ids_requested, b.gpu_ids_requested);
    EXPECT_EQ(a.gpus, b.gpus);
    EXPECT_EQ(a.group, b.group);
    EXPECT_EQ(a.priority, b.priority);
    EXPECT_EQ(a.after, b.after);
    EXPECT_EQ(a.env, b.env);
    EXPECT_EQ(a.time_limit_s, b.time_limit_s);
    EXPECT_EQ(a.exit_code, b.exit_code);
    EXPECT_EQ(a.signal, b.signal);
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.submitted_at, b.submitted_at);
    EXPECT_EQ(a.started_at, b.started_at);
    EXPECT_EQ(a.ended_at, b.ended_at);
    EXPECT_EQ(a.output_bytes, b.output_bytes);
    ASSERT_EQ(a.sync.has_value(), b.sync.has_value());
    if (a.sync) {
        EXPECT_EQ(a.sync->files, b.sync->files);
        EXPECT_EQ(a.sync->uploaded_files, b.sync->uploaded_files);
        EXPECT_EQ(a.sync->uploaded_bytes, b.sync->uploaded_bytes);
    }
    ASSERT_EQ(a.git.has_value(), b.git.has_value());
    if (a.git) {
        EXPECT_EQ(a.git->commit, b.git->commit);
        EXPECT_EQ(a.git->branch, b.git->branch);
        EXPECT_EQ(a.git->dirty, b.git->dirty);
        EXPECT_EQ(a.git->diff, b.git->diff);
    }
    EXPECT_EQ(a.restarted_from, b.restarted_from);
    ASSERT_EQ(a.process.has_value(), b.process.has_value());
    if (a.process) {
        EXPECT_EQ(a.process->supervisor_pid, b.process->supervisor_pid);
        EXPECT_EQ(a.process->supervisor_start_ticks, b.process->supervisor_start_ticks);
    }
    EXPECT_EQ(a.waiting_for, b.waiting_for);
    EXPECT_EQ(a.nvml_checked, b.nvml_checked);
}

// Every field set to something other than its default, with text that needs escaping.
Job full_job() {
    Job job;
    job.name = "train \"big\" \\ model";
    job.user = "alice";
    job.state = JobState::failed;
    job.command = {"python", "train.py", "--note=a \"quoted\"\nline", "ü ✓"};
    job.project = "vision";
    job.snapshot = "s-0123abcd";
    job.gpus_requested = 2;
    job.gpu_ids_requested = {3, 1};
    job.gpus = {1, 3};
    job.group = "eval";
    job.priority = -7;
    job.after = {4, 5000000000};
    job.env = {{"A", "1"}, {"QUOTE", "\"x\"\t"}, {"EMPTY", ""}};
    job.time_limit_s = 7200;
    job.exit_code = 137;
    job.signal = 9;
    job.reason = "time limit of 2h reached";
    job.submitted_at = 1700000000.125;
    job.started_at = 1700000001.5;
    job.ended_at = 1700007201.75;
    job.output_bytes = 123456789012;
    job.sync = SyncStats{1000, 3, 532};
    job.git = GitState{"0123456789abcdef", "main", true, "diff --git a/x b/x\n+é\n"};
    job.restarted_from = 3;
    job.process = ProcessRecord{4242, 0xFFFF'FFFF'FFFF'FFF0ull};  // above INT64_MAX on purpose
    job.waiting_for = WaitReason::group_limit;
    job.nvml_checked = false;
    return job;
}

JobStore open_store(const std::filesystem::path& file) {
    auto store = JobStore::open(file);
    if (!store) throw std::runtime_error(store.error().message);
    return std::move(*store);
}

Job simple_job(std::string name, std::string user = "alice", JobState state = JobState::queued) {
    Job job;
    job.name = std::move(name);
    job.user = std::move(user);
    job.state = state;
    job.command = {"echo", "hi"};
    return job;
}

std::vector<JobId> ids_of(const std::vector<Job>& jobs) {
    std::vector<JobId> ids;
    ids.reserve(jobs.size());
    for (const auto& job : jobs) ids.push_back(job.id);
    return ids;
}

// Bad input: quotes, newlines, non-ASCII text, negative priority, a tick count above INT64_MAX,
// ids above 32 bits; each must come back exactly.
TEST(JobStore, EveryFieldRoundTrips) {
    TempDir folder;
    auto store = open_store(folder.path() / "jobs.db");
    Job job = full_job();
    ASSERT_TRUE(store.insert(job));
    EXPECT_EQ(job.id, 1);
    auto read = store.get(job.id);
    ASSERT_TRUE(read);
    ASSERT_TRUE(read->has_value());
    expect_same(job, **read);

    // The empty and absent forms round-trip too: a shell job, no optionals, git state with empty
    // fields (distinct from no git state).
    Job plain;
    plain.shell = "echo $HOME | wc -c";
    plain.git = GitState{};
    ASSERT_TRUE(store.insert(plain));
    auto plain_read = store.get(plain.id);
    ASSERT_TRUE(plain_read && plain_read->has_value());
    expect_same(plain, **plain_read);
    EXPECT_TRUE((*plain_read)->git.has_value());
    EXPECT_FALSE((*plain_read)->sync.has_value());

    auto missing = store.get(99);
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing->has_value());
}

// Bad input: an update of a job that does not exist must be an error, not a silent no-op.
TEST(JobStore, UpdateWritesEveryFieldAndRefusesUnknownJobs) {
    TempDir folder;
    auto store = open_store(folder.path() / "jobs.db");
    Job job = simple_job("a");
    ASSERT_TRUE(store.insert(job));
    Job changed = full_job();
    changed.id = job.id;
    ASSERT_TRUE(store.update(changed));
    expect_same(changed, **store.get(job.id));

    Job ghost = simple_job("ghost");
    ghost.id = 42;
    auto refused = store.update(ghost);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("no job 42"), std::string::npos) << refused.error().message;

    // update_all is one transaction: the unknown job rolls back the known one's change too.
    Job renamed = changed;
    renamed.name = "renamed";
    EXPECT_FALSE(store.update_all({&renamed, &ghost}));
    EXPECT_EQ((*store.get(job.id))->name, changed.name);
    ASSERT_TRUE(store.update_all({&renamed}));
    EXPECT_EQ((*store.get(job.id))->name, "renamed");
}

// Bad input: paging past the oldest job and a limit of 0; ids must come newest first, without gaps
// or repeats across pages.
TEST(JobStore, ListPagesNewestFirst) {
    TempDir folder;
    auto store = open_store(folder.path() / "jobs.db");
    for (int i = 1; i <= 250; ++i) {
        Job job = simple_job("job" + std::to_string(i));
        ASSERT_TRUE(store.insert(job));
        ASSERT_EQ(job.id, i);
    }
    std::vector<JobId> seen;
    std::optional<JobId> before;
    for (;;) {
        JobFilter filter;
        filter.before = before;
        auto page = store.list(filter);
        ASSERT_TRUE(page);
        if (page->empty()) break;
        EXPECT_LE(page->size(), 100u);
        for (const auto& job : *page) seen.push_back(job.id);
        before = page->back().id;
    }
    ASSERT_EQ(seen.size(), 250u);
    for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<JobId>(250 - i));

    JobFilter none;
    none.limit = 0;
    EXPECT_TRUE(store.list(none)->empty());
    JobFilter three;
    three.limit = 3;
    three.before = 2;
    EXPECT_EQ(ids_of(*store.list(three)), (std::vector<JobId>{1}));
}

// Bad input: filters combined, and text holding LIKE's wildcards, which must match literally.
TEST(JobStore, ListFilters) {
    TempDir folder;
    auto store = open_store(folder.path() / "jobs.db");
    Job a = simple_job("train resnet", "alice", JobState::running);
    Job b = simple_job("eval 100%", "bob", JobState::done);
    Job c = simple_job("eval 1000", "alice", JobState::failed);
    c.command = {"python", "eval.py", "--fast"};
    Job d = simple_job("notes", "bob", JobState::queued);
    d.command.clear();
    d.shell = "grep -c foo_bar log.txt";
    for (Job* job : {&a, &b, &c, &d}) ASSERT_TRUE(store.insert(*job));

    auto list = [&](const JobFilter& filter) { return ids_of(*store.list(filter)); };
    EXPECT_EQ(list({.states = {JobState::running}}), (std::vector<JobId>{a.id}));
    EXPECT_EQ(list({.states = {JobState::done, JobState::failed}}), (std::vector<JobId>{c.id, b.id}));
    EXPECT_EQ(list({.user = "bob"}), (std::vector<JobId>{d.id, b.id}));
    EXPECT_EQ(list({.states = {JobState::queued}, .user = "alice"}), (std::vector<JobId>{}));
    EXPECT_EQ(list({.text = "eval"}), (std::vector<JobId>{c.id, b.id}));
    EXPECT_EQ(list({.text = "100%"}), (std::vector<JobId>{b.id}));         // % is literal
    EXPECT_EQ(list({.text = "eval.py --f"}), (std::vector<JobId>{c.id}));  // the command as one line
    EXPECT_EQ(list({.text = "foo_bar"}), (std::vector<JobId>{d.id}));      // _ is literal, shell text
    EXPECT_EQ(list({.text = "foo%bar"}), (std::vector<JobId>{}));
    EXPECT_EQ(list({.text = "RESNET"}), (std::vector<JobId>{a.id}));  // ASCII case does not matter
    EXPECT_EQ(list({.user = "alice", .text = "eval", .before = c.id}), (std::vector<JobId>{}));
}

// Bad input: ids of jobs still queued or running, and ids that do not exist; only finished jobs
// may be reported.
TEST(JobStore, FinishedStatesActiveAndCounts) {
    TempDir folder;
    auto store = open_store(folder.path() / "jobs.db");
    std::vector<JobState> states = {JobState::queued,    JobState::running, JobState::done,  JobState::failed,
                                    JobState::cancelled, JobState::done,    JobState::queued};
    for (JobState state : states) {
        Job job = simple_job("x", "alice", state);
        ASSERT_TRUE(store.insert(job));
    }
    auto finished = store.finished_states({1, 2, 3, 4, 5, 77});
    ASSERT_TRUE(finished);
    EXPECT_EQ(*finished, (FinishedStates{{3, JobState::done}, {4, JobState::failed}, {5, JobState::cancelled}}));
    EXPECT_TRUE(store.finished_states({})->empty());

    auto active = store.active();
    ASSERT_TRUE(active);
    EXPECT_EQ(ids_of(*active), (std::vector<JobId>{1, 2, 7}));

    auto counts = store.counts();
    ASSERT_TRUE(counts);
    EXPECT_EQ(*counts, (std::map<JobState, std::int64_t>{{JobState::queued, 2},
                                                         {JobState::running, 1},
                                                         {JobState::done, 2},
                                                         {JobState::failed, 1},
                                                         {JobState::cancelled, 1}}));
}

// Bad input: a second insert of the same snapshot id with other figures; the first stays.
TEST(JobStore, SnapshotsRoundTripAndAreImmutable) {
    TempDir folder;
    auto store = open_store(folder.path() / "jobs.db");
    SnapshotRecord snapshot{"s-abc", 1700000000.5, 3, 4096, R"({"files":[]})", GitState{"c0ffee", "dev", false, ""}};
    ASSERT_TRUE(store.insert_snapshot(snapshot));
    SnapshotRecord other{"s-abc", 1, 99, 99, "{}", std::nullopt};
    ASSERT_TRUE(store.insert_snapshot(other));
    auto read = store.snapshot("s-abc");
    ASSERT_TRUE(read && read->has_value());
    EXPECT_EQ((*read)->files, 3);
    EXPECT_EQ((*read)->bytes, 4096);
    EXPECT_EQ((*read)->created_at, 1700000000.5);
    EXPECT_EQ((*read)->manifest_json, R"({"files":[]})");
    ASSERT_TRUE((*read)->git.has_value());
    EXPECT_EQ((*read)->git->commit, "c0ffee");
    EXPECT_EQ((*read)->git->branch, "dev");
    EXPECT_FALSE((*read)->git->dirty);

    SnapshotRecord bare{"s-def", 2, 0, 0, "{}", std::nullopt};
    ASSERT_TRUE(store.insert_snapshot(bare));
    EXPECT_FALSE((*store.snapshot("s-def"))->git.has_value());
    EXPECT_FALSE(store.snapshot("s-none")->has_value());
}

// Bad input: the server restarting on its file; nothing may be lost and ids must keep growing.
// A second store on the same file (a reader thread's) sees committed writes at once.
TEST(JobStore, ReopeningKeepsEverything) {
    TempDir folder;
    const auto file = folder.path() / "jobs.db";
    Job job = full_job();
    {
        auto store = open_store(file);
        ASSERT_TRUE(store.insert(job));
        Job second = simple_job("second");
        ASSERT_TRUE(store.insert(second));
        auto reader = open_store(file);
        EXPECT_EQ(ids_of(*reader.list({})), (std::vector<JobId>{2, 1}));
        ASSERT_TRUE(store.insert_snapshot({"s-1", 1, 1, 1, "{}", std::nullopt}));
    }
    auto store = open_store(file);
    expect_same(job, **store.get(1));
    EXPECT_TRUE(store.snapshot("s-1")->has_value());
    Job third = simple_job("third");
    ASSERT_TRUE(store.insert(third));
    EXPECT_EQ(third.id, 3);
}

// Bad input: a file written by a newer ailab (a higher schema version); it must be refused with a
// message naming both versions, and left untouched.
TEST(JobStore, NewerSchemaIsRefused) {
    TempDir folder;
    const auto file = folder.path() / "jobs.db";
    { open_store(file); }
    {
        auto database = core::Database::open(file);
        ASSERT_TRUE(database);
        ASSERT_TRUE(database->exec("PRAGMA user_version = 9"));
    }
    auto refused = JobStore::open(file);
    ASSERT_FALSE(refused);
    const std::string& message = refused.error().message;
    EXPECT_NE(message.find("schema version is 9"), std::string::npos) << message;
    EXPECT_NE(message.find("(2)"), std::string::npos) << message;
    EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    auto database = core::Database::open(file);
    auto version = database->prepare("PRAGMA user_version");
    ASSERT_EQ(*version->step(), core::Step::row);
    EXPECT_EQ(version->column_int64(0), 9);
}

// Bad input: a file that is not a database at all, and a database whose pages were overwritten.
// Both must give errors naming the problem, never a crash.
TEST(JobStore, CorruptFilesGiveErrors) {
    TempDir folder;
    const auto garbage = folder.path() / "garbage.db";
    {
        std::ofstream out(garbage, std::ios::binary);
        for (int i = 0; i < 4096; ++i) out.put(static_cast<char>(i * 31 + 7));
    }
    auto refused = JobStore::open(garbage);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("garbage.db"), std::string::npos) << refused.error().message;

    const auto damaged = folder.path() / "damaged.db";
    {
        auto store = open_store(damaged);
        for (int i = 0; i < 200; ++i) {
            Job job = full_job();
            ASSERT_TRUE(store.insert(job));
        }
    }
    // Fold the WAL into the main file, then scribble over every page after the first.
    {
        auto database = core::Database::open(damaged);
        ASSERT_TRUE(database->exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    }
    const auto size = std::filesystem::file_size(damaged);
    ASSERT_GT(size, 8192u);
    {
        std::fstream out(damaged, std::ios::binary | std::ios::in | std::ios::out);
        out.seekp(4096);
        for (std::uintmax_t i = 4096; i < size; ++i) out.put(static_cast<char>(0xA5));
    }
    auto reopened = JobStore::open(damaged);
    if (!reopened) {
        SUCCEED() << reopened.error().message;
        return;
    }
    auto listed = reopened->list({});
    auto counted = reopened->counts();
    EXPECT_TRUE(!listed || !counted) << "a damaged store read back without an error";
    if (!listed) {
        EXPECT_FALSE(listed.error().message.empty());
    }
}

}  // namespace
}  // namespace ailab::jobs
