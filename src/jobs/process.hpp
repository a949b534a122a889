#pragma once
// Starting, finding again, cancelling and watching a job's supervisor (jobs/supervisor.hpp).
//
// A job's folder (queue/jobs/<id>/) holds:
//   spec.json      what to run, written by the server before launch (JobSpec)
//   lock           flock(LOCK_EX) held by the supervisor for its whole life
//   pid.json       {"supervisor_pid","supervisor_start_ticks","job_pid","started_at"}, written
//                  (tmp + rename) by the supervisor before the command is started (job_pid 0), and
//                  again with job_pid right after
//   output.log     the command's stdout and stderr, appended directly by the command
//   status.json    {"exit_code","signal","reason":"exited|signaled|cancelled|time_limit|start_failed",
//                  "message","ended_at"}, written (tmp + fsync + rename) by the supervisor last
//   work/          the job's working folder (the snapshot copy, or empty)
//
// The supervisor is started with posix_spawn as `<ailab binary> __supervise <folder>` in a new
// session, so it survives the server (kill -9 included). Whether it still runs is told by the lock,
// not by pids: a supervisor that holds the lock is alive; a free lock with status.json means it
// ended; a free lock without pid.json means it never started the command (safe to start again);
// a free lock with pid.json and no status.json means it died with the command's fate unknown.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "jobs/job.hpp"

namespace ailab::jobs {

struct JobSpec {
    std::vector<std::string> argv;             // argv[0] searched in PATH of `env`
    std::vector<std::string> env;              // "K=V", the whole environment
    std::filesystem::path working_folder;      // absolute
    std::optional<std::int64_t> time_limit_s;  // SIGTERM then SIGKILL when reached
    std::int64_t cancel_grace_s = 10;          // SIGTERM -> SIGKILL delay (cancel, time limit)
};

// Atomic (tmp + rename), not fsynced: the store is the durable record of a job (jobs/process.cpp).
core::Status write_spec(const std::filesystem::path& job_folder, const JobSpec& spec);
core::Result<JobSpec> read_spec(const std::filesystem::path& job_folder);

enum class EndReason { exited, signaled, cancelled, time_limit, start_failed };
std::string_view end_reason_name(EndReason reason);

struct ExitRecord {
    std::optional<int> exit_code;  // set when the command exited
    std::optional<int> signal;     // set when a signal ended it
    EndReason reason = EndReason::exited;
    std::string message;  // for start_failed: "cannot run python: No such file or directory"
    double ended_at = 0;
};

core::Status write_exit(const std::filesystem::path& job_folder, const ExitRecord& record);  // atomic
core::Result<std::optional<ExitRecord>> read_exit(const std::filesystem::path& job_folder);

// Starts the supervisor for a folder holding spec.json. Returns once the supervisor process exists
// (not waiting for the command). `self` is the ailab binary (/proc/self/exe resolved at start-up).
core::Result<ProcessRecord> launch(const std::filesystem::path& self, const std::filesystem::path& job_folder);

enum class Liveness {
    running,        // the supervisor holds the lock
    ended,          // status.json is there
    never_started,  // no pid.json: the command never ran
    vanished,       // pid.json but no status.json and no supervisor
};
Liveness probe(const std::filesystem::path& job_folder);
// pid.json's record, when written.
core::Result<std::optional<ProcessRecord>> read_process(const std::filesystem::path& job_folder);

// Asks the supervisor to cancel: it sends SIGTERM to the command's process group, then SIGKILL
// after the grace period, and records reason cancelled. Checks the start ticks first, so a reused
// pid is never signalled. Ok when the supervisor is gone already.
core::Status request_cancel(const ProcessRecord& record);

// Calls on_exit(job) once the supervisor of a job ended (pidfd_open + poll on its own thread, one
// thread for all jobs). watch() works for supervisors this process did not start (re-adopted after
// a restart); for its own children it also reaps them. Callbacks run on the watcher's thread.
class ExitWatcher {
public:
    explicit ExitWatcher(std::function<void(JobId)> on_exit);
    ~ExitWatcher();  // stops the thread
    ExitWatcher(const ExitWatcher&) = delete;
    ExitWatcher& operator=(const ExitWatcher&) = delete;
    // Ok also when the process is already gone (on_exit is then called soon).
    core::Status watch(JobId job, const ProcessRecord& record);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ailab::jobs
