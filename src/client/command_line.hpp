#pragma once
// The client's subcommands of `ailab`: login, submit, jobs, logs, cancel, restart (issue #9,
// "Submitting"). src/app/commands.cpp registers them with one call to add_commands and, after
// parsing, asks run() whether one of them was chosen.
//
// Exit codes: 0 fine, 1 a server or job error (the server's {"error"} text and status are
// printed), 2 bad usage. `submit --follow` and `logs -f` end with the job's exit status; a
// detach with Ctrl-C ends with 130.

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's own namespace
class App;
}

namespace ailab::client {

struct LoginOptions {
    std::string url;
    std::string user;
    bool password_stdin = false;
    bool insecure = false;
    std::string fingerprint;  // as typed; normalised by the command
};

struct SubmitOptions {
    std::string server;
    std::string name;
    std::optional<int> gpus;
    std::string gpu_ids;  // "0,2"
    std::string group;
    std::optional<int> priority;
    std::vector<std::string> after;  // job ids
    std::vector<std::string> env;    // K=V
    std::string time;                // "2h"
    std::string project;
    std::string dir;
    bool follow = false;
    std::vector<std::string> sweep;  // NAME=V1,V2
    std::vector<std::string> command;
};

struct JobsOptions {
    std::string server;
    bool all = false;
    bool json = false;
};

struct LogsOptions {
    std::string server;
    bool follow = false;
    std::string id;
};

struct CancelOptions {
    std::string server;
    std::vector<std::string> ids;
};

struct RestartOptions {
    std::string server;
    std::string id;
};

enum class ClientCommand { none, login, submit, jobs, logs, cancel, restart };

// Registers the subcommands on `cli` and holds the options CLI11 writes into while parsing, so
// it must stay in place (no copy, no move) until run() returned.
class CommandLine {
public:
    explicit CommandLine(CLI::App& cli);
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    // After parsing: which of the client's subcommands was chosen (none: not one of them).
    ClientCommand chosen() const;
    // Runs the chosen subcommand and answers its exit code; nothing when none was chosen.
    std::optional<int> run();

    // What parsing filled in (for tests).
    const LoginOptions& login() const { return login_; }
    const SubmitOptions& submit() const { return submit_; }
    const JobsOptions& jobs() const { return jobs_; }
    const LogsOptions& logs() const { return logs_; }
    const CancelOptions& cancel() const { return cancel_; }
    const RestartOptions& restart() const { return restart_; }

private:
    LoginOptions login_;
    SubmitOptions submit_;
    JobsOptions jobs_;
    LogsOptions logs_;
    CancelOptions cancel_;
    RestartOptions restart_;
    CLI::App* login_command_ = nullptr;
    CLI::App* submit_command_ = nullptr;
    CLI::App* jobs_command_ = nullptr;
    CLI::App* logs_command_ = nullptr;
    CLI::App* cancel_command_ = nullptr;
    CLI::App* restart_command_ = nullptr;
};

// The one call commands.cpp makes: `auto client_commands = client::add_commands(cli);`.
std::unique_ptr<CommandLine> add_commands(CLI::App& cli);

}  // namespace ailab::client
