#pragma once
// The terminals of one server: the registry (create, list, find, close; max_terminals, owners and
// admins), and one thread that reads every pty through epoll, reaps the programs through their
// pidfds, culls idle terminals and sends SIGKILL after the grace of a close. No I/O thread ever
// blocks on a pty: readers are this thread, writers write non-blocking input.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "terminals/settings.hpp"
#include "terminals/terminal.hpp"

namespace ailab::files {
class Roots;
}

namespace ailab::terminals {

struct OpenRequest {
    std::string user;
    std::optional<std::string> root;     // "project:<name>", "run:<id>", "job:<id>"; none: HOME
    std::optional<std::string> command;  // none: the login shell
    int cols = 80;
    int rows = 24;
    std::string path;  // a folder beneath the root ("" = the root itself), confined to it
};

class TerminalHost {
public:
    // roots may be null (then only terminals without a root can be opened); it must outlive the host.
    TerminalHost(Settings settings, const files::Roots* roots);
    ~TerminalHost();  // stop()
    TerminalHost(const TerminalHost&) = delete;
    TerminalHost& operator=(const TerminalHost&) = delete;

    void start();
    // Hangs every terminal up, SIGKILLs what still runs after a second, reaps all, joins.
    void stop();

    // Errors: invalid_argument (400: a bad root text), no_such_file_or_directory (404: unknown
    // root or path; a path beneath no root), resource_unavailable_try_again (429: max_terminals),
    // function_not_supported (501: a root without the files feature), others (500: the pty or fork failed).
    core::Result<TerminalInfo> open(const OpenRequest& request);
    // The terminals `user` may see (all for an admin), oldest first.
    std::vector<TerminalInfo> list(const std::string& user) const;
    // The terminal, when it exists and `user` may see it.
    std::shared_ptr<Terminal> find(const std::string& id, const std::string& user) const;
    // Removes it from the list and hangs it up (SIGKILL after the grace); nullopt when unknown.
    std::optional<TerminalInfo> close(const std::string& id, const std::string& user);

    std::size_t count() const;  // terminals listed now

    // Reading the terminal's pty may go on (its clients caught up), or input waits to be written.
    void rearm(const std::shared_ptr<Terminal>& terminal);
    // rearm() as a callable that holds the host weakly: for WebSocket handlers, which may outlive
    // the feature by a moment at shutdown (then it does nothing).
    using Rearm = std::function<void(const std::shared_ptr<Terminal>&)>;
    Rearm rearmer() const;
    FlowControl::ClientId next_client_id();

    const Settings& settings() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace ailab::terminals
