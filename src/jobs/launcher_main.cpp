// `ailab __launcher` (jobs/launcher.hpp): the process that forks job supervisors. Single-threaded.
//
// The double fork is vfork() then _Fork(): the intermediate child borrows the launcher's memory
// (no copy of its page tables, none to tear down at its exit) and only forks, reads /proc and
// _exit()s, as a vfork child may; the supervisor is the one real copy. _Fork() skips the atfork
// handlers, which is sound here: the launcher has one thread and holds no lock (malloc's, stdio's)
// when it forks, so the supervisor may use all of libc. On this VM a request costs ~0.5 ms this
// way against ~0.95 ms with two fork()s (bench/jobs_launch_bench.cpp).
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "jobs/job_folder.hpp"
#include "jobs/launcher.hpp"
#include "jobs/supervisor.hpp"

namespace ailab::jobs {
namespace {

constexpr int exit_eof = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

constexpr int request_fd = 0;
constexpr int reply_fd = 1;

// What the intermediate child tells the launcher: written before its _exit(), read after the
// launcher resumed. A MAP_SHARED page, so that no compiler assumption about a local across
// vfork() applies (and it would work with fork() as well).
struct Handoff {
    pid_t supervisor_pid = 0;
    std::uint64_t start_ticks = 0;
    int error_number = 0;  // fork's errno when supervisor_pid is 0
};

// The grandchild: puts itself in the state launch()'s posix_spawn gives `__supervise`, then is
// the supervisor. Never returns.
[[noreturn]] void become_supervisor(const char* job_folder, int null_fd, Handoff* handoff) {
    ::setsid();  // cannot fail: a fresh child leads no process group
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    // Some numbers (SIGKILL, SIGSTOP, glibc's own) answer EINVAL; they are default already.
    for (int signal_number = 1; signal_number < NSIG; ++signal_number)
        ::sigaction(signal_number, &default_action, nullptr);
    sigset_t no_signals;
    sigemptyset(&no_signals);
    ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    ::close_range(3, ~0U, 0);  // the launcher's socket is 0 and 1, replaced above
    ::munmap(handoff, sizeof(Handoff));
    ::prctl(PR_SET_NAME, "ailab-supervise", 0, 0, 0);
    ::_exit(supervise(job_folder));
}

// Forks the supervisor of job_folder as a grandchild and fills reply with the answer.
void start_supervisor(const char* job_folder, int null_fd, Handoff* handoff, char* reply, std::size_t reply_size) {
    *handoff = Handoff{};
    const pid_t child = ::vfork();  // resumes once the child _exit()ed
    if (child < 0) {
        std::snprintf(reply, reply_size, "error cannot fork: %s", std::strerror(errno));
        return;
    }
    if (child == 0) {
        // The intermediate child: forks the supervisor and exits, so that the supervisor's parent
        // becomes init (or a subreaper), never the launcher. Its start ticks are read here, where
        // it cannot have been reaped yet: its parent is this process, alive until the read.
        const pid_t supervisor = ::_Fork();
        if (supervisor == 0) become_supervisor(job_folder, null_fd, handoff);
        if (supervisor < 0) {
            handoff->error_number = errno;
            ::_exit(1);
        }
        handoff->start_ticks = folder::read_start_ticks(supervisor).value_or(0);
        handoff->supervisor_pid = supervisor;
        ::_exit(0);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (handoff->supervisor_pid <= 0) {
        const int error_number = handoff->error_number != 0 ? handoff->error_number : ECHILD;
        std::snprintf(reply, reply_size, "error cannot fork the supervisor: %s", std::strerror(error_number));
    } else if (handoff->start_ticks == 0) {
        std::snprintf(reply, reply_size, "error cannot read the start time of supervisor %d",
                      static_cast<int>(handoff->supervisor_pid));
    } else {
        std::snprintf(reply, reply_size, "ok %d %llu", static_cast<int>(handoff->supervisor_pid),
                      static_cast<unsigned long long>(handoff->start_ticks));
    }
}

bool is_seqpacket_socket(int fd) {
    int type = 0;
    socklen_t length = sizeof type;
    return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_SEQPACKET;
}

}  // namespace

int launcher_main(int argc, char** /*argv*/) {
    if (argc != 2 || !is_seqpacket_socket(request_fd) || !is_seqpacket_socket(reply_fd)) {
        std::fputs("ailab __launcher is started by the server, with a SOCK_SEQPACKET socket on stdin and stdout\n",
                   stderr);
        return exit_usage;
    }
    // The server's ^C or hang-up is for the server, which then closes the socket; a closed socket
    // is an error of send(), not a signal. SIGCHLD stays default, so the children can be waited.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGCHLD, SIG_DFL);

    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    void* page = ::mmap(nullptr, sizeof(Handoff), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (null_fd < 0 || page == MAP_FAILED) {
        std::fprintf(stderr, "ailab __launcher: cannot set up: %s\n", std::strerror(errno));
        return exit_failed;
    }
    auto* handoff = static_cast<Handoff*>(page);

    char request[launcher_max_path + 2];
    char reply[512];
    for (;;) {
        // MSG_TRUNC: the packet's whole length, so an overlong one is refused, not cut.
        const ssize_t length = ::recv(request_fd, request, sizeof request - 1, MSG_TRUNC);
        if (length == 0) return exit_eof;  // the server closed its end (an empty request reads the same)
        if (length < 0) {
            if (errno == EINTR) continue;
            return exit_failed;
        }
        const auto size = static_cast<std::size_t>(length);
        if (size > launcher_max_path || std::memchr(request, '\0', size) != nullptr || request[0] != '/') {
            std::snprintf(reply, sizeof reply, "error the request is not an absolute path of at most %zu bytes",
                          launcher_max_path);
        } else {
            request[size] = '\0';
            start_supervisor(request, null_fd, handoff, reply, sizeof reply);
        }
        ssize_t sent;
        do sent = ::send(reply_fd, reply, std::strlen(reply), MSG_NOSIGNAL);
        while (sent < 0 && errno == EINTR);
        if (sent < 0) return exit_failed;
    }
}

}  // namespace ailab::jobs
