#include "jobs/routes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <charconv>

#include "core/fd.hpp"
#include "core/strings.hpp"
#include "jobs/json.hpp"
#include "jobs/service.hpp"

namespace ailab::jobs {
namespace json = boost::json;
using net::Access;
using net::Execution;
using net::HttpError;
using net::Method;
using net::Request;
using net::Response;

namespace {

constexpr std::int64_t default_output_limit = std::int64_t{1} << 20;
constexpr std::int64_t max_output_limit = std::int64_t{16} << 20;

[[noreturn]] void fail(const core::Error& error) { throw HttpError(status_of(error), error.message); }

std::int64_t parse_number(const std::string& text, const char* what, std::int64_t low, std::int64_t high) {
    std::int64_t value = 0;
    auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size() || value < low || value > high)
        throw HttpError(400, std::string(what) + " must be a whole number from " + std::to_string(low) + " to " +
                                 std::to_string(high));
    return value;
}

JobId job_id(const Request& request) { return parse_number(request.params.at("id"), "the job id", 1, INT64_MAX); }

Response job_answer(int status, const Job& job, Detail detail = Detail::summary) {
    return Response::json_text(status, json::serialize(json::object{{"job", to_json(job, detail)}}));
}

JobFilter parse_filter(const Request& request) {
    JobFilter filter;
    const auto states = request.query_or("state", "");
    for (const auto name : core::split(states, ',', core::EmptyParts::skip)) {
        auto state = parse_state(name);
        if (!state)
            throw HttpError(
                400, "state must be queued, running, done, failed or cancelled, not \"" + std::string(name) + "\"");
        filter.states.push_back(*state);
    }
    filter.user = request.query_or("user", "");
    filter.text = request.query_or("q", "");
    filter.limit = static_cast<int>(parse_number(request.query_or("limit", "100"), "limit", 1, 1000));
    if (auto before = request.query.find("before"); before != request.query.end() && !before->second.empty())
        filter.before = parse_number(before->second, "before", 1, INT64_MAX);
    return filter;
}

Response list_jobs(JobService& service, Request& request) {
    auto list = service.list(parse_filter(request));
    if (!list) fail(list.error());
    json::array jobs;
    for (const auto& job : list->jobs) jobs.push_back(to_json(job));
    json::object counts;
    for (auto state : {JobState::queued, JobState::running, JobState::done, JobState::failed, JobState::cancelled}) {
        auto found = list->counts.find(state);
        counts[state_name(state)] = found == list->counts.end() ? 0 : found->second;
    }
    const auto cluster = service.cluster();
    return Response::json_text(200, json::serialize(json::object{
                                        {"jobs", std::move(jobs)},
                                        {"next_before", list->next_before ? json::value(*list->next_before) : nullptr},
                                        {"counts", std::move(counts)},
                                        {"gpus", to_json(service.lanes())},
                                        {"executor", service.settings().slurm ? "slurm" : "local"},
                                        {"cluster", cluster ? json::value(to_json(*cluster)) : json::value(nullptr)}}));
}

// Raw bytes of output.log from offset; the total size in X-AILab-Output-Size.
Response job_output(JobService& service, Request& request) {
    const auto id = job_id(request);
    auto job = service.get(id);
    if (!job) fail(job.error());
    if (!*job) throw HttpError(404, "no job " + std::to_string(id));
    const auto offset = parse_number(request.query_or("offset", "0"), "offset", 0, INT64_MAX);
    const auto limit =
        parse_number(request.query_or("limit", std::to_string(default_output_limit)), "limit", 1, max_output_limit);
    std::string body;
    std::int64_t size = 0;
    core::OwnedFd fd(::open(service.output_file(id).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd) {
        struct stat info {};
        if (::fstat(fd.get(), &info) == 0 && S_ISREG(info.st_mode)) size = info.st_size;
    }
    if (offset > size) {
        auto answer = Response::error(416, "offset " + std::to_string(offset) + " is past the end of the output (" +
                                               std::to_string(size) + " bytes)");
        answer.set_header("X-AILab-Output-Size", std::to_string(size));
        return answer;
    }
    const auto wanted = std::min(limit, size - offset);
    body.resize(static_cast<std::size_t>(wanted));
    std::size_t got = 0;
    while (fd && got < body.size()) {
        const auto n = ::pread(fd.get(), body.data() + got, body.size() - got, offset + static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    body.resize(got);
    auto answer = Response::text(200, std::move(body), "application/octet-stream");
    answer.set_header("X-AILab-Output-Size", std::to_string(size));
    return answer;
}

}  // namespace

void register_job_routes(net::Router& router, JobService& service) {
    router.add(
        Method::post, "/api/v1/jobs", Access::token_required,
        [&service](Request& request) {
            auto parsed = parse_submit(request.body);
            if (!parsed) fail(parsed.error());
            auto job = service.submit(std::move(*parsed), request.user);
            if (!job) fail(job.error());
            return job_answer(201, *job);
        },
        Execution::worker);
    router.add(
        Method::post, "/api/v1/jobs/batch", Access::token_required,
        [&service](Request& request) {
            auto parsed = parse_submit_batch(request.body);
            if (!parsed) fail(parsed.error());
            auto jobs = service.submit_all(std::move(*parsed), request.user);
            if (!jobs) fail(jobs.error());
            json::array list;
            list.reserve(jobs->size());
            for (const auto& job : *jobs) list.push_back(to_json(job));
            return Response::json_text(201, json::serialize(json::object{{"jobs", std::move(list)}}));
        },
        Execution::worker);
    router.add(
        Method::get, "/api/v1/jobs", Access::token_required,
        [&service](Request& request) { return list_jobs(service, request); }, Execution::worker);
    router.add(
        Method::get, "/api/v1/jobs/{id}", Access::token_required,
        [&service](Request& request) {
            const auto id = job_id(request);
            auto job = service.get(id);
            if (!job) fail(job.error());
            if (!*job) throw HttpError(404, "no job " + std::to_string(id));
            return job_answer(200, **job, Detail::full);
        },
        Execution::worker);
    router.add(
        Method::get, "/api/v1/jobs/{id}/output", Access::token_required,
        [&service](Request& request) { return job_output(service, request); }, Execution::worker);
    router.add(
        Method::post, "/api/v1/jobs/{id}/cancel", Access::token_required,
        [&service](Request& request) {
            auto job = service.cancel(job_id(request), request.user);
            if (!job) fail(job.error());
            return job_answer(200, *job);
        },
        Execution::worker);
    router.add(
        Method::post, "/api/v1/jobs/{id}/restart", Access::token_required,
        [&service](Request& request) {
            auto job = service.restart(job_id(request), request.user);
            if (!job) fail(job.error());
            return job_answer(201, *job);
        },
        Execution::worker);
}

}  // namespace ailab::jobs
