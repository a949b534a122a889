#pragma once
// A launcher "zygote" that starts job supervisors without exec: `ailab __launcher`, started once by
// the server, forks a supervisor for each request instead of the server posix_spawning
// `ailab __supervise` (whose ~5 ms is mostly the dynamic loader: 13 shared libraries). The
// supervisor it forks is the same code (jobs/supervisor.hpp's supervise()) in the same state as
// after launch()'s posix_spawn (jobs/process.hpp): its own session, default signals, an empty
// signal mask, /dev/null on 0-2 and no other descriptor.
//
// The protocol, on one AF_UNIX SOCK_SEQPACKET socket that is the launcher's stdin and stdout:
//   request  one packet: an absolute job folder path (no NUL, at most launcher_max_path bytes)
//   reply    one packet: "ok <supervisor pid> <start ticks>" (start ticks: /proc/<pid>/stat field
//            22) or "error <text>"
// The launcher answers requests one at a time, in order. It exits 0 when its socket reaches EOF
// (the server stopped or died), so it never outlives the server; it ignores SIGINT and SIGHUP
// (a ^C in the server's terminal stops the server, which then closes the socket). Each supervisor
// is a grandchild: the launcher forks a child that forks the supervisor and exits at once, so the
// supervisor is reparented to init (or the nearest subreaper) and outlives the launcher.
//
// Differences from a posix_spawned supervisor: it inherits the environment, working folder,
// umask and limits the server had when it started the launcher (the supervisor reads what it
// needs from spec.json); its /proc/<pid>/cmdline reads `ailab __launcher` (comm is
// "ailab-supervise"); its parent is not the server, so the server never reaps it.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "jobs/job.hpp"

namespace ailab::jobs {

inline constexpr const char* launcher_argument = "__launcher";
inline constexpr std::size_t launcher_max_path = 4096;

// argv: {"ailab", "__launcher"}. Returns the process exit code: 0 at EOF, 1 when the socket fails,
// 2 when stdin is not a SOCK_SEQPACKET socket (run by hand).
int launcher_main(int argc, char** argv);

// The server's side: owns the launcher process and its socket. launch() may be called from any
// thread (a mutex serialises requests; each takes well under a millisecond).
class Launcher {
public:
    Launcher() = default;
    ~Launcher();  // stop()
    Launcher(const Launcher&) = delete;
    Launcher& operator=(const Launcher&) = delete;

    // Starts `<self> __launcher` (self: the ailab binary). An error leaves the Launcher usable:
    // launch() then tries to start it again, and else falls back to jobs::launch().
    core::Status start(const std::filesystem::path& self);

    // Starts the supervisor for a folder holding spec.json, like jobs::launch(self, job_folder)
    // (whose record it returns the same way). On any failure of the launcher (gone, killed, no
    // reply within reply_timeout, an error reply) it kills it, starts a new one and asks once
    // more; when that fails too it falls back to jobs::launch() and leaves the launcher off for
    // restart_pause. Asking twice is safe: a supervisor takes the folder's lock and refuses a job
    // that another one holds or already ran, and the server's collect() follows pid.json then.
    core::Result<ProcessRecord> launch(const std::filesystem::path& job_folder);

    // Closes the socket, so the launcher exits; waits for it (SIGKILL after a second). The
    // supervisors it started keep running. start() may be called again afterwards.
    void stop();

    // The launcher's pid, 0 when none runs (for tests and logs).
    pid_t pid() const;

    static constexpr std::chrono::milliseconds reply_timeout{2000};
    static constexpr std::chrono::seconds restart_pause{10};

private:
    enum class Stopping { graceful, kill };  // graceful: EOF, then SIGKILL after a second
    core::Status spawn_locked();
    void stop_locked(Stopping how);
    core::Result<ProcessRecord> ask_locked(const std::string& job_folder);

    mutable std::mutex mutex_;  // guards every member below
    std::filesystem::path self_;
    core::OwnedFd socket_;  // the server's end; the launcher runs while it is open
    core::OwnedFd pidfd_;   // the launcher's, to wait for it with a timeout
    pid_t pid_ = 0;
    std::chrono::steady_clock::time_point paused_until_{};
};

}  // namespace ailab::jobs
