#pragma once
// Runs one of Slurm's commands (sbatch, squeue, sacct, scontrol, scancel, sinfo) as a child
// process and collects what it printed. Thread-safe: every call is its own process.

#include <chrono>
#include <string>
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

// argv[0] is searched in PATH. stdin is /dev/null. An error only when the program cannot be run
// at all ("sbatch is not installed or not in PATH"); a failing run is a result with its exit code.
core::Result<CommandResult> run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace ailab::jobs::slurm
