#pragma once
// Two ways to run out of disk in a test, for the blob store and materialize:
//   - FileSizeLimit: RLIMIT_FSIZE with SIGXFSZ ignored, so a write past the limit fails with EFBIG
//     (works everywhere, as any user);
//   - in_tiny_tmpfs: a forked child that unshares its mount namespace and mounts a 64 KiB tmpfs,
//     so a write fails with ENOSPC as on a real full disk (needs CAP_SYS_ADMIN; skipped without).

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

namespace ailab::jobs::testing {

class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &previous_);
        previous_handler_ = ::signal(SIGXFSZ, SIG_IGN);
        rlimit limit = previous_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &previous_);
        ::signal(SIGXFSZ, previous_handler_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
    rlimit previous_{};
    sighandler_t previous_handler_ = SIG_DFL;
};

// Runs `body(mount)` in a child process where `mount` is a fresh 64 KiB tmpfs. Returns what body
// returned ("" for success, else what went wrong), or "skip: …" when no tmpfs could be mounted.
inline std::string in_tiny_tmpfs(const std::filesystem::path& mount_point,
                                 const std::function<std::string(const std::filesystem::path&)>& body) {
    std::filesystem::create_directories(mount_point);
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return "pipe failed";
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(pipe_fds[0]);
        std::string result;
        if (::unshare(CLONE_NEWNS) != 0) {
            result = "skip: cannot unshare the mount namespace";
        } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                   ::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k") != 0) {
            result = "skip: cannot mount a tmpfs";
        } else {
            result = body(mount_point);
        }
        (void)!::write(pipe_fds[1], result.data(), result.size());
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string result;
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) result.append(buffer, static_cast<std::size_t>(got));
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "the child crashed";
    return result;
}

}  // namespace ailab::jobs::testing
