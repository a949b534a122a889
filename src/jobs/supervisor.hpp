#pragma once
// `ailab __supervise <job folder>`: the small supervisor of one job (see jobs/process.hpp for the
// folder's files). It takes the lock, starts the command in its own session and process group with
// stdout+stderr appended to output.log and stdin from /dev/null, in spec.working_folder, writes
// pid.json, then waits. SIGTERM to the supervisor means cancel: SIGTERM to the command's group,
// SIGKILL after cancel_grace_s. It enforces time_limit_s the same way. When the command ends it
// kills what is left of its process group, writes status.json atomically and exits 0. It touches
// nothing of the server's and ignores SIGHUP/SIGINT/SIGPIPE, so it outlives the server.
//
// Called from main() before any other set-up (no logging, no config), so a job starts fast.

#include <filesystem>

namespace ailab::jobs {

inline constexpr const char* supervise_argument = "__supervise";

// argv: {"ailab", "__supervise", folder}. Returns the process exit code.
int supervise_main(int argc, char** argv);

// The supervisor itself, for a process that is to become one (jobs/launcher.hpp's forked child):
// the caller has already set up what posix_spawn gives `__supervise` (its own session, default
// signal dispositions, an empty signal mask, /dev/null on 0-2 and no other descriptor). Changes
// the process's signal mask, dispositions, working folder and environ; returns the exit code, for
// the caller to _exit() with.
int supervise(const std::filesystem::path& job_folder);

}  // namespace ailab::jobs
