#include "jobs/slurm/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

#include "core/fd.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere else

namespace ailab::jobs::slurm {
namespace {

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return "";
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

struct Pipe {
    core::OwnedFd read;
    core::OwnedFd write;
};

core::Result<Pipe> make_pipe() {
    std::array<int, 2> ends{};
    if (::pipe2(ends.data(), O_CLOEXEC) != 0) return core::Error::from_errno(errno, "cannot create a pipe");
    return Pipe{core::OwnedFd(ends[0]), core::OwnedFd(ends[1])};
}

// write(2) to a pipe whose reader may be gone, without the SIGPIPE that would end the server (it
// does not ignore the signal; sockets avoid it with MSG_NOSIGNAL, pipes cannot): blocked for this
// thread around the write, and one it raised is taken off before the mask is restored.
ssize_t write_without_sigpipe(int fd, std::string_view data) {
    sigset_t pipe_only;
    ::sigemptyset(&pipe_only);
    ::sigaddset(&pipe_only, SIGPIPE);
    sigset_t pending;
    ::sigpending(&pending);
    const bool was_pending = ::sigismember(&pending, SIGPIPE) == 1;
    sigset_t old;
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    const auto written = ::write(fd, data.data(), data.size());
    const int saved = errno;
    if (written < 0 && saved == EPIPE && !was_pending) {
        const timespec zero{};
        while (::sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = saved;
    return written;
}

}  // namespace

std::string CommandResult::message() const {
    if (timed_out) return "timed out";
    auto text = trimmed(err);
    if (text.empty()) text = trimmed(out);
    if (text.empty()) text = "exit code " + std::to_string(exit_code);
    return text;
}

core::Result<CommandResult> run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                        std::string_view input) {
    CommandResult result;
    if (auto ran = run_command(argv, timeout, result, input); !ran) return ran.error();
    return result;
}

core::Status run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, CommandResult& result,
                         std::string_view input) {
    result.out.clear();
    result.err.clear();
    result.exit_code = -1;
    result.timed_out = false;
    if (argv.empty()) return core::Error::invalid("no command to run");
    auto out = make_pipe();
    if (!out) return out.error();
    auto err = make_pipe();
    if (!err) return err.error();
    std::optional<Pipe> in;
    if (!input.empty()) {
        auto made = make_pipe();
        if (!made) return made.error();
        in = std::move(*made);
        // Written as the child reads, beside its output: neither side waits on a full pipe.
        ::fcntl(in->write.get(), F_SETFL, ::fcntl(in->write.get(), F_GETFL) | O_NONBLOCK);
    }

    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    if (in)
        ::posix_spawn_file_actions_adddup2(&actions, in->read.get(), 0);
    else
        ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, out->write.get(), 1);
    ::posix_spawn_file_actions_adddup2(&actions, err->write.get(), 2);
    posix_spawnattr_t attributes;
    ::posix_spawnattr_init(&attributes);
    sigset_t defaults;
    ::sigemptyset(&defaults);
    ::sigaddset(&defaults, SIGPIPE);
    ::posix_spawnattr_setsigdefault(&attributes, &defaults);
    sigset_t none;
    ::sigemptyset(&none);
    ::posix_spawnattr_setsigmask(&attributes, &none);
    ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& argument : argv) args.push_back(const_cast<char*>(argument.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
    out->write.reset();
    err->write.reset();
    if (in) in->read.reset();
    if (spawned != 0) {
        if (spawned == ENOENT) return core::Error::from_errno(spawned, argv[0] + " is not installed or not in PATH");
        return core::Error::from_errno(spawned, "cannot run " + argv[0]);
    }

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<pollfd, 3> fds{pollfd{out->read.get(), POLLIN, 0}, pollfd{err->read.get(), POLLIN, 0},
                              pollfd{in ? in->write.get() : -1, POLLOUT, 0}};
    std::array<std::string*, 2> sinks{&result.out, &result.err};
    int open_ends = 2;
    std::array<char, 65536> buffer;  // NOLINT(cppcoreguidelines-pro-type-member-init): read() fills it
    while (open_ends > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) break;
        if (fds[2].fd >= 0 && fds[2].revents != 0) {
            const auto wrote = (fds[2].revents & POLLOUT) != 0 ? write_without_sigpipe(fds[2].fd, input) : -1;
            if (wrote > 0) input.remove_prefix(static_cast<std::size_t>(wrote));
            if ((wrote < 0 && errno != EAGAIN && errno != EINTR) || input.empty()) {
                in->write.reset();  // all written, or the child stopped reading (EPIPE): its end of file
                fds[2].fd = -1;
            }
        }
        for (std::size_t i = 0; i < sinks.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const auto got = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                fds[i].fd = -1;
                --open_ends;
                continue;
            }
            auto& sink = *sinks[i];
            if (sink.size() < max_output_bytes)
                sink.append(buffer.data(),
                            std::min<std::size_t>(static_cast<std::size_t>(got), max_output_bytes - sink.size()));
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return {};
}

}  // namespace ailab::jobs::slurm
