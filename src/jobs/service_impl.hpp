#pragma once
// The inside of JobService, shared by its rooms: service.cpp (the thread, the public calls),
// lifecycle.cpp (scheduling rounds, starting, collecting exits, recovery). Not for other folders.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "jobs/gpu_views.hpp"
#include "jobs/launcher.hpp"
#include "jobs/process.hpp"
#include "jobs/service.hpp"
#include "jobs/slurm/client.hpp"
#include "jobs/store.hpp"

namespace ailab::jobs {

double now_seconds();
core::Error refusal(Refusal kind, std::string message);

struct JobService::Impl {
    Impl(JobService& owner, net::Hub& hub, sys::SystemService* system, std::filesystem::path self, JobStore writer,
         JobStore reader);

    JobService& owner;
    const Settings& settings;
    net::Hub& hub;
    sys::SystemService* system;
    const std::filesystem::path self;

    // --- the service thread's own ---
    JobStore store;
    std::unique_ptr<ExitWatcher> watcher;
    Launcher launcher;                  // `ailab __launcher`, forks supervisors in ~0.5 ms (posix_spawn costs ~5 ms)
    FinishedStates finished;            // what finished jobs ended as, for dependencies
    std::map<int, double> released_at;  // GPU id -> when a job last released it
    std::map<JobId, pid_t> sessions;    // running job -> its command's session (pid.json job_pid)
    std::map<std::string, SyncStats> uploads;  // snapshot -> what its sync uploaded (since start)
    std::vector<std::function<void(const Job&)>> listeners;
    bool dirty = true;               // a scheduling round is owed
    std::string last_gpu_signature;  // gpu_signature() when the last round ran

    // --- shared with readers, under state_mutex ---
    mutable std::mutex state_mutex;
    std::map<JobId, Job> active;  // queued and running jobs
    std::vector<GpuLane> lanes;
    ClusterState cluster;  // the Slurm executor's partitions (sinfo at each poll)

    // --- the reader connection (routes' list/get), under reader_mutex ---
    std::mutex reader_mutex;
    JobStore reader;

    // --- the event queue ---
    std::mutex queue_mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> events;
    bool stopping = false;
    std::thread thread;

    void post(std::function<void()> event);
    // Runs `work` on the service thread and waits for its result.
    template <class T>
    T call(std::function<T()> work) {
        auto task = std::make_shared<std::packaged_task<T()>>(std::move(work));
        auto result = task->get_future();
        post([task] { (*task)(); });
        return result.get();
    }
    void run();

    // lifecycle.cpp, all on the service thread:
    void recover();
    void round();           // schedule_round() or, with Slurm, slurm_round()
    void schedule_round();  // the local executor: GPUs handed out here
    // Creates the job's folder and its work/ (the snapshot's copy, or empty); "" or why not.
    std::string prepare_folder(const Job& job, const std::filesystem::path& folder);
    void start_job(JobId id);
    void collect(JobId id);
    // Stores the jobs in one transaction (all or none), then one round; the jobs as they are after it.
    core::Result<std::vector<Job>> insert(std::vector<Job> jobs);
    core::Result<Job> insert_one(Job job);
    core::Result<Job> cancel(JobId id, const std::string& user);
    void finish(Job& job, JobState state, std::string reason);  // writes, publishes, forgets
    void changed(const Job& job);                               // publishes jobs.updated
    void publish(std::string_view type, const Job& job);
    void publish_lanes();
    // What the scheduler reads of the latest GPU sample, as text: per configured GPU, busy or not
    // and its compute processes; "" without NVML.
    std::string gpu_signature(const std::optional<sys::SystemSample>& sample) const;
    std::optional<sys::SystemSample> latest_sample() const;  // nullopt without a system service
    std::vector<std::string> environment(const Job& job) const;

    // slurm_lifecycle.cpp: the Slurm executor (settings.slurm), all on the service thread.
    std::unique_ptr<slurm::SlurmClient> slurm_client;
    std::string slurm_tag;               // batch.hpp server_tag()
    std::set<JobId> slurm_check_marker;  // submitted or not? look for the marker first
    std::chrono::steady_clock::time_point slurm_next_poll{};
    std::chrono::steady_clock::time_point slurm_next_sinfo{};
    std::chrono::steady_clock::time_point slurm_retry_at{};  // after Slurm could not be reached
    std::chrono::seconds slurm_backoff{0};
    std::string slurm_unreachable;  // Slurm's last "cannot be reached" message; "" while it answers
    void slurm_round();             // submits what can be submitted
    void slurm_tick();              // a poll and a retry when due
    void slurm_poll();              // squeue (and sacct) for every submitted job at once
    // Whether Slurm's view of the job differs from ours (state, nodes, pending reason).
    bool slurm_moved(const Job& job, const slurm::SlurmJob& found) const;
    void slurm_apply(Job job, const slurm::SlurmJob& found);
    void slurm_lost(Job job);  // Slurm forgot it: sacct had nothing; the exit file decides
    std::chrono::steady_clock::time_point slurm_wake_at() const;
    void slurm_unreachable_now(const std::string& message);
};

}  // namespace ailab::jobs
