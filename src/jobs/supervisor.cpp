// `ailab __supervise <job folder>` (jobs/supervisor.hpp). Single-threaded.
//
// Exit codes: 0 the command ran (or could not start) and status.json is written; 1 the folder or
// status.json could not be written; 2 bad arguments; 3 refused: another supervisor holds the lock,
// or the command already ran (pid.json or status.json is there), so a job never runs twice.
//
// The time limit counts from the command's start; a time_limit_s of 0 or less means none (the API
// refuses such values before they get here). A command that could not start (spec.json, working
// folder, pid.json, exec) gets reason start_failed, no exit_code and the message; its output.log says
// the same. pid.json is written before the spawn, so "no pid.json" means the command never ran.
// argv[0] is searched as execvp does, in the job's PATH (/bin:/usr/bin without one), and an
// executable file without a #! line is run by /bin/sh, as execvp does.
#include "jobs/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/fd.hpp"
#include "jobs/job_folder.hpp"
#include "jobs/process.hpp"

namespace ailab::jobs {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_refused = 3;

using Clock = std::chrono::steady_clock;

void write_text(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t count = ::write(fd, text.data(), text.size());
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return;
        text.remove_prefix(static_cast<std::size_t>(count));
    }
}

// The lock for the supervisor's whole life. A probe() holds it for microseconds, so a busy lock is
// tried again a few times before giving up.
core::OwnedFd take_lock(const std::filesystem::path& job_folder) {
    core::OwnedFd lock(
        ::open((job_folder / folder::lock_file).c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!lock) return lock;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (::flock(lock.get(), LOCK_EX | LOCK_NB) == 0) return lock;
        if (errno != EWOULDBLOCK && errno != EINTR) break;
        if (errno == EWOULDBLOCK) ::usleep(2000);
    }
    return core::OwnedFd();
}

// The command as posix_spawnp wants it: argv and envp arrays pointing into the spec's strings.
struct Command {
    std::vector<std::string> storage_argv;
    std::vector<std::string> storage_env;
    std::vector<char*> argv;
    std::vector<char*> envp;

    explicit Command(JobSpec& spec) : storage_argv(std::move(spec.argv)), storage_env(std::move(spec.env)) {
        for (auto& argument : storage_argv) argv.push_back(argument.data());
        argv.push_back(nullptr);
        for (auto& entry : storage_env) envp.push_back(entry.data());
        envp.push_back(nullptr);
    }
};

// Where execvp would find name: itself when it holds a '/', else the first executable regular file
// of that name in the PATH of the environment (an empty entry is the working folder).
std::optional<std::string> find_in_path(const char* name) {
    if (std::strchr(name, '/') != nullptr) return std::string(name);
    const char* path = std::getenv("PATH");
    std::string_view entries = path != nullptr ? path : "/bin:/usr/bin";
    for (;;) {
        const auto colon = entries.find(':');
        const std::string_view entry = entries.substr(0, colon);
        std::string candidate = entry.empty() ? std::string(name) : std::string(entry) + "/" + name;
        struct stat status {};
        if (::stat(candidate.c_str(), &status) == 0 && S_ISREG(status.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return entry.empty() ? "./" + candidate : candidate;
        if (colon == std::string_view::npos) return std::nullopt;
        entries.remove_prefix(colon + 1);
    }
}

// Starts the command: its own session (so its own process group), signals as a fresh process has
// them, stdin from /dev/null, stdout and stderr to output.log, no descriptor beyond 0-2, in the
// supervisor's working folder (the job's). posix_spawnp (clone with CLONE_VM|CLONE_VFORK) returns
// once exec succeeded or with exec's error, and costs no copy of the supervisor's page tables, as a
// fork would. Returns the pid, or the error number.
core::Result<pid_t> spawn_command(Command& command, int output_fd) {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    if (int error = posix_spawnattr_init(&attributes); error != 0) return core::Error::from_errno(error, "");
    if (int error = posix_spawn_file_actions_init(&actions); error != 0) {
        posix_spawnattr_destroy(&attributes);
        return core::Error::from_errno(error, "");
    }
    sigset_t no_signals;
    sigset_t all_signals;
    sigemptyset(&no_signals);
    sigfillset(&all_signals);
    int error =
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (error == 0) error = posix_spawnattr_setsigmask(&attributes, &no_signals);
    if (error == 0) error = posix_spawnattr_setsigdefault(&attributes, &all_signals);
    if (error == 0) error = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (error == 0) error = posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
    if (error == 0) error = posix_spawn_file_actions_adddup2(&actions, output_fd, 2);
    if (error == 0) error = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t pid = 0;
    // posix_spawnp searches argv[0] in the PATH of the calling process's environment: the job's.
    if (error == 0) {
        environ = command.envp.data();
        error = posix_spawnp(&pid, command.argv[0], &actions, &attributes, command.argv.data(), command.envp.data());
    }
    // A script without #! is the shell's to run (execvp's rule, which posix_spawnp leaves out).
    if (error == ENOEXEC) {
        if (auto script = find_in_path(command.argv[0])) {
            std::vector<char*> shell_argv{const_cast<char*>("/bin/sh"), script->data()};
            shell_argv.insert(shell_argv.end(), command.argv.begin() + 1, command.argv.end());
            error = posix_spawn(&pid, "/bin/sh", &actions, &attributes, shell_argv.data(), command.envp.data());
        }
    }
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) return core::Error::from_errno(error, std::string("cannot run ") + command.argv[0]);
    return pid;
}

// Signals the command's process group (the command leads it: posix_spawn returned after its setsid).
void signal_command(pid_t child, int signal_number) { ::kill(-child, signal_number); }

std::string signal_text(int signal_number) {
    const char* name = ::sigabbrev_np(signal_number);
    return name ? std::string("SIG") + name : "signal " + std::to_string(signal_number);
}

int finish(const std::filesystem::path& job_folder, int output_fd, ExitRecord record) {
    record.ended_at = folder::now_seconds();
    if (auto written = write_exit(job_folder, record); !written) {
        write_text(output_fd, "ailab: cannot record the job's end: " + written.error().message + "\n");
        return exit_failed;
    }
    return exit_ok;
}

int start_failed(const std::filesystem::path& job_folder, int output_fd, std::string message) {
    if (output_fd >= 0) write_text(output_fd, "ailab: " + message + "\n");
    ExitRecord record;
    record.reason = EndReason::start_failed;
    record.message = std::move(message);
    return finish(job_folder, output_fd, std::move(record));
}

struct Ending {
    int wait_status = 0;
    std::optional<EndReason> forced;  // cancelled or time_limit, when the supervisor signalled
};

// Waits for the child, acting on cancel (SIGTERM) and the time limit. SIGCHLD and SIGTERM are blocked
// and taken with sigtimedwait, so nothing runs in a signal handler.
Ending wait_for(pid_t child, const JobSpec& spec, const sigset_t& signals) {
    constexpr auto never = Clock::time_point::max();
    Ending ending;
    // Capped at 100 years, so that adding them to the clock cannot overflow.
    constexpr std::int64_t longest_s = std::int64_t{100} * 365 * 24 * 3600;
    const auto grace = std::chrono::seconds(std::clamp<std::int64_t>(spec.cancel_grace_s, 0, longest_s));
    auto limit_at = never;
    if (spec.time_limit_s && *spec.time_limit_s > 0)
        limit_at = Clock::now() + std::chrono::seconds(std::min(*spec.time_limit_s, longest_s));
    auto kill_at = never;
    auto terminate = [&](EndReason reason) {
        if (ending.forced) return;
        ending.forced = reason;
        signal_command(child, SIGTERM);
        kill_at = Clock::now() + grace;
    };
    for (;;) {
        pid_t reaped;
        do reaped = ::waitpid(child, &ending.wait_status, WNOHANG);
        while (reaped < 0 && errno == EINTR);
        if (reaped == child || (reaped < 0 && errno == ECHILD)) return ending;

        const auto next = std::min(ending.forced ? never : limit_at, kill_at);
        int signal_number;
        siginfo_t info{};
        if (next != never) {
            const auto left = std::max(Clock::duration::zero(), next - Clock::now());
            const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
            const timespec timeout{static_cast<time_t>(seconds.count()),
                                   static_cast<long>(std::chrono::nanoseconds(left - seconds).count())};
            signal_number = ::sigtimedwait(&signals, &info, &timeout);
        } else {
            signal_number = ::sigwaitinfo(&signals, &info);
        }
        if (signal_number == SIGTERM) terminate(EndReason::cancelled);
        const auto now = Clock::now();
        if (now >= limit_at) terminate(EndReason::time_limit);
        if (now >= kill_at) {
            signal_command(child, SIGKILL);
            kill_at = never;
        }
    }
}

}  // namespace

int supervise_main(int argc, char** argv) {
    if (argc != 3) {
        std::fputs("usage: ailab __supervise <job folder>\n", stderr);
        return exit_usage;
    }
    return supervise(argv[2]);
}

int supervise(const std::filesystem::path& job_folder_argument) {
    // Absolute, since the supervisor changes into the working folder before starting the command.
    std::error_code absolute_error;
    const std::filesystem::path job_folder = std::filesystem::absolute(job_folder_argument, absolute_error);
    if (absolute_error) {
        std::fprintf(stderr, "ailab: %s: %s\n", job_folder_argument.c_str(), absolute_error.message().c_str());
        return exit_usage;
    }

    // The supervisor outlives the terminal and the server: hang-ups, ^C and closed pipes are not for
    // it. SIGCHLD must not be ignored (children would not be waitable). SIGTERM and SIGCHLD are
    // taken by sigtimedwait only.
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGCHLD, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGCHLD);
    sigaddset(&signals, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &signals, nullptr);

    const core::OwnedFd lock = take_lock(job_folder);
    if (!lock) {
        std::fprintf(stderr, "ailab: %s: another supervisor holds the lock, or it cannot be opened: %s\n",
                     job_folder.c_str(), std::strerror(errno));
        return exit_refused;
    }
    if (folder::file_exists(job_folder, folder::pid_file) || folder::file_exists(job_folder, folder::status_file)) {
        std::fprintf(stderr, "ailab: %s: the job already ran\n", job_folder.c_str());
        return exit_refused;
    }

    const core::OwnedFd output(::open((job_folder / folder::output_file).c_str(),
                                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!output) {
        const int error_number = errno;
        return start_failed(job_folder, -1, std::string("cannot open output.log: ") + std::strerror(error_number));
    }
    auto spec = read_spec(job_folder);
    if (!spec) return start_failed(job_folder, output.get(), "cannot read spec.json: " + spec.error().message);

    // The supervisor works in the job's folder from here on, and the command inherits it.
    if (::chdir(spec->working_folder.c_str()) != 0) {
        const int error_number = errno;
        return start_failed(job_folder, output.get(),
                            "cannot enter " + spec->working_folder.string() + ": " + std::strerror(error_number));
    }

    // pid.json before the command runs: without it, the command surely never ran. job_pid is filled
    // in right after the spawn (0 until then).
    folder::PidFile pid_file{static_cast<std::int32_t>(::getpid()), folder::read_start_ticks(0).value_or(0), 0,
                             folder::now_seconds()};
    if (auto written = folder::write_pid_file(job_folder, pid_file); !written)
        return start_failed(job_folder, output.get(), "cannot write pid.json: " + written.error().message);
    Command command(*spec);
    const auto child = spawn_command(command, output.get());
    if (!child) return start_failed(job_folder, output.get(), child.error().message);
    pid_file.job_pid = *child;
    [[maybe_unused]] const auto rewritten = folder::write_pid_file(job_folder, pid_file);

    const Ending ending = wait_for(*child, *spec, signals);
    // Whatever the command left in its group (background children) ends with it.
    ::kill(-*child, SIGKILL);

    ExitRecord record;
    if (WIFEXITED(ending.wait_status)) {
        record.exit_code = WEXITSTATUS(ending.wait_status);
        record.reason = EndReason::exited;
    } else if (WIFSIGNALED(ending.wait_status)) {
        record.signal = WTERMSIG(ending.wait_status);
        record.reason = EndReason::signaled;
        record.message = "killed by " + signal_text(*record.signal);
    }
    if (ending.forced == EndReason::cancelled) {
        record.reason = EndReason::cancelled;
        record.message = "cancelled";
    } else if (ending.forced == EndReason::time_limit) {
        record.reason = EndReason::time_limit;
        record.message = "time limit of " + std::to_string(*spec->time_limit_s) + " s reached";
    }
    return finish(job_folder, output.get(), std::move(record));
}

}  // namespace ailab::jobs
