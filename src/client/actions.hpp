#pragma once
// The subcommands' bodies (command_line.cpp dispatches to them). Each prints what it has to say
// and answers the exit code (command_line.hpp).

#include <cstdint>
#include <string_view>

#include "client/command_line.hpp"
#include "client/server_access.hpp"
#include "core/error.hpp"

namespace ailab::client {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // the server or the job said no
inline constexpr int exit_usage = 2;
inline constexpr int exit_detached = 130;

int run_login(const LoginOptions& options);
int run_submit(const SubmitOptions& options);
int run_jobs(const JobsOptions& options);
int run_logs(const LogsOptions& options);
int run_cancel(const CancelOptions& options);
int run_restart(const RestartOptions& options);

// Streams a job's output from the start until it ends (its exit status), Ctrl-C (a detach: 130;
// a second Ctrl-C within 2 s asks whether to cancel it) or a failure (1).
int follow_job(const ServerAccess& access, std::int64_t job_id);

// Prints "ailab <command>: <message>" on stderr and answers `code`.
int report(std::string_view command, const core::Error& error, int code = exit_failure);

}  // namespace ailab::client
