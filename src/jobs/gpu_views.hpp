#pragma once
// From what NVML saw to what the scheduler needs: one GpuView per configured GPU.
//
// A GPU is free for AI Lab when no AI Lab job holds it, NVML shows no foreign compute process on
// it, and its used memory is under the busy threshold. A process is AI Lab's own when its session
// is the session of a running job's command (each job's command runs in its own session, so the
// session id is the command's pid, pid.json's job_pid). A process that no longer exists is
// ignored (samples are up to one interval old). The memory rule is skipped for a GPU that AI Lab
// released after the sample was taken (its memory may still show the ended job), so a freed GPU is
// handed out at once rather than one sample later.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "jobs/scheduler.hpp"
#include "system/sample.hpp"

namespace ailab::jobs {

struct GpuViewInputs {
    std::vector<int> configured;                           // the config's gpus, ascending
    const std::vector<sys::GpuSample>* sampled = nullptr;  // null: no NVML (bookkeeping alone)
    double sampled_at = 0;                                 // Unix seconds of the sample
    std::map<int, JobId> held;                             // GPU id -> running job
    std::set<pid_t> job_sessions;                          // session ids of running jobs' commands
    std::map<int, double> released_at;                     // GPU id -> when AI Lab last released it
    std::uint64_t busy_memory_bytes = std::uint64_t{1024} << 20;
    std::filesystem::path proc_root = "/proc";
};

std::vector<GpuView> make_gpu_views(const GpuViewInputs& inputs);

// The session id of a live process (field 6 of /proc/<pid>/stat), nullopt when it is gone.
std::optional<pid_t> session_of(pid_t pid, const std::filesystem::path& proc_root = "/proc");

}  // namespace ailab::jobs
