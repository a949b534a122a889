#include "client/command_line.hpp"

#include <CLI/CLI.hpp>

#include "client/actions.hpp"

namespace ailab::client {

CommandLine::CommandLine(CLI::App& cli) {
    auto server_option = [](CLI::App* command, std::string& server) {
        command->add_option("--server", server, "Server URL (default: the last one logged in to)");
    };

    login_command_ = cli.add_subcommand("login", "Log in to a server and keep its token in ~/.config/ailab");
    login_command_->add_option("url", login_.url, "Server URL, e.g. https://gpu1:12345")->required();
    login_command_->add_option("--user", login_.user, "User name (asked for when missing)");
    login_command_->add_flag("--password-stdin", login_.password_stdin, "Read the password from stdin (scripts)");
    auto* insecure =
        login_command_->add_flag("--insecure", login_.insecure, "Do not verify the server's TLS certificate");
    login_command_
        ->add_option("--fingerprint", login_.fingerprint,
                     "Pin the server's certificate: its SHA-256, as the server printed it at start")
        ->excludes(insecure);

    submit_command_ =
        cli.add_subcommand("submit", "Sync this folder and queue a job: ailab submit [options] -- COMMAND ARGS…");
    server_option(submit_command_, submit_.server);
    submit_command_->add_option("--name", submit_.name, "Job name");
    auto* gpus = submit_command_->add_option("--gpus", submit_.gpus, "Number of GPUs (0: a CPU job)");
    submit_command_->add_option("--gpu-ids", submit_.gpu_ids, "These GPUs, e.g. 0,2")->excludes(gpus);
    submit_command_->add_option("--group", submit_.group, "Job group (config job_groups)");
    submit_command_->add_option("--priority", submit_.priority, "Priority (higher first)");
    submit_command_->add_option("--after", submit_.after, "Start after this job succeeded (repeatable)")
        ->allow_extra_args(false);
    submit_command_->add_option("--env", submit_.env, "Environment variable K=V (repeatable)")->allow_extra_args(false);
    submit_command_->add_option("--time", submit_.time, "Time limit: 90, 90s, 30m, 2h, 1d, 1h30m");
    auto* project = submit_command_->add_option("--project", submit_.project, "Run a project that lives on the server");
    submit_command_->add_option("--dir", submit_.dir, "Sync this folder instead of the current one")->excludes(project);
    submit_command_->add_flag("--follow", submit_.follow, "Stream the output until the job ends");
    submit_command_
        ->add_option("--sweep", submit_.sweep,
                     "One job per value, NAME=V1,V2 (repeatable: one per combination); {NAME} in the command, "
                     "--env values and --name takes each value")
        ->allow_extra_args(false);
    submit_command_->add_option("command", submit_.command, "The command and its arguments")->required();
    // Everything from the first positional on is the job's command, options included.
    submit_command_->positionals_at_end();

    jobs_command_ = cli.add_subcommand("jobs", "List queued and running jobs");
    server_option(jobs_command_, jobs_.server);
    jobs_command_->add_flag("--all", jobs_.all, "Also the recent history");
    jobs_command_->add_flag("--json", jobs_.json, "Print the API's JSON");

    logs_command_ = cli.add_subcommand("logs", "Print a job's output");
    server_option(logs_command_, logs_.server);
    logs_command_->add_flag("-f,--follow", logs_.follow, "Follow the output until the job ends");
    logs_command_->add_option("id", logs_.id, "Job id")->required();

    cancel_command_ = cli.add_subcommand("cancel", "Cancel jobs");
    server_option(cancel_command_, cancel_.server);
    cancel_command_->add_option("ids", cancel_.ids, "Job ids")->required();

    restart_command_ = cli.add_subcommand("restart", "Queue a job again (same code, command and settings)");
    server_option(restart_command_, restart_.server);
    restart_command_->add_option("id", restart_.id, "Job id")->required();
}

ClientCommand CommandLine::chosen() const {
    if (login_command_->parsed()) return ClientCommand::login;
    if (submit_command_->parsed()) return ClientCommand::submit;
    if (jobs_command_->parsed()) return ClientCommand::jobs;
    if (logs_command_->parsed()) return ClientCommand::logs;
    if (cancel_command_->parsed()) return ClientCommand::cancel;
    if (restart_command_->parsed()) return ClientCommand::restart;
    return ClientCommand::none;
}

std::optional<int> CommandLine::run() {
    switch (chosen()) {
    case ClientCommand::login: return run_login(login_);
    case ClientCommand::submit: return run_submit(submit_);
    case ClientCommand::jobs: return run_jobs(jobs_);
    case ClientCommand::logs: return run_logs(logs_);
    case ClientCommand::cancel: return run_cancel(cancel_);
    case ClientCommand::restart: return run_restart(restart_);
    case ClientCommand::none: break;
    }
    return std::nullopt;
}

std::unique_ptr<CommandLine> add_commands(CLI::App& cli) { return std::make_unique<CommandLine>(cli); }

}  // namespace ailab::client
