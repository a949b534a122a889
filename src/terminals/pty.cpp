#include "terminals/pty.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace ailab::terminals {

core::Result<LoginIdentity> server_identity() {
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(std::size_t{16} * 1024);
    const int error = ::getpwuid_r(::geteuid(), &entry, buffer.data(), buffer.size(), &found);
    if (error != 0 || found == nullptr)
        return core::Error::from_errno(error != 0 ? error : ENOENT, "cannot find the server's user (getpwuid)");
    LoginIdentity identity;
    identity.user = entry.pw_name;
    // The server's own HOME when it has an absolute one (a service or a test may give the server
    // a home of its own), else the account's home directory.
    const char* server_home = std::getenv("HOME");
    identity.home = server_home != nullptr && server_home[0] == '/'      ? server_home
                    : entry.pw_dir != nullptr && entry.pw_dir[0] != '\0' ? entry.pw_dir
                                                                         : "/";
    identity.shell = entry.pw_shell != nullptr && entry.pw_shell[0] == '/' ? entry.pw_shell : "/bin/sh";
    return identity;
}

std::vector<std::string> terminal_environment(const LoginIdentity& identity) {
    const auto from_server = [](const char* name, const char* fallback) {
        const char* value = std::getenv(name);
        return std::string(name) + "=" + (value != nullptr && value[0] != '\0' ? value : fallback);
    };
    return {"TERM=xterm-256color",
            "COLORTERM=truecolor",
            "HOME=" + identity.home,
            "USER=" + identity.user,
            "LOGNAME=" + identity.user,
            "SHELL=" + identity.shell,
            from_server("PATH", "/usr/local/bin:/usr/bin:/bin"),
            from_server("LANG", "C.UTF-8")};
}

void set_window_size(int master, int cols, int rows) {
    winsize size{};
    size.ws_col = static_cast<unsigned short>(cols);
    size.ws_row = static_cast<unsigned short>(rows);
    ::ioctl(master, TIOCSWINSZ, &size);
}

namespace {

// In the child, after fork: async-signal-safe calls only.
[[noreturn]] void become_program(int slave, const SpawnRequest& request, char* const* argv, char* const* envp) {
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &default_action, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::setsid() < 0 || ::ioctl(slave, TIOCSCTTY, 0) < 0) ::_exit(126);
    for (int target = 0; target < 3; ++target)
        if (::dup2(slave, target) < 0) ::_exit(126);
    if (request.folder_fd >= 0 && ::fchdir(request.folder_fd) < 0) {
        constexpr char message[] = "ailab: cannot enter the terminal's folder\r\n";
        [[maybe_unused]] auto written = ::write(2, message, sizeof message - 1);
        ::_exit(126);
    }
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::execve(request.program.c_str(), argv, envp);
    constexpr char message[] = "ailab: cannot start ";
    [[maybe_unused]] auto written = ::write(2, message, sizeof message - 1);
    written = ::write(2, request.program.c_str(), std::strlen(request.program.c_str()));
    written = ::write(2, "\r\n", 2);
    ::_exit(127);
}

}  // namespace

core::Result<PtyProcess> spawn_on_pty(const SpawnRequest& request) {
    core::OwnedFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) return core::Error::from_errno(errno, "cannot open a pty");
    if (::grantpt(master.get()) < 0 || ::unlockpt(master.get()) < 0)
        return core::Error::from_errno(errno, "cannot unlock the pty");
    char name[128];
    if (::ptsname_r(master.get(), name, sizeof name) != 0) return core::Error::from_errno(errno, "cannot name the pty");
    core::OwnedFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) return core::Error::from_errno(errno, "cannot open the pty's terminal side");
    termios settings{};
    if (::tcgetattr(slave.get(), &settings) == 0) {
        settings.c_iflag |= IUTF8;
        ::tcsetattr(slave.get(), TCSANOW, &settings);
    }
    set_window_size(master.get(), request.cols, request.rows);

    // Built before the fork: the child may not allocate.
    std::vector<char*> argv;
    for (const auto& argument : request.argv) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& entry : request.environment) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0) return core::Error::from_errno(errno, "cannot fork the terminal's program");
    if (pid == 0) become_program(slave.get(), request, argv.data(), envp.data());

    PtyProcess process;
    process.pid = pid;
    process.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!process.pidfd) {
        const int error = errno;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return core::Error::from_errno(error, "cannot watch the terminal's program (pidfd_open)");
    }
    const int flags = ::fcntl(master.get(), F_GETFL);
    ::fcntl(master.get(), F_SETFL, flags | O_NONBLOCK);
    process.master = std::move(master);
    return process;
}

}  // namespace ailab::terminals
