// Launcher (jobs/launcher.hpp): the server's end of `ailab __launcher`.
#include "jobs/launcher.hpp"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

#include "jobs/process.hpp"

namespace ailab::jobs {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until fd is readable or the deadline passes; false on timeout or a poll error.
bool wait_readable(int fd, Clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd descriptor{fd, POLLIN, 0};
        const int ready = ::poll(&descriptor, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
        if (ready > 0) return true;
        if (ready == 0 || errno != EINTR) return false;
    }
}

// "ok <pid> <ticks>" -> the record; "error <text>" -> the text.
core::Result<ProcessRecord> parse_reply(std::string_view reply) {
    constexpr std::string_view ok = "ok ";
    constexpr std::string_view error = "error ";
    if (reply.starts_with(error))
        return core::Error::invalid("the launcher: " + std::string(reply.substr(error.size())));
    if (!reply.starts_with(ok)) return core::Error::invalid("the launcher's reply is garbled");
    reply.remove_prefix(ok.size());
    ProcessRecord record;
    const char* end = reply.data() + reply.size();
    auto parsed = std::from_chars(reply.data(), end, record.supervisor_pid);
    if (parsed.ec != std::errc() || parsed.ptr == end || *parsed.ptr != ' ')
        return core::Error::invalid("the launcher's reply is garbled");
    parsed = std::from_chars(parsed.ptr + 1, end, record.supervisor_start_ticks);
    if (parsed.ec != std::errc() || parsed.ptr != end || record.supervisor_pid <= 0)
        return core::Error::invalid("the launcher's reply is garbled");
    return record;
}

}  // namespace

Launcher::~Launcher() { stop(); }

core::Status Launcher::start(const std::filesystem::path& self) {
    std::lock_guard lock(mutex_);
    self_ = self;
    paused_until_ = {};
    if (pid_ > 0) return {};
    return spawn_locked();
}

void Launcher::stop() {
    std::lock_guard lock(mutex_);
    stop_locked(Stopping::graceful);
}

pid_t Launcher::pid() const {
    std::lock_guard lock(mutex_);
    return pid_;
}

// Like jobs::launch(): a fresh signal state and no descriptor of the server's but the socket (0, 1)
// and stderr (2, so that its complaints reach the server's log). It stays in the server's process
// group, so a signal to the group reaches it; it ignores ^C's SIGINT (launcher_main()).
core::Status Launcher::spawn_locked() {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0)
        return core::Error::from_errno(errno, "cannot create the launcher's socket");
    core::OwnedFd server_end(ends[0]);
    core::OwnedFd launcher_end(ends[1]);
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    if (int error = posix_spawnattr_init(&attributes); error != 0)
        return core::Error::from_errno(error, "cannot start the launcher");
    if (int error = posix_spawn_file_actions_init(&actions); error != 0) {
        posix_spawnattr_destroy(&attributes);
        return core::Error::from_errno(error, "cannot start the launcher");
    }
    sigset_t no_signals;
    sigset_t all_signals;
    sigemptyset(&no_signals);
    sigfillset(&all_signals);
    int error = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (error == 0) error = posix_spawnattr_setsigmask(&attributes, &no_signals);
    if (error == 0) error = posix_spawnattr_setsigdefault(&attributes, &all_signals);
    if (error == 0) error = posix_spawn_file_actions_adddup2(&actions, launcher_end.get(), 0);
    if (error == 0) error = posix_spawn_file_actions_adddup2(&actions, launcher_end.get(), 1);
    if (error == 0) error = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t pid = 0;
    if (error == 0) {
        const std::string program = self_.string();
        char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(launcher_argument), nullptr};
        error = posix_spawn(&pid, program.c_str(), &actions, &attributes, argv, environ);
    }
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) return core::Error::from_errno(error, "cannot start the launcher " + self_.string());
    socket_ = std::move(server_end);
    pid_ = pid;
    // Only to wait with a timeout in stop_locked(); signals go by pid, which cannot be reused
    // before this process reaps it.
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    return {};
}

void Launcher::stop_locked(Stopping how) {
    if (pid_ <= 0) return;
    socket_.reset();  // EOF: the launcher exits after the request in hand, if any
    if (how == Stopping::kill || !pidfd_ || !wait_readable(pidfd_.get(), Clock::now() + std::chrono::seconds(1)))
        ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pidfd_.reset();
    pid_ = 0;
}

core::Result<ProcessRecord> Launcher::ask_locked(const std::string& job_folder) {
    ssize_t sent;
    do sent = ::send(socket_.get(), job_folder.data(), job_folder.size(), MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) return core::Error::from_errno(errno, "cannot write to the launcher");
    if (!wait_readable(socket_.get(), Clock::now() + reply_timeout))
        return core::Error::invalid("the launcher did not answer");
    char reply[512];
    ssize_t length;
    do length = ::recv(socket_.get(), reply, sizeof reply, 0);
    while (length < 0 && errno == EINTR);
    if (length < 0) return core::Error::from_errno(errno, "cannot read from the launcher");
    if (length == 0) return core::Error::invalid("the launcher exited");
    return parse_reply(std::string_view(reply, static_cast<std::size_t>(length)));
}

core::Result<ProcessRecord> Launcher::launch(const std::filesystem::path& job_folder) {
    std::lock_guard lock(mutex_);
    if (self_.empty()) return core::Error::invalid("the launcher was never started");
    std::error_code absolute_error;
    const std::string folder = std::filesystem::absolute(job_folder, absolute_error).string();
    // What the launcher cannot take goes the old way, and so does everything while it is paused.
    if (absolute_error || folder.size() > launcher_max_path || folder.find('\0') != std::string::npos ||
        Clock::now() < paused_until_)
        return jobs::launch(self_, job_folder);
    std::string failure;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (pid_ <= 0) {
            if (auto started = spawn_locked(); !started) {
                failure = started.error().message;
                break;
            }
        }
        auto record = ask_locked(folder);
        if (record) return record;
        failure = record.error().message;
        stop_locked(Stopping::kill);
    }
    spdlog::warn("jobs: {}; supervisors start with posix_spawn for the next {} s", failure, restart_pause.count());
    paused_until_ = Clock::now() + restart_pause;
    return jobs::launch(self_, job_folder);
}

}  // namespace ailab::jobs
