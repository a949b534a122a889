#include "client/job_request.hpp"

#include <boost/json.hpp>

#include "client/parsing.hpp"

namespace ailab::client {

core::Result<JobRequest> prepare_job_request(const SubmitOptions& options) {
    JobRequest request;
    if (options.command.empty() || options.command.front().empty())
        return core::Error::invalid("no command: ailab submit [options] -- COMMAND ARGS…");
    request.command = options.command;
    if (options.gpus && !options.gpu_ids.empty())
        return core::Error::invalid("--gpus and --gpu-ids exclude each other");
    if (!options.project.empty() && !options.dir.empty())
        return core::Error::invalid("--project and --dir exclude each other");
    if (options.gpus && *options.gpus < 0) return core::Error::invalid("--gpus must be 0 (a CPU job) or more");
    request.gpus = options.gpus;
    if (!options.gpu_ids.empty()) {
        auto ids = parse_gpu_ids(options.gpu_ids);
        if (!ids) return ids.error();
        request.gpu_ids = std::move(*ids);
    }
    for (const auto& text : options.after) {
        auto id = parse_job_id(text);
        if (!id) return core::Error::invalid("--after: " + id.error().message);
        request.after.push_back(*id);
    }
    for (const auto& text : options.env) {
        auto assignment = parse_env_assignment(text);
        if (!assignment) return assignment.error();
        request.env[assignment->first] = assignment->second;
    }
    if (!options.time.empty()) {
        auto seconds = parse_duration_seconds(options.time);
        if (!seconds) return core::Error::invalid("--time: " + seconds.error().message);
        request.time_limit_s = *seconds;
    }
    request.name = options.name;
    request.project = options.project;
    request.group = options.group;
    request.priority = options.priority;
    return request;
}

std::string job_request_json(const JobRequest& request) {
    boost::json::object body;
    boost::json::array command;
    for (const auto& arg : request.command) command.emplace_back(arg);
    body["command"] = std::move(command);
    if (!request.name.empty()) body["name"] = request.name;
    if (!request.project.empty()) body["project"] = request.project;
    if (!request.snapshot.empty()) body["snapshot"] = request.snapshot;
    if (request.gpus) body["gpus"] = *request.gpus;
    if (!request.gpu_ids.empty()) {
        boost::json::array ids;
        for (int id : request.gpu_ids) ids.emplace_back(id);
        body["gpu_ids"] = std::move(ids);
    }
    if (!request.group.empty()) body["group"] = request.group;
    if (request.priority) body["priority"] = *request.priority;
    if (!request.after.empty()) {
        boost::json::array after;
        for (auto id : request.after) after.emplace_back(id);
        body["after"] = std::move(after);
    }
    if (!request.env.empty()) {
        boost::json::object env;
        for (const auto& [name, value] : request.env) env[name] = value;
        body["env"] = std::move(env);
    }
    if (request.time_limit_s) body["time_limit_s"] = *request.time_limit_s;
    return boost::json::serialize(body);
}

}  // namespace ailab::client
