// `ailab submit`: sync the folder (or name a server-side project), queue the job, print its id;
// with --follow, stream its output until it ends.
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "client/actions.hpp"
#include "client/code_sync.hpp"
#include "client/http_client.hpp"
#include "client/job_request.hpp"
#include "client/parsing.hpp"
#include "client/session.hpp"

namespace ailab::client {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A sweep: every job in one POST /api/v1/jobs/batch (all stored, or none); the ids on stdout, one
// a line, in the order of expand_sweeps (their names on stderr).
int submit_sweep(HttpClient& client, const ServerAccess& access, const JobRequest& request) {
    constexpr std::string_view command = "submit";
    const auto jobs = expand_sweeps(request);
    auto reply = client.request(Method::post, "/api/v1/jobs/batch", job_batch_json(jobs));
    if (!reply) return report(command, reply.error());
    if (!reply->ok()) return report(command, reply_error(*reply, "the server refused the sweep", access));
    boost::system::error_code error;
    auto answer = boost::json::parse(reply->body, error);
    const boost::json::value* list = !error && answer.is_object() ? answer.as_object().if_contains("jobs") : nullptr;
    if (list == nullptr || !list->is_array() || list->as_array().size() != jobs.size())
        return report(command, core::Error::invalid("the server's answer does not list the sweep's jobs"));
    std::vector<std::int64_t> ids;
    for (const auto& job : list->as_array()) {
        const auto* id = job.is_object() ? job.as_object().if_contains("id") : nullptr;
        if (id == nullptr || !id->is_int64())
            return report(command, core::Error::invalid("the server's answer has no job id"));
        ids.push_back(id->as_int64());
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
        std::cout << ids[i] << "\n";
        std::cerr << "ailab: job " << ids[i] << ": " << jobs[i].name << "\n";
    }
    std::cout.flush();
    std::cerr << "ailab: " << ids.size() << (ids.size() == 1 ? " job" : " jobs") << " submitted (" << ids.front()
              << (ids.size() > 1 ? "–" + std::to_string(ids.back()) : std::string()) << "); output: ailab logs -f ID\n";
    return exit_ok;
}

}  // namespace

int run_submit(const SubmitOptions& options) {
    constexpr std::string_view command = "submit";
    const auto start = std::chrono::steady_clock::now();
    auto request = prepare_job_request(options);
    if (!request) return report(command, request.error(), exit_usage);
    std::filesystem::path folder;
    if (request->project.empty()) {
        std::error_code error;
        folder =
            options.dir.empty() ? std::filesystem::current_path(error) : std::filesystem::absolute(options.dir, error);
        if (error || !std::filesystem::is_directory(folder, error))
            return report(command, core::Error::invalid("--dir " + options.dir + " is not a folder"), exit_usage);
    }
    auto access = resolve_server(options.server);
    if (!access) return report(command, access.error());
    HttpClient client(*access);

    if (request->project.empty()) {
        SyncOptions sync_options;
        sync_options.progress = [](std::string_view line) { std::cerr << "ailab: " << line << "\n"; };
        auto synced = sync_folder(client, folder, sync_options);
        if (!synced) return report(command, synced.error());
        request->snapshot = synced->snapshot;
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.2f", seconds_since(start));
        std::cerr << "ailab: synced " << synced->files << " files (" << format_bytes(synced->bytes) << "), uploaded "
                  << synced->uploaded_files << " (" << format_bytes(synced->uploaded_bytes) << ")"
                  << (synced->git ? ", with the git state" : "") << " in " << seconds << " s\n";
    }
    if (!request->sweeps.empty()) return submit_sweep(client, *access, *request);
    auto reply = client.request(Method::post, "/api/v1/jobs", job_request_json(*request));
    if (!reply) return report(command, reply.error());
    if (!reply->ok()) return report(command, reply_error(*reply, "the server refused the job", *access));
    boost::system::error_code error;
    auto answer = boost::json::parse(reply->body, error);
    const boost::json::value* job = !error && answer.is_object() ? answer.as_object().if_contains("job") : nullptr;
    const boost::json::value* id = job != nullptr && job->is_object() ? job->as_object().if_contains("id") : nullptr;
    if (id == nullptr || !id->is_int64())
        return report(command, core::Error::invalid("the server's answer has no job id"));
    const auto job_id = id->as_int64();
    std::cout << job_id << std::endl;
    std::string state;
    if (const auto* value = job->as_object().if_contains("state"); value && value->is_string())
        state = std::string(value->as_string());
    std::string why;
    if (const auto* value = job->as_object().if_contains("reason"); value && value->is_string())
        why = std::string(value->as_string());
    std::cerr << "ailab: job " << job_id << " " << (state.empty() ? "submitted" : state)
              << (why.empty() ? "" : ": " + why)
              << (options.follow ? "" : "; output: ailab logs -f " + std::to_string(job_id)) << "\n";
    if (!options.follow) return exit_ok;
    return follow_job(*access, job_id);
}

}  // namespace ailab::client
