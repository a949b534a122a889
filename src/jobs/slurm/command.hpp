#pragma once
// Runs one of Slurm's commands (sbatch, squeue, sacct, scontrol, scancel, sinfo) as a child
// process and collects what it printed. Thread-safe: every call is its own process.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace ailab::jobs::slurm {

struct CommandResult {
    int exit_code = -1;      // the program's exit code; -1 when killed (timeout) or by a signal
    std::string out;         // stdout, cut at max_output_bytes
    std::string err;         // stderr, cut at max_output_bytes
    bool timed_out = false;  // killed after the timeout
    // stderr's text trimmed, else stdout's, else "exit code N": what to show a user.
    std::string message() const;
};

inline constexpr std::size_t max_output_bytes = std::size_t{64} << 20;

// argv[0] is searched in PATH. stdin is `input` (sbatch's script), or /dev/null when it is empty.
// An error only when the program cannot be run at all ("sbatch is not installed or not in PATH");
// a failing run is a result with its exit code.
core::Result<CommandResult> run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                        std::string_view input = {});
// The same into `result`, whose strings keep their capacity from an earlier call: a poll that reads
// megabytes every few seconds then neither grows a buffer nor faults its pages in again.
core::Status run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, CommandResult& result,
                         std::string_view input = {});

}  // namespace ailab::jobs::slurm
