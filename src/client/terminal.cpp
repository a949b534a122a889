#include "client/terminal.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "core/fd.hpp"

namespace ailab::client {
namespace {

// Reads up to a newline from fd, byte by byte (a terminal delivers a line at a time anyway).
std::optional<std::string> read_line(int fd) {
    std::string line;
    for (;;) {
        char c = 0;
        auto count = ::read(fd, &c, 1);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) {
            if (line.empty()) return std::nullopt;
            break;
        }
        if (c == '\n') break;
        line.push_back(c);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

}  // namespace

std::optional<std::string> ask_terminal(std::string_view prompt, Echo echo) {
    core::OwnedFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (!tty) return std::nullopt;
    if (::write(tty.get(), prompt.data(), prompt.size()) < 0) return std::nullopt;
    termios saved{};
    const bool quiet = echo == Echo::off && ::tcgetattr(tty.get(), &saved) == 0;
    if (quiet) {
        termios silent = saved;
        silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(tty.get(), TCSAFLUSH, &silent);
    }
    auto line = read_line(tty.get());
    if (quiet) {
        ::tcsetattr(tty.get(), TCSAFLUSH, &saved);
        if (::write(tty.get(), "\n", 1) < 0) {
        }
    }
    return line;
}

std::optional<std::string> read_stdin_line() { return read_line(STDIN_FILENO); }

}  // namespace ailab::client
