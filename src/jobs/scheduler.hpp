#pragma once
// The scheduling decision, as a pure function of the queue and the GPUs: no I/O, no clock, no
// locks, so it is unit-tested exhaustively and measured alone (<= 1 ms for 10,000 queued jobs).
//
// Rules (docs/API.md "Jobs"):
// - Queued jobs are considered in order: priority (higher first), then submit time, then id.
// - A job whose `after` holds a failed or cancelled job fails ("dependency 12 failed"/"... was
//   cancelled"); one whose `after` holds a job not yet done waits (WaitReason::dependency).
// - A job in a group that already runs its limit waits (group_limit). Groups not in the limits map
//   are unlimited (the routes refuse unknown groups at submit; this keeps the function total).
// - GPUs: a GPU is usable when no job holds it, it has no foreign process, its memory is not busy,
//   and no earlier waiting job holds it. A job with gpu_ids_requested needs exactly those ids; else
//   it takes the lowest usable ids. A job that waits for GPUs holds the usable GPUs it would take
//   (up to its count, its requested ids only), so a stream of smaller jobs behind it cannot starve it:
//   GPUs freed while it heads the queue are kept for it.
// - A job that needs no GPU (gpus_requested 0) never waits for one.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/job.hpp"

namespace ailab::jobs {

// One GPU from the config's `gpus`, as the service sees it now.
struct GpuView {
    int id = 0;
    std::optional<JobId> held_by;  // an AI Lab job running on it
    bool foreign_process = false;  // NVML shows a compute process that is not an AI Lab job's
    bool memory_busy = false;      // used memory >= gpu_busy_memory_mib (and not ours)
    std::string foreign_text;      // "foreign process 4242 of bob", for reasons
};

struct SchedulerInput {
    // Queued jobs, in any order (the scheduler sorts pointers; callers may keep them sorted).
    std::vector<const Job*> queued;
    // Running jobs (for group counts and for dependencies still running).
    std::vector<const Job*> running;
    std::vector<GpuView> gpus;  // every configured GPU, id order
    std::map<std::string, int, std::less<>> group_limits;
    // What finished dependencies ended as (a dependency missing from the queue, the running set and
    // this map counts as done). May be null.
    const FinishedStates* finished = nullptr;
};

struct StartDecision {
    JobId job = 0;
    std::vector<int> gpus;  // ids, ascending
};

struct FailDecision {
    JobId job = 0;
    std::string reason;  // "dependency 12 failed"
};

struct WaitDecision {
    JobId job = 0;
    WaitReason why = WaitReason::none;
    // In words: "waits for 2 GPUs; free: GPU 1 (GPU 0: held by job 7)". Only the first 500 waiting
    // jobs in queue order get the full text; later ones get a short one ("waits for GPUs", "waits
    // for jobs", "group is full") that needs no allocation, so a deep queue stays within 1 ms.
    std::string reason;
};

struct Decision {
    std::vector<StartDecision> starts;  // in queue order
    std::vector<FailDecision> fails;
    std::vector<WaitDecision> waits;  // every queued job not started or failed, queue order
    std::map<int, JobId> held_for;    // GPU id -> the waiting job it is kept for
};

Decision schedule(const SchedulerInput& input);

// Queue order: priority descending, then submitted_at, then id.
bool runs_before(const Job& a, const Job& b);

}  // namespace ailab::jobs
