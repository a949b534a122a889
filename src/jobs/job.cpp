#include "jobs/job.hpp"

namespace ailab::jobs {

std::string_view state_name(JobState state) {
    switch (state) {
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::done: return "done";
    case JobState::failed: return "failed";
    case JobState::cancelled: return "cancelled";
    }
    return "queued";
}

std::optional<JobState> parse_state(std::string_view name) {
    for (auto state : {JobState::queued, JobState::running, JobState::done, JobState::failed, JobState::cancelled})
        if (state_name(state) == name) return state;
    return std::nullopt;
}

std::string_view wait_reason_name(WaitReason reason) {
    switch (reason) {
    case WaitReason::none: return "";
    case WaitReason::gpu: return "gpu";
    case WaitReason::dependency: return "dependency";
    case WaitReason::group_limit: return "group limit";
    case WaitReason::slurm: return "slurm";
    case WaitReason::submit_retry: return "submit retry";
    }
    return "";
}

}  // namespace ailab::jobs
