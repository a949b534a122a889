#pragma once
// AI Lab's calls into Slurm through its commands (sbatch, squeue, sacct, scontrol, scancel), with
// their answers parsed. Each call is one child process; every error carries Slurm's own message.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "jobs/settings.hpp"
#include "jobs/slurm/command.hpp"
#include "jobs/slurm/states.hpp"

namespace ailab::jobs::slurm {

struct SubmitResult {
    std::string id;            // Slurm's job id; "" when not submitted
    bool unreachable = false;  // Slurm could not be reached: try again later (the job may exist!)
    std::string message;       // why not, in Slurm's words
};

class SlurmClient {
public:
    explicit SlurmClient(const SlurmSettings& settings) : settings_(settings) {}

    // sbatch --parsable <extra_args> script.
    // sbatch with the script text on its stdin.
    SubmitResult submit(std::string_view script) const;
    // Every job the controller still holds (any state), by id: squeue --json --states=all, or
    // `scontrol -o show job` when this Slurm has no JSON output. An error when Slurm cannot be
    // reached.
    core::Result<std::map<std::string, SlurmJob>> jobs() const;
    // The given jobs from the accounting database (sacct --json); an error when there is none.
    core::Result<std::map<std::string, SlurmJob>> accounted(const std::vector<std::string>& ids) const;
    // The partitions and their nodes' states (sinfo).
    core::Result<std::vector<Partition>> partitions() const;
    // scancel <id>: SIGTERM now, SIGKILL after the cluster's KillWait.
    core::Status cancel(const std::string& id) const;

private:
    const SlurmSettings& settings_;
    mutable bool json_missing_ = false;  // squeue has no --json here: scontrol from now on
    // squeue's answer, its buffer kept from poll to poll (with room for simdjson's padding).
    mutable CommandResult poll_answer_;
};

}  // namespace ailab::jobs::slurm
