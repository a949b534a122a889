// `ailab jobs`, `ailab logs [-f]`, `ailab cancel`, `ailab restart`, and following a job's output
// (shared with `submit --follow`).
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <iostream>

#include "client/actions.hpp"
#include "client/http_client.hpp"
#include "client/jobs_table.hpp"
#include "client/output_follow.hpp"
#include "client/parsing.hpp"
#include "client/session.hpp"
#include "client/terminal.hpp"

namespace ailab::client {
namespace {

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        auto count = ::write(fd, data.data(), data.size());
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(count));
    }
    return true;
}

std::optional<std::int64_t> job_id_of(const std::string& body) {
    boost::system::error_code error;
    auto answer = boost::json::parse(body, error);
    const auto* job = !error && answer.is_object() ? answer.as_object().if_contains("job") : nullptr;
    const auto* id = job != nullptr && job->is_object() ? job->as_object().if_contains("id") : nullptr;
    if (id == nullptr || !id->is_int64()) return std::nullopt;
    return id->as_int64();
}

core::Status cancel_job(HttpClient& client, std::int64_t id) {
    auto reply = client.request(Method::post, "/api/v1/jobs/" + std::to_string(id) + "/cancel", "{}");
    if (!reply) return reply.error();
    if (!reply->ok()) return reply_error(*reply, "cannot cancel job " + std::to_string(id), client.access());
    return {};
}

}  // namespace

int report(std::string_view command, const core::Error& error, int code) {
    std::cerr << "ailab " << command << ": " << error.message << "\n";
    return code;
}

int follow_job(const ServerAccess& access, std::int64_t job_id) {
    OutputFollower follower(access, job_id);
    auto outcome = follower.follow(0);
    const std::string id = std::to_string(job_id);
    switch (outcome.end) {
    case FollowEnd::ended: {
        const int status = exit_status_of(outcome.job);
        if (status != 0) {
            std::cerr << "ailab: job " << id << " " << outcome.job.state;
            if (outcome.job.exit_code) std::cerr << " (exit code " << *outcome.job.exit_code << ")";
            if (outcome.job.signal) std::cerr << " (signal " << *outcome.job.signal << ")";
            std::cerr << "\n";
        }
        return status;
    }
    case FollowEnd::failed:
        return report("logs", outcome.error.value_or(core::Error::invalid("the output stream failed")));
    case FollowEnd::detached: break;
    }
    std::cerr << "\nailab: detached from job " << id << "; it keeps running. Re-attach: ailab logs -f " << id
              << "\n      (Ctrl-C again within 2 s to cancel it)\n";
    if (!follower.interrupted_again_within(std::chrono::seconds(2))) return exit_detached;
    auto answer = ask_terminal("cancel job " + id + "? [y/N] ", Echo::on);
    if (!answer || answer->empty() || std::tolower(static_cast<unsigned char>(answer->front())) != 'y') {
        std::cerr << "ailab: job " << id << " keeps running\n";
        return exit_detached;
    }
    HttpClient client(access);
    if (auto cancelled = cancel_job(client, job_id); !cancelled) return report("cancel", cancelled.error());
    std::cerr << "ailab: cancelled job " << id << "\n";
    return exit_detached;
}

int run_jobs(const JobsOptions& options) {
    constexpr std::string_view command = "jobs";
    auto access = resolve_server(options.server);
    if (!access) return report(command, access.error());
    HttpClient client(*access);
    const std::string query = options.all ? "/api/v1/jobs?limit=100" : "/api/v1/jobs?state=queued,running&limit=1000";
    auto reply = client.request(Method::get, query);
    if (!reply) return report(command, reply.error());
    if (!reply->ok()) return report(command, reply_error(*reply, "cannot list the jobs", *access));
    if (options.json) {
        std::cout << reply->body << (reply->body.ends_with('\n') ? "" : "\n");
        return exit_ok;
    }
    auto rows = parse_job_rows(reply->body);
    if (!rows) return report(command, rows.error());
    if (rows->empty()) {
        std::cerr << (options.all ? "no jobs\n" : "no queued or running jobs (ailab jobs --all shows the history)\n");
        return exit_ok;
    }
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::cout << format_jobs_table(*rows, now);
    return exit_ok;
}

int run_logs(const LogsOptions& options) {
    constexpr std::string_view command = "logs";
    auto id = parse_job_id(options.id);
    if (!id) return report(command, id.error(), exit_usage);
    auto access = resolve_server(options.server);
    if (!access) return report(command, access.error());
    if (options.follow) return follow_job(*access, *id);
    HttpClient client(*access);
    std::int64_t offset = 0;
    constexpr std::int64_t chunk = std::int64_t{4} << 20;
    for (;;) {
        auto reply = client.request(Method::get, "/api/v1/jobs/" + std::to_string(*id) + "/output?offset=" +
                                                     std::to_string(offset) + "&limit=" + std::to_string(chunk));
        if (!reply) return report(command, reply.error());
        if (reply->status == 416) return exit_ok;  // the output shrank? nothing past what we have
        if (!reply->ok())
            return report(command, reply_error(*reply, "cannot read the output of job " + options.id, *access));
        if (!write_all(STDOUT_FILENO, reply->body))
            return report(command, core::Error::from_errno(errno, "cannot write the output"));
        offset += static_cast<std::int64_t>(reply->body.size());
        if (reply->body.empty() || !reply->output_size || offset >= *reply->output_size) return exit_ok;
    }
}

int run_cancel(const CancelOptions& options) {
    constexpr std::string_view command = "cancel";
    std::vector<std::int64_t> ids;
    for (const auto& text : options.ids) {
        auto id = parse_job_id(text);
        if (!id) return report(command, id.error(), exit_usage);
        ids.push_back(*id);
    }
    auto access = resolve_server(options.server);
    if (!access) return report(command, access.error());
    HttpClient client(*access);
    int code = exit_ok;
    for (auto id : ids) {
        if (auto cancelled = cancel_job(client, id); !cancelled) {
            code = report(command, cancelled.error());
            continue;
        }
        std::cerr << "ailab: cancelled job " << id << "\n";
    }
    return code;
}

int run_restart(const RestartOptions& options) {
    constexpr std::string_view command = "restart";
    auto id = parse_job_id(options.id);
    if (!id) return report(command, id.error(), exit_usage);
    auto access = resolve_server(options.server);
    if (!access) return report(command, access.error());
    HttpClient client(*access);
    auto reply = client.request(Method::post, "/api/v1/jobs/" + std::to_string(*id) + "/restart", "{}");
    if (!reply) return report(command, reply.error());
    if (!reply->ok()) return report(command, reply_error(*reply, "cannot restart job " + options.id, *access));
    auto new_id = job_id_of(reply->body);
    if (!new_id) return report(command, core::Error::invalid("the server's answer has no job id"));
    std::cout << *new_id << std::endl;
    std::cerr << "ailab: job " << options.id << " restarted as job " << *new_id << "\n";
    return exit_ok;
}

}  // namespace ailab::client
