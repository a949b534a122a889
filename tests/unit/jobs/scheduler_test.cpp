// The scheduling decision: queue order, groups, dependencies, GPU choice and holding. Each test
// builds the queue and the GPUs as plain structs and checks what schedule() decides.

#include "jobs/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>

namespace ailab::jobs {
namespace {

// Jobs live in a deque so pointers stay valid as the test adds more.
class Queue {
public:
    Job& add(JobId id, int gpus = 0, int priority = 0, double submitted_at = -1) {
        Job& job = jobs_.emplace_back();
        job.id = id;
        job.name = "job " + std::to_string(id);
        job.command = {"true"};
        job.gpus_requested = gpus;
        job.priority = priority;
        job.submitted_at = submitted_at < 0 ? static_cast<double>(id) : submitted_at;
        return job;
    }
    Job& run(JobId id, std::vector<int> gpus = {}, std::string group = "") {
        Job& job = add(id, static_cast<int>(gpus.size()));
        job.state = JobState::running;
        job.gpus = std::move(gpus);
        job.group = std::move(group);
        return job;
    }
    SchedulerInput input(std::size_t gpu_count = 0) const {
        SchedulerInput input;
        for (const Job& job : jobs_) {
            if (job.state == JobState::running) input.running.push_back(&job);
            if (job.state == JobState::queued) input.queued.push_back(&job);
        }
        for (std::size_t id = 0; id < gpu_count; ++id) {
            GpuView view;
            view.id = static_cast<int>(id);
            for (const Job& job : jobs_)
                if (job.state == JobState::running && std::count(job.gpus.begin(), job.gpus.end(), view.id) > 0)
                    view.held_by = job.id;
            input.gpus.push_back(view);
        }
        return input;
    }
    std::deque<Job>& jobs() { return jobs_; }

private:
    std::deque<Job> jobs_;
};

std::vector<JobId> started(const Decision& decision) {
    std::vector<JobId> ids;
    for (const auto& start : decision.starts) ids.push_back(start.job);
    return ids;
}

std::vector<JobId> waiting(const Decision& decision) {
    std::vector<JobId> ids;
    for (const auto& wait : decision.waits) ids.push_back(wait.job);
    return ids;
}

const WaitDecision* wait_of(const Decision& decision, JobId id) {
    for (const auto& wait : decision.waits)
        if (wait.job == id) return &wait;
    return nullptr;
}

const StartDecision* start_of(const Decision& decision, JobId id) {
    for (const auto& start : decision.starts)
        if (start.job == id) return &start;
    return nullptr;
}

// Bad input: the queue handed over in scrambled order; the decision must follow priority, then
// submit time, then id.
TEST(Scheduler, OrdersByPriorityThenSubmitTimeThenId) {
    Queue queue;
    queue.add(1, 0, 0, 10.0);
    queue.add(2, 0, 5, 20.0);
    queue.add(3, 0, 0, 5.0);
    queue.add(4, 0, 5, 20.0);  // same priority and time as 2: the lower id goes first
    queue.add(5, 0, -1, 1.0);
    auto input = queue.input();
    std::reverse(input.queued.begin(), input.queued.end());
    const Decision decision = schedule(input);
    EXPECT_EQ(started(decision), (std::vector<JobId>{2, 4, 3, 1, 5}));
    EXPECT_TRUE(decision.waits.empty());
    EXPECT_TRUE(runs_before(queue.jobs()[1], queue.jobs()[0]));
    EXPECT_FALSE(runs_before(queue.jobs()[0], queue.jobs()[1]));
    EXPECT_TRUE(runs_before(queue.jobs()[1], queue.jobs()[3]));
}

// Bad input: one GPU and three jobs of one priority submitted out of id order; the earliest
// submitted must get the GPU and the others wait in submit order.
TEST(Scheduler, FirstInFirstOutWithinAPriority) {
    Queue queue;
    queue.add(1, 1, 0, 30.0);
    queue.add(2, 1, 0, 10.0);
    queue.add(3, 1, 0, 20.0);
    const Decision decision = schedule(queue.input(1));
    EXPECT_EQ(started(decision), (std::vector<JobId>{2}));
    EXPECT_EQ(decision.starts[0].gpus, (std::vector<int>{0}));
    EXPECT_EQ(waiting(decision), (std::vector<JobId>{3, 1}));
    EXPECT_EQ(decision.waits[0].why, WaitReason::gpu);
}

// Bad input: a group already running one of its two slots and three more queued; only one may
// start. Jobs of a group without a limit are not held back.
TEST(Scheduler, GroupLimits) {
    Queue queue;
    queue.run(1, {}, "eval");
    for (JobId id : {2, 3, 4}) queue.add(id).group = "eval";
    for (JobId id : {5, 6}) queue.add(id).group = "free";
    auto input = queue.input();
    input.group_limits = {{"eval", 2}};
    const Decision decision = schedule(input);
    EXPECT_EQ(started(decision), (std::vector<JobId>{2, 5, 6}));
    ASSERT_EQ(waiting(decision), (std::vector<JobId>{3, 4}));
    EXPECT_EQ(decision.waits[0].why, WaitReason::group_limit);
    EXPECT_EQ(decision.waits[0].reason, "group \"eval\" runs 2 of 2");
}

// Bad input: a group whose job waits for a GPU must not count as running in the group.
TEST(Scheduler, AJobWaitingForGpusDoesNotUseItsGroupSlot) {
    Queue queue;
    queue.run(1, {0});
    queue.add(2, 1).group = "g";
    queue.add(3, 0).group = "g";
    auto input = queue.input(1);
    input.group_limits = {{"g", 1}};
    const Decision decision = schedule(input);
    EXPECT_EQ(started(decision), (std::vector<JobId>{3}));
    ASSERT_NE(wait_of(decision, 2), nullptr);
    EXPECT_EQ(wait_of(decision, 2)->why, WaitReason::gpu);
}

// Bad input: dependencies that are queued, running, finished well, or unknown (counts as done).
TEST(Scheduler, DependenciesWaitUntilDone) {
    Queue queue;
    queue.run(1);
    queue.add(2);
    queue.add(3).after = {1};
    queue.add(4).after = {2};
    queue.add(5).after = {1, 2, 40};
    queue.add(6).after = {30};  // finished done
    queue.add(7).after = {99};  // unknown everywhere: done long ago
    FinishedStates finished = {{30, JobState::done}, {40, JobState::done}};
    auto input = queue.input();
    input.finished = &finished;
    const Decision decision = schedule(input);
    EXPECT_EQ(started(decision), (std::vector<JobId>{2, 6, 7}));
    ASSERT_EQ(waiting(decision), (std::vector<JobId>{3, 4, 5}));
    EXPECT_EQ(decision.waits[0].why, WaitReason::dependency);
    EXPECT_EQ(decision.waits[0].reason, "waits for job 1");
    EXPECT_EQ(decision.waits[1].reason, "waits for job 2");
    EXPECT_EQ(decision.waits[2].reason, "waits for jobs 1 and 2");
    EXPECT_TRUE(decision.fails.empty());
}

// Bad input: a failed and a cancelled dependency; the dependants fail with the reason, a failure
// wins over a dependency still running, and a chain fails within the same round.
TEST(Scheduler, FailedOrCancelledDependencyFailsTheDependant) {
    Queue queue;
    queue.run(1);
    queue.add(20).after = {12};
    queue.add(21).after = {13};
    queue.add(22).after = {1, 12};
    queue.add(23).after = {20};  // 20 fails in this round, earlier in the queue
    FinishedStates finished = {{12, JobState::failed}, {13, JobState::cancelled}};
    auto input = queue.input();
    input.finished = &finished;
    const Decision decision = schedule(input);
    EXPECT_TRUE(decision.starts.empty());
    EXPECT_TRUE(decision.waits.empty());
    ASSERT_EQ(decision.fails.size(), 4u);
    EXPECT_EQ(decision.fails[0].job, 20);
    EXPECT_EQ(decision.fails[0].reason, "dependency 12 failed");
    EXPECT_EQ(decision.fails[1].job, 21);
    EXPECT_EQ(decision.fails[1].reason, "dependency 13 was cancelled");
    EXPECT_EQ(decision.fails[2].job, 22);
    EXPECT_EQ(decision.fails[2].reason, "dependency 12 failed");
    EXPECT_EQ(decision.fails[3].job, 23);
    EXPECT_EQ(decision.fails[3].reason, "dependency 20 failed");
}

// Bad input: free GPUs 0 and 1 but the job asks for 2 and 3; it must get exactly those.
TEST(Scheduler, ExplicitGpuIdsAreTakenExactly) {
    Queue queue;
    queue.add(1).gpu_ids_requested = {3, 2};
    queue.add(2, 1);
    const Decision decision = schedule(queue.input(4));
    ASSERT_NE(start_of(decision, 1), nullptr);
    EXPECT_EQ(start_of(decision, 1)->gpus, (std::vector<int>{2, 3}));
    ASSERT_NE(start_of(decision, 2), nullptr);
    EXPECT_EQ(start_of(decision, 2)->gpus, (std::vector<int>{0}));
}

// Bad input: a requested GPU held by another job, and one that is not configured at all.
TEST(Scheduler, ExplicitGpuIdsWaitAndHoldOnlyTheirOwnIds) {
    Queue queue;
    queue.run(7, {1});
    queue.add(10).gpu_ids_requested = {0, 1};
    queue.add(11).gpu_ids_requested = {9};
    queue.add(12, 1);
    const Decision decision = schedule(queue.input(3));
    const WaitDecision* ten = wait_of(decision, 10);
    ASSERT_NE(ten, nullptr);
    EXPECT_EQ(ten->why, WaitReason::gpu);
    EXPECT_EQ(ten->reason, "waits for GPUs 0, 1; free: GPU 0 (GPU 1: held by job 7)");
    EXPECT_EQ(decision.held_for, (std::map<int, JobId>{{0, 10}}));
    const WaitDecision* eleven = wait_of(decision, 11);
    ASSERT_NE(eleven, nullptr);
    EXPECT_EQ(eleven->reason, "waits for GPU 9, which is not configured");
    // GPU 0 is kept for job 10, GPU 1 is held: job 12 takes GPU 2.
    ASSERT_NE(start_of(decision, 12), nullptr);
    EXPECT_EQ(start_of(decision, 12)->gpus, (std::vector<int>{2}));
}

// Bad input: a 2-GPU job at the head while one GPU is busy, and a stream of 1-GPU jobs behind it
// that would each fit on the free GPU. Round after round the free GPU must stay kept for the big
// job, and it must start as soon as the second GPU frees.
TEST(Scheduler, AJobWaitingForSeveralGpusIsNotStarvedBySmallerJobs) {
    Queue queue;
    queue.run(7, {0});
    queue.add(10, 2);
    JobId next = 11;
    for (int round = 0; round < 5; ++round) {
        queue.add(next++, 1);
        const Decision decision = schedule(queue.input(2));
        EXPECT_TRUE(decision.starts.empty()) << "round " << round;
        EXPECT_EQ(decision.held_for, (std::map<int, JobId>{{1, 10}}));
        ASSERT_EQ(decision.waits.front().job, 10);
        EXPECT_EQ(decision.waits.front().reason, "waits for 2 GPUs; free: GPU 1 (GPU 0: held by job 7)");
        const WaitDecision* small = wait_of(decision, 11);
        ASSERT_NE(small, nullptr);
        EXPECT_EQ(small->reason, "waits for 1 GPU; free: none (GPU 0: held by job 7, GPU 1: kept for job 10)");
    }
    // Job 7 ends: the big job takes both GPUs, the small ones keep waiting.
    queue.jobs().front().state = JobState::done;
    const Decision decision = schedule(queue.input(2));
    EXPECT_EQ(started(decision), (std::vector<JobId>{10}));
    EXPECT_EQ(decision.starts[0].gpus, (std::vector<int>{0, 1}));
    EXPECT_TRUE(decision.held_for.empty());
}

// Bad input: every GPU busy and a GPU job at the head; CPU jobs must start all the same.
TEST(Scheduler, CpuJobsNeverWaitForGpus) {
    Queue queue;
    queue.run(7, {0, 1});
    queue.add(10, 2, 10);
    queue.add(11, 0);
    queue.add(12, 0);
    const Decision decision = schedule(queue.input(2));
    EXPECT_EQ(started(decision), (std::vector<JobId>{11, 12}));
    EXPECT_TRUE(decision.starts[0].gpus.empty());
    EXPECT_EQ(waiting(decision), (std::vector<JobId>{10}));
}

// Bad input: GPUs that no job of ours holds but a foreign process or busy memory occupies; they
// must not be handed out, and the reason names why.
TEST(Scheduler, ForeignProcessesAndBusyMemoryMakeAGpuUnusable) {
    Queue queue;
    queue.add(10, 2);
    queue.add(11, 1);
    auto input = queue.input(3);
    input.gpus[0].foreign_process = true;
    input.gpus[0].foreign_text = "foreign process 4242 of bob";
    input.gpus[1].memory_busy = true;
    const Decision decision = schedule(input);
    ASSERT_NE(wait_of(decision, 10), nullptr);
    EXPECT_EQ(wait_of(decision, 10)->reason,
              "waits for 2 GPUs; free: GPU 2 (GPU 0: foreign process 4242 of bob, GPU 1: memory in use)");
    EXPECT_EQ(decision.held_for, (std::map<int, JobId>{{2, 10}}));
    EXPECT_TRUE(decision.starts.empty());
}

// Bad input: a job asking for more GPUs than exist can never run; it must not hold GPUs forever.
TEST(Scheduler, MoreGpusThanConfiguredWaitsWithoutHolding) {
    Queue queue;
    queue.add(10, 3);
    queue.add(11, 1);
    const Decision decision = schedule(queue.input(2));
    ASSERT_NE(wait_of(decision, 10), nullptr);
    EXPECT_EQ(wait_of(decision, 10)->reason, "waits for 3 GPUs; only 2 are configured");
    EXPECT_TRUE(decision.held_for.empty());
    ASSERT_NE(start_of(decision, 11), nullptr);
    EXPECT_EQ(start_of(decision, 11)->gpus, (std::vector<int>{0}));
}

// Bad input: a view that forgot a running job's GPU; the job's own record must still count.
TEST(Scheduler, RunningJobsGpusCountEvenWhenTheViewMissesThem) {
    Queue queue;
    queue.run(7, {0});
    queue.add(10, 1);
    auto input = queue.input(2);
    input.gpus[0].held_by.reset();
    const Decision decision = schedule(input);
    ASSERT_NE(start_of(decision, 10), nullptr);
    EXPECT_EQ(start_of(decision, 10)->gpus, (std::vector<int>{1}));
}

// Bad input: two started jobs in one round must never share a GPU, and every GPU a start names must
// have been usable.
TEST(Scheduler, JobsStartedInOneRoundGetDistinctGpus) {
    Queue queue;
    for (JobId id = 1; id <= 6; ++id) queue.add(id, id % 2 == 0 ? 2 : 1);
    const Decision decision = schedule(queue.input(4));
    std::vector<int> used;
    for (const auto& start : decision.starts) used.insert(used.end(), start.gpus.begin(), start.gpus.end());
    std::sort(used.begin(), used.end());
    EXPECT_EQ(std::adjacent_find(used.begin(), used.end()), used.end());
    EXPECT_EQ(used.size(), 4u);
    EXPECT_EQ(started(decision), (std::vector<JobId>{1, 2, 3}));
}

// Bad input: a large mixed queue given sorted and shuffled; the decision must not depend on the
// order the caller used, every queued job must be accounted for once, and every wait says why.
TEST(Scheduler, ALargeQueueIsDecidedTheSameWhateverTheInputOrder) {
    Queue queue;
    queue.run(1, {0});
    queue.run(2, {1}, "eval");
    std::mt19937 random(7);
    for (JobId id = 10; id < 3010; ++id) {
        Job& job = queue.add(id, static_cast<int>(random() % 3), static_cast<int>(random() % 4));
        if (random() % 5 == 0) job.group = "eval";
        if (random() % 7 == 0) job.after = {id - 1 - static_cast<JobId>(random() % 5)};
    }
    auto sorted = queue.input(4);
    sorted.group_limits = {{"eval", 2}};
    std::sort(sorted.queued.begin(), sorted.queued.end(),
              [](const Job* a, const Job* b) { return runs_before(*a, *b); });
    auto shuffled = sorted;
    std::shuffle(shuffled.queued.begin(), shuffled.queued.end(), random);
    auto submit_order = sorted;  // mixed priorities in id order: the linear bucket pass
    std::sort(submit_order.queued.begin(), submit_order.queued.end(),
              [](const Job* x, const Job* y) { return x->id < y->id; });
    const Decision a = schedule(sorted);
    const Decision b = schedule(shuffled);
    const Decision c = schedule(submit_order);
    EXPECT_EQ(started(a), started(b));
    EXPECT_EQ(waiting(a), waiting(b));
    EXPECT_EQ(a.held_for, b.held_for);
    EXPECT_EQ(started(a), started(c));
    EXPECT_EQ(waiting(a), waiting(c));
    EXPECT_EQ(a.held_for, c.held_for);
    EXPECT_EQ(a.starts.size() + a.fails.size() + a.waits.size(), 3000u);
    for (const auto& wait : a.waits) {
        EXPECT_NE(wait.why, WaitReason::none);
        EXPECT_FALSE(wait.reason.empty()) << wait.job;
    }
    for (std::size_t i = 0; i < a.waits.size(); ++i) EXPECT_EQ(a.waits[i].reason, b.waits[i].reason);
}

// Bad input: more distinct priorities than the bucket pass takes (it must fall back to a full sort),
// given in submit order.
TEST(Scheduler, ManyDistinctPrioritiesInSubmitOrder) {
    Queue queue;
    for (JobId id = 1; id <= 100; ++id) queue.add(id, 0, static_cast<int>((id * 37) % 61));
    auto input = queue.input();
    const Decision decision = schedule(input);
    ASSERT_EQ(decision.starts.size(), 100u);
    for (std::size_t i = 1; i < decision.starts.size(); ++i) {
        const Job& before = queue.jobs()[static_cast<std::size_t>(decision.starts[i - 1].job - 1)];
        const Job& after = queue.jobs()[static_cast<std::size_t>(decision.starts[i].job - 1)];
        EXPECT_TRUE(runs_before(before, after)) << before.id << " before " << after.id;
    }
}

// Bad input: a queue deeper than the worded reasons reach. The first 500 waiting jobs get the full
// text, later ones the short one, which must still say what they wait for.
TEST(Scheduler, DeepQueueReasonsAreShortPastTheFirstFiveHundred) {
    Queue queue;
    queue.run(1, {0});
    for (JobId id = 10; id < 710; ++id) queue.add(id, 1);
    const Decision decision = schedule(queue.input(1));
    ASSERT_EQ(decision.waits.size(), 700u);
    EXPECT_EQ(decision.waits[499].reason, "waits for 1 GPU; free: none (GPU 0: held by job 1)");
    EXPECT_EQ(decision.waits[500].reason, "waits for GPUs");
    EXPECT_EQ(decision.waits[699].reason, "waits for GPUs");
    EXPECT_EQ(decision.waits[699].why, WaitReason::gpu);
}

}  // namespace
}  // namespace ailab::jobs
