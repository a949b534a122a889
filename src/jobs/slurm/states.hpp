#pragma once
// What Slurm says of its jobs, read from `squeue --json`, `sacct --json` or `scontrol -o show job`
// (for a Slurm without the JSON plugins), and how Slurm's states map onto AI Lab's. Pure parsing.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "jobs/job.hpp"

namespace ailab::jobs::slurm {

struct SlurmJob {
    std::string id;       // "123"
    std::string state;    // "PENDING", "RUNNING", "COMPLETED", ...
    std::string reason;   // "Resources", "Priority", "None", ...
    std::string nodes;    // "node[01-02]"
    std::string comment;  // our marker (batch.hpp)
    std::optional<int> exit_code;
    std::optional<int> signal;
    double start_time = 0;  // seconds since the epoch; 0 unknown
    double end_time = 0;
};

// Errors name what was wrong ("squeue --json answered no \"jobs\" list"). Bytes that are not UTF-8
// (another user's job name) are read as '?': they never fail the whole answer.
core::Result<std::vector<SlurmJob>> parse_squeue_json(std::string_view text);
// The same as parse_squeue_json, reading `text` where it is: simdjson's padding goes into its spare
// capacity (a buffer kept from poll to poll reserves it once), so squeue's answer is not copied;
// bytes that are not UTF-8 are replaced in it.
core::Result<std::vector<SlurmJob>> parse_squeue_json_in_place(std::string& text);
core::Result<std::vector<SlurmJob>> parse_sacct_json(std::string_view text);
std::vector<SlurmJob> parse_scontrol_lines(std::string_view text);

// One partition as `sinfo -h -o '%P|%a|%D|%T|%G'` lists it: one line per (partition, node state).
struct Partition {
    std::string name;
    bool is_default = false;           // "debug*"
    std::string available;             // "up", "down", "drain", "inact"
    std::map<std::string, int> nodes;  // node state ("idle", "mixed", "allocated", "down"...) -> count
    int total_nodes = 0;
    std::string gres;  // "gpu:2" ("" for none)
};
std::vector<Partition> parse_sinfo_lines(std::string_view text);

// Where a Slurm job stands for AI Lab.
struct Outcome {
    JobState state = JobState::queued;
    std::string reason;  // queued: Slurm's reason; failed/cancelled: why, in words; else ""
};
// nullopt for a state this table does not know (kept as it was, and logged).
std::optional<Outcome> map_state(const SlurmJob& job);

}  // namespace ailab::jobs::slurm
