#pragma once
// The job host's own config keys (README.md, "Config"), read by the jobs feature; a Settings built
// in code uses these defaults.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "sync/manifest.hpp"

namespace ailab::core {
class ConfigReader;
}

namespace ailab::jobs {

// "executor": {"type":"slurm", ...}: jobs go to Slurm (jobs/slurm/). README.md "Slurm".
struct SlurmSettings {
    std::string partition;                 // --partition ("" : the cluster's default)
    std::string account;                   // --account
    std::string qos;                       // --qos
    std::vector<std::string> extra_args;   // more sbatch arguments, as given
    std::filesystem::path shared_dir;      // seen by every node: job folders (snapshot, output) live here
    std::chrono::milliseconds poll{5000};  // "slurm_poll_s" (1..3600, default 5): squeue at most this often
};

struct Settings {
    // From the core config: GPU ids the scheduler hands out (ascending, unique), and the folders.
    std::vector<int> gpus;
    std::filesystem::path queue;      // the store, blobs, job folders
    std::filesystem::path results;    // AILAB_RESULTS of every job
    std::filesystem::path workspace;  // auto-detected projects live here
    std::map<std::string, std::filesystem::path> projects;
    bool auto_detect_projects = false;

    // "job_groups": {"name": parallel limit (1..1000)}. Submitting to another group is refused.
    std::map<std::string, int, std::less<>> group_limits;
    // "gpu_busy_memory_mib" (0..1048576, default 1024): a GPU using this much memory or more is busy.
    std::uint64_t busy_memory_bytes = std::uint64_t{1024} << 20;
    // "cancel_grace_s" (0..3600, default 10): SIGTERM -> SIGKILL delay for cancel and time limits.
    std::int64_t cancel_grace_s = 10;
    // "admins": users who may cancel/restart anyone's jobs. Absent: every user (as the original).
    std::optional<std::set<std::string>> admins;
    // "sync_max_total_mib" (default 2048), "sync_max_files" (100000), "sync_max_file_mib" (256).
    sync::Limits limits;

    // "executor": "local" (nullopt, the default) or Slurm.
    std::optional<SlurmSettings> slurm;

    bool is_admin(const std::string& user) const { return !admins || admins->contains(user); }

    // Reads the keys above through reader (nullptr: defaults) and the core ones from config.
    // Throws core::ConfigError naming the key on a bad value.
    static Settings read(const core::Config& config, core::ConfigReader* reader);
};

}  // namespace ailab::jobs
