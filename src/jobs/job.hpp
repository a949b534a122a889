#pragma once
// A job as every part of the job host sees it: the store persists it, the scheduler decides on it,
// the runner starts it, the routes turn it into JSON (docs/API.md "Jobs"). Plain data, no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ailab::jobs {

using JobId = std::int64_t;

enum class JobState { queued, running, done, failed, cancelled };
// "queued", "running", "done", "failed", "cancelled"; parse returns nullopt for anything else.
std::string_view state_name(JobState state);
std::optional<JobState> parse_state(std::string_view name);
inline bool is_finished(JobState state) {
    return state == JobState::done || state == JobState::failed || state == JobState::cancelled;
}

// Why a queued job is not running yet.
enum class WaitReason { none, gpu, dependency, group_limit, slurm, submit_retry };
// "gpu", "dependency", "group limit", "slurm" (pending in Slurm: Job::slurm_reason says why),
// "submit retry" (sbatch could not reach Slurm; tried again with back-off); "" for none.
std::string_view wait_reason_name(WaitReason reason);

// The sync figures of a job that ran a snapshot.
struct SyncStats {
    std::int64_t files = 0;
    std::int64_t uploaded_files = 0;
    std::int64_t uploaded_bytes = 0;
};

// The folder's git state when the client synced it; every field may be empty.
struct GitState {
    std::string commit;
    std::string branch;
    bool dirty = false;
    std::string diff;  // `git diff HEAD`, cut at 1 MiB by the client
};

// How the server finds a running job's supervisor again (after a restart too).
struct ProcessRecord {
    std::int32_t supervisor_pid = 0;
    std::uint64_t supervisor_start_ticks = 0;  // /proc/<pid>/stat field 22, against pid reuse
};

struct Job {
    JobId id = 0;
    std::string name;
    std::string user;
    JobState state = JobState::queued;

    // What runs: argv, or a shell text run as {"/bin/sh", "-c", shell}. Exactly one is non-empty.
    std::vector<std::string> command;
    std::string shell;

    std::string project;   // a config/auto-detected project, snapshotted at submit ("" for none)
    std::string snapshot;  // "s-…" from sync or from the project ("" for an empty job folder)

    int gpus_requested = 0;              // how many GPUs
    std::vector<int> gpu_ids_requested;  // specific ids from the config's gpus (empty: any)
    std::vector<int> gpus;               // the ids it holds while running, and held when it ran
    std::string group;                   // "" for none
    int priority = 0;                    // higher runs first
    std::vector<JobId> after;            // must all end `done` first
    std::map<std::string, std::string> env;
    std::optional<std::int64_t> time_limit_s;

    std::optional<int> exit_code;
    std::optional<int> signal;
    std::string reason;  // why it failed/was cancelled; what it waits for, in words, while queued

    double submitted_at = 0;
    std::optional<double> started_at;
    std::optional<double> ended_at;
    std::int64_t output_bytes = 0;

    std::optional<SyncStats> sync;
    std::optional<GitState> git;
    std::optional<JobId> restarted_from;

    // Runtime state, kept in the store so a restarted server can re-adopt the job.
    std::optional<ProcessRecord> process;
    WaitReason waiting_for = WaitReason::none;
    bool nvml_checked = true;  // false: GPUs were chosen by bookkeeping alone (no NVML)

    // With the Slurm executor (jobs/slurm/): "slurm" ("" for local), Slurm's job id once submitted
    // ("" before), the node list it ran on, and Slurm's reason while pending ("Resources",
    // "Priority", "Dependency"; memory only, polled again after a restart).
    std::string executor;
    std::string slurm_id;
    std::string nodes;
    std::string slurm_reason;
};

// What finished jobs ended as, by id (for dependencies).
using FinishedStates = std::map<JobId, JobState>;

}  // namespace ailab::jobs
