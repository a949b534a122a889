// Benchmarks of the job host's hot decisions (issue #9 figures):
//   - schedule() with 10,000 queued jobs (mixed priorities, 1- and 2-GPU jobs, CPU jobs in a full
//     group, some dependencies; 4 GPUs of which 2 are busy with running jobs): goal <= 1 ms;
//   - JobStore::list(limit 100) on a store of 10,000 queued jobs: goal well under 20 ms (the whole
//     GET /api/v1/jobs?limit=100 has 20 ms).
// The store lives in /dev/shm when it exists (filling it through insert() is one fsync per job on a
// disk); list() only reads, from the page cache either way.
//
//   ailab_bench_jobs [--benchmark_filter=...] [--benchmark_repetitions=N]

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <random>

#include "jobs/scheduler.hpp"
#include "jobs/store.hpp"

namespace {

using namespace ailab::jobs;
namespace fs = std::filesystem;

constexpr int queued_count = 10'000;

struct Queue {
    std::deque<Job> jobs;
    SchedulerInput input;
};

// 10,000 queued jobs: 60 % one GPU, 10 % two GPUs, 25 % CPU jobs in group "cpu" (limit 4, full),
// 5 % waiting on a running job. Priorities 0..3. GPUs 0 and 1 run jobs 1 and 2.
enum class Order { queue, submit, shuffled };

// The queue handed over in queue order (the caller keeps it sorted), in submit order (a map by id:
// priorities mixed), or shuffled (the worst case: a full sort).
const Queue& make_queue(Order order) {
    static Queue queues[3];
    Queue& queue = queues[static_cast<int>(order)];
    if (!queue.jobs.empty()) return queue;
    std::mt19937 random(42);
    auto add_running = [&](JobId id, std::vector<int> gpus, std::string group) {
        Job& job = queue.jobs.emplace_back();
        job.id = id;
        job.state = JobState::running;
        job.gpus = std::move(gpus);
        job.gpus_requested = static_cast<int>(job.gpus.size());
        job.group = std::move(group);
        queue.input.running.push_back(&job);
    };
    add_running(1, {0}, "");
    add_running(2, {1}, "");
    for (JobId id = 3; id < 7; ++id) add_running(id, {}, "cpu");
    for (JobId id = 100; id < 100 + queued_count; ++id) {
        Job& job = queue.jobs.emplace_back();
        job.id = id;
        job.name = "job";
        job.command = {"python", "train.py"};
        job.submitted_at = 1.7e9 + static_cast<double>(id);
        job.priority = static_cast<int>(random() % 4);
        const auto kind = random() % 100;
        if (kind < 60) {
            job.gpus_requested = 1;
        } else if (kind < 70) {
            job.gpus_requested = 2;
        } else if (kind < 95) {
            job.group = "cpu";
        } else {
            job.gpus_requested = 1;
            job.after = {1};
        }
        queue.input.queued.push_back(&job);
    }
    for (int id = 0; id < 4; ++id) {
        GpuView view;
        view.id = id;
        if (id < 2) view.held_by = id + 1;
        queue.input.gpus.push_back(view);
    }
    queue.input.group_limits = {{"cpu", 4}};
    if (order == Order::queue)
        std::sort(queue.input.queued.begin(), queue.input.queued.end(),
                  [](const Job* a, const Job* b) { return runs_before(*a, *b); });
    if (order == Order::shuffled) std::shuffle(queue.input.queued.begin(), queue.input.queued.end(), random);
    return queue;
}

void schedule_10k(benchmark::State& state, Order order) {
    const Queue& queue = make_queue(order);
    std::size_t waits = 0;
    for (auto _ : state) {
        Decision decision = schedule(queue.input);
        waits = decision.waits.size();
        benchmark::DoNotOptimize(decision);
    }
    state.counters["waits"] = static_cast<double>(waits);
}

void bm_schedule_10k_queue_order(benchmark::State& state) { schedule_10k(state, Order::queue); }
void bm_schedule_10k_submit_order(benchmark::State& state) { schedule_10k(state, Order::submit); }
void bm_schedule_10k_shuffled(benchmark::State& state) { schedule_10k(state, Order::shuffled); }
BENCHMARK(bm_schedule_10k_queue_order)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_schedule_10k_submit_order)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_schedule_10k_shuffled)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------

fs::path store_folder() {
    static const fs::path folder = [] {
        fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        fs::path path = base / ("ailab-jobs-bench-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
        return path;
    }();
    return folder;
}

// 10,000 queued jobs by 4 users; every tenth carries a 2 KiB git diff.
JobStore& store_10k() {
    static JobStore store = [] {
        auto opened = JobStore::open(store_folder() / "jobs.db");
        if (!opened) throw std::runtime_error(opened.error().message);
        std::string diff(2048, 'x');
        for (int i = 0; i < queued_count; ++i) {
            Job job;
            job.name = "train-" + std::to_string(i);
            job.user = "user" + std::to_string(i % 4);
            job.command = {"python", "train.py", "--lr", "0.001", "--seed", std::to_string(i)};
            job.snapshot = "s-0123456789abcdef";
            job.gpus_requested = 1 + i % 2;
            job.priority = i % 3;
            job.env = {{"WANDB_MODE", "offline"}, {"RUN", std::to_string(i)}};
            job.submitted_at = 1.7e9 + i;
            job.reason = "waits for 1 GPU; free: none (GPU 0: held by job 7, GPU 1: held by job 8)";
            job.waiting_for = WaitReason::gpu;
            job.sync = SyncStats{1000, 1, 532};
            if (i % 10 == 0) job.git = GitState{"0123456789abcdef0123", "main", true, diff};
            if (!opened->insert(job)) throw std::runtime_error("insert failed");
        }
        return std::move(*opened);
    }();
    return store;
}

void list_jobs(benchmark::State& state, const JobFilter& filter) {
    JobStore& store = store_10k();
    std::size_t rows = 0;
    for (auto _ : state) {
        auto jobs = store.list(filter);
        if (!jobs) state.SkipWithError(jobs.error().message.c_str());
        rows = jobs->size();
        benchmark::DoNotOptimize(jobs);
    }
    state.counters["rows"] = static_cast<double>(rows);
}

void bm_store_list_100(benchmark::State& state) { list_jobs(state, {}); }
void bm_store_list_100_state_queued(benchmark::State& state) { list_jobs(state, {.states = {JobState::queued}}); }
// Rare states: no row matches, so the whole table is looked at.
void bm_store_list_100_state_running_failed(benchmark::State& state) {
    list_jobs(state, {.states = {JobState::running, JobState::failed}});
}
// Several states, all common: the (state, id) index cannot give the rows in id order by itself.
void bm_store_list_100_state_queued_running(benchmark::State& state) {
    list_jobs(state, {.states = {JobState::queued, JobState::running}});
}
void bm_store_list_100_user(benchmark::State& state) { list_jobs(state, {.user = "user2"}); }
void bm_store_list_100_text_rare(benchmark::State& state) { list_jobs(state, {.text = "--seed 9999"}); }
void bm_store_list_100_page_50(benchmark::State& state) { list_jobs(state, {.before = 5000}); }
BENCHMARK(bm_store_list_100)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_store_list_100_state_queued)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_store_list_100_state_running_failed)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_store_list_100_state_queued_running)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_store_list_100_user)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_store_list_100_text_rare)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_store_list_100_page_50)->Unit(benchmark::kMillisecond);

void bm_store_counts(benchmark::State& state) {
    JobStore& store = store_10k();
    for (auto _ : state) benchmark::DoNotOptimize(store.counts());
}
BENCHMARK(bm_store_counts)->Unit(benchmark::kMillisecond);

// What a restarted service reads first: every queued job.
void bm_store_active_10k(benchmark::State& state) {
    JobStore& store = store_10k();
    for (auto _ : state) benchmark::DoNotOptimize(store.active());
}
BENCHMARK(bm_store_active_10k)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    std::error_code ignored;
    fs::remove_all(store_folder(), ignored);
    return 0;
}
