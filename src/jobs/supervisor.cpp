// `ailab __supervise <job folder>` (jobs/supervisor.hpp). Single-threaded, so the fork below is safe
// to follow with ordinary code in the child until exec.
//
// Exit codes: 0 the command ran (or could not start) and status.json is written; 1 the folder or
// status.json could not be written; 2 bad arguments; 3 refused: another supervisor holds the lock,
// or the command already ran (pid.json or status.json is there), so a job never runs twice.
//
// The time limit counts from the command's start; a time_limit_s of 0 or less means none (the API
// refuses such values before they get here). A command that could not start (working folder, exec,
// pid.json) gets reason start_failed, no exit_code and the message; its output.log says the same.
#include "jobs/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

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

extern char** environ;

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

// Everything the child needs, prepared before fork.
struct Command {
    std::vector<std::string> storage_argv;
    std::vector<std::string> storage_env;
    std::vector<char*> argv;
    std::vector<char*> envp;
    std::string working_folder;

    explicit Command(JobSpec spec)
        : storage_argv(std::move(spec.argv)),
          storage_env(std::move(spec.env)),
          working_folder(spec.working_folder.string()) {
        for (auto& argument : storage_argv) argv.push_back(argument.data());
        argv.push_back(nullptr);
        for (auto& entry : storage_env) envp.push_back(entry.data());
        envp.push_back(nullptr);
    }
};

// The child between fork and exec: its own session, signals as a fresh process has them, stdin from
// /dev/null, stdout and stderr to output.log, in the working folder, no other descriptor. All of that
// is invisible outside, so it is done while the supervisor writes pid.json; exec waits for the
// supervisor's go (pid.json written). On a failure it writes the message to output.log and to
// failure_fd, and exits 127.
[[noreturn]] void run_command(Command& command, int output_fd, int go_fd, int failure_fd) {
    ::setsid();
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) ::sigaction(signal_number, &action, nullptr);

    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0 && null_fd != 0) ::dup2(null_fd, 0);
    ::dup2(output_fd, 1);
    ::dup2(output_fd, 2);
    // Our own descriptors are O_CLOEXEC; this covers any that a manual caller passed down.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

    std::string failure;
    if (::chdir(command.working_folder.c_str()) != 0) {
        failure = "cannot enter " + command.working_folder + ": " + std::strerror(errno);
    } else {
        char go = 0;
        ssize_t got;
        do got = ::read(go_fd, &go, 1);
        while (got < 0 && errno == EINTR);
        if (got != 1) ::_exit(126);  // the supervisor could not write pid.json, or died
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        environ = command.envp.data();  // execvpe searches the PATH of the job's environment
        ::execvpe(command.argv[0], command.argv.data(), command.envp.data());
        failure = std::string("cannot run ") + command.argv[0] + ": " + std::strerror(errno);
    }
    write_text(1, "ailab: " + failure + "\n");
    write_text(failure_fd, failure);
    ::_exit(127);
}

// Signals the command's process group; before the child's setsid() the group does not exist yet,
// and the child itself is signalled (the signal stays pending until it unblocks signals).
void signal_command(pid_t child, int signal_number) {
    if (::kill(-child, signal_number) != 0 && errno == ESRCH) ::kill(child, signal_number);
}

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
    const auto grace = std::chrono::seconds(spec.cancel_grace_s);
    auto limit_at = never;
    if (spec.time_limit_s && *spec.time_limit_s > 0) limit_at = Clock::now() + std::chrono::seconds(*spec.time_limit_s);
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
    const std::filesystem::path job_folder = argv[2];

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

    int go_pipe[2];
    int failure_pipe[2];
    if (::pipe2(go_pipe, O_CLOEXEC) != 0)
        return start_failed(job_folder, output.get(), std::string("cannot create a pipe: ") + std::strerror(errno));
    core::OwnedFd go_read(go_pipe[0]);
    core::OwnedFd go_write(go_pipe[1]);
    if (::pipe2(failure_pipe, O_CLOEXEC) != 0)
        return start_failed(job_folder, output.get(), std::string("cannot create a pipe: ") + std::strerror(errno));
    core::OwnedFd failure_read(failure_pipe[0]);
    core::OwnedFd failure_write(failure_pipe[1]);

    const auto start_ticks = folder::read_start_ticks(0);
    Command command(*spec);
    const pid_t child = ::fork();
    if (child < 0) return start_failed(job_folder, output.get(), std::string("cannot fork: ") + std::strerror(errno));
    if (child == 0) run_command(command, output.get(), go_read.get(), failure_write.get());
    go_read.reset();
    failure_write.reset();

    // pid.json before the command runs: without it, the command surely never ran.
    const auto written = folder::write_pid_file(
        job_folder, {static_cast<std::int32_t>(::getpid()), start_ticks.value_or(0), child, folder::now_seconds()});
    if (written) write_text(go_write.get(), "g");
    go_write.reset();  // without the go byte, the child exits without running anything
    const Ending ending = wait_for(child, *spec, signals);
    // Whatever the command left in its group (background children) ends with it.
    ::kill(-child, SIGKILL);

    if (!written) return start_failed(job_folder, output.get(), "cannot write pid.json: " + written.error().message);
    char failure[1024];
    ssize_t failure_length;
    do failure_length = ::read(failure_read.get(), failure, sizeof failure);
    while (failure_length < 0 && errno == EINTR);
    if (failure_length > 0) {
        ExitRecord record;
        record.reason = EndReason::start_failed;
        record.message.assign(failure, static_cast<std::size_t>(failure_length));
        return finish(job_folder, output.get(), std::move(record));
    }

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
