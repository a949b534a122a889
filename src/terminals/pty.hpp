#pragma once
// Starting a program on a new pty: posix_openpt (CLOEXEC, so no other fork of the server inherits
// it), fork, setsid + TIOCSCTTY, the slave on 0/1/2, every other descriptor closed (close_range),
// signal dispositions and mask reset, fchdir into the folder, execve with a fresh environment.
// Thread-safe (the child runs only async-signal-safe calls before execve).

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/fd.hpp"

namespace ailab::terminals {

// The server's user as the password database has it (getpwuid_r of the effective uid).
struct LoginIdentity {
    std::string user;
    std::string home;
    std::string shell;  // /bin/sh when the entry has none
};
core::Result<LoginIdentity> server_identity();

// TERM=xterm-256color, COLORTERM, HOME, USER, LOGNAME, SHELL from identity; PATH and LANG from the
// server's environment, else /usr/local/bin:/usr/bin:/bin and C.UTF-8. Nothing else.
std::vector<std::string> terminal_environment(const LoginIdentity& identity);

struct SpawnRequest {
    std::string program;                   // absolute path given to execve
    std::vector<std::string> argv;         // argv[0] included ("-bash" for a login shell)
    std::vector<std::string> environment;  // "NAME=value"
    int folder_fd = -1;                    // the working folder (a descriptor, entered with fchdir)
    int cols = 80;
    int rows = 24;
};

struct PtyProcess {
    core::OwnedFd master;  // O_NONBLOCK | O_CLOEXEC
    core::OwnedFd pidfd;   // readable when the process ended; waitid(P_PIDFD) reaps it
    pid_t pid = -1;        // also its process group and session id
};

// Errors: the pty, fork or pidfd_open failing (errno). An execve failure shows in the child: it
// prints the reason on the pty and exits with 127.
core::Result<PtyProcess> spawn_on_pty(const SpawnRequest& request);

// TIOCSWINSZ on the master; the kernel sends SIGWINCH to the foreground group when it changed.
void set_window_size(int master, int cols, int rows);

}  // namespace ailab::terminals
