#pragma once
// The job service: owns the store, the blob store, the supervisors' exit watcher and the queue.
//
// Threads. Every change of job state happens on the service's own thread, one event at a time
// (submit, cancel, restart, a supervisor's exit, a new GPU sample); after a batch of events it
// runs the scheduler once and starts what it decided. Callers (route handlers) post an event and
// wait for its result, so a job is committed to the store before submit() returns. Reads
// (get, list, lanes) copy from a snapshot guarded by a mutex and the store's second connection,
// never waiting for the thread. Supervisors enforce time limits and cancel escalation themselves,
// so nothing here wakes up on a timer: an idle server with 10,000 queued jobs sleeps.
//
// Crash safety. A job is marked running (store committed) before its supervisor is launched; a
// restarted server asks each running job's folder (jobs/process.hpp probe) and re-adopts live
// supervisors, collects the exit of ended ones, queues again those whose command never started,
// and fails those whose supervisor vanished without a status. Nothing is lost; nothing runs twice.

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "jobs/blobs.hpp"
#include "jobs/job.hpp"
#include "jobs/process.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/settings.hpp"
#include "jobs/slurm/states.hpp"
#include "jobs/store.hpp"
#include "net/hub.hpp"

namespace ailab::sys {
class SystemService;
}

namespace ailab::jobs {

// What a client asks for (POST /api/v1/jobs), checked by submit().
struct SubmitRequest {
    std::vector<std::string> command;
    std::string shell;
    std::string name;
    std::string project;
    std::string snapshot;
    std::optional<int> gpus;   // count; nullopt: 1 when the config lists GPUs, else 0
    std::vector<int> gpu_ids;  // specific ids
    std::string group;
    int priority = 0;
    std::vector<JobId> after;
    std::map<std::string, std::string> env;
    std::optional<std::int64_t> time_limit_s;
};

// One configured GPU as the GUI shows it.
struct GpuLane {
    int id = 0;
    std::optional<JobId> job;
    std::optional<JobId> held_for;
    struct Foreign {
        std::uint32_t pid = 0;
        std::string user;
        std::string command;
        std::optional<std::uint64_t> memory_bytes;
    };
    std::vector<Foreign> foreign;
    std::optional<std::uint64_t> memory_used_bytes;
    bool free = false;
    bool operator==(const GpuLane&) const = default;
};
inline bool operator==(const GpuLane::Foreign& a, const GpuLane::Foreign& b) {
    return a.pid == b.pid && a.user == b.user && a.command == b.command && a.memory_bytes == b.memory_bytes;
}

struct JobList {
    std::vector<Job> jobs;
    std::optional<JobId> next_before;
    std::map<JobState, std::int64_t> counts;
};

// Errors submit/cancel/restart return carry an HTTP-like code in Error::code's value so routes
// can answer 400/403/404/409/507 (see status_of()).
enum class Refusal { bad_request = 400, forbidden = 403, not_found = 404, conflict = 409, no_space = 507 };
int status_of(const core::Error& error);

// What the Jobs page shows instead of GPU lanes when Slurm places the jobs.
struct ClusterState {
    std::vector<slurm::Partition> partitions;
    std::string error;      // sinfo's last failure ("" when it answered)
    double updated_at = 0;  // seconds since the epoch; 0 before the first sinfo
};

class JobService {
public:
    // Opens (creates) queue/jobs.db and queue/blobs; throws std::runtime_error naming the file when
    // the store cannot be opened. `system` may be null (no GPU samples: bookkeeping alone).
    JobService(Settings settings, net::Hub& hub, sys::SystemService* system, std::filesystem::path self_exe);
    ~JobService();  // stop()
    JobService(const JobService&) = delete;
    JobService& operator=(const JobService&) = delete;

    // Recovers running jobs, starts the thread, schedules. Once.
    void start();
    // Stops the thread. Jobs keep running (their supervisors outlive the server). Idempotent.
    void stop();

    core::Result<Job> submit(SubmitRequest request, const std::string& user);
    // Several jobs at once (a sweep): each checked as submit() checks one, then all stored in one
    // transaction and scheduled in one round; none is stored when one is refused (the error names
    // it by index: "jobs[3]: ...").
    core::Result<std::vector<Job>> submit_all(std::vector<SubmitRequest> requests, const std::string& user);
    core::Result<Job> cancel(JobId id, const std::string& user);
    core::Result<Job> restart(JobId id, const std::string& user);

    core::Result<std::optional<Job>> get(JobId id);
    core::Result<JobList> list(const JobFilter& filter);
    std::vector<GpuLane> lanes() const;
    // With the Slurm executor: the partitions as the last poll's sinfo saw them (nullopt: local).
    std::optional<ClusterState> cluster() const;
    // Queued and running jobs now (for /metrics).
    std::pair<std::int64_t, std::int64_t> active_counts() const;

    // Code sync.
    BlobStore& blobs() { return blobs_; }
    const Settings& settings() const { return settings_; }
    // Stores a snapshot record (the manifest must be validated and its blobs stored).
    core::Result<std::string> create_snapshot(const sync::Manifest& manifest, std::optional<GitState> git,
                                              SyncStats uploads);

    std::filesystem::path job_folder(JobId id) const;
    // A stored snapshot (its manifest names a job's read-only files), or nullopt. Any thread.
    core::Result<std::optional<SnapshotRecord>> snapshot(const std::string& id);
    // queue/jobs/<id>/output.log; with Slurm shared_dir/jobs/<id>.output.log, beside the job's
    // folder, which the job makes itself (slurmd opens the file before the script runs).
    std::filesystem::path output_file(JobId id) const;

    // A new GPU sample is there: schedule again (jobs may wait for a GPU that became free).
    void gpus_changed();

    // Called with the job after each change of state (on the service thread). Register before start().
    void on_change(std::function<void(const Job&)> listener);

    // Where a project's folder is, by name (nullopt: unknown). The files feature sets it, so a
    // submit finds every project the GUI lists (configured, auto-detected, created through the
    // API). Unset, submit reads the config's `projects` and, with auto-detection, `workspace`.
    // Set before the server serves; the finder must be thread-safe.
    using ProjectFinder = std::function<std::optional<std::filesystem::path>(std::string_view name)>;
    void set_project_finder(ProjectFinder finder) { project_finder_ = std::move(finder); }

private:
    struct Impl;
    // submit()'s checks and the job they make, not stored yet. `projects` (submit_all) keeps the
    // snapshot made of each project by name, so that a sweep over one project hashes it once.
    struct ProjectSnapshot {
        std::string id;
        std::int64_t files = 0;
    };
    using ProjectSnapshots = std::map<std::string, ProjectSnapshot, std::less<>>;
    core::Result<Job> make_job(SubmitRequest request, const std::string& user, ProjectSnapshots* projects = nullptr);
    ProjectFinder project_finder_;
    Settings settings_;
    BlobStore blobs_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ailab::jobs
