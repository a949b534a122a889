#include "client/job_request.hpp"

#include <boost/json.hpp>
#include <filesystem>
#include <set>

#include "client/parsing.hpp"
#include "core/strings.hpp"

namespace ailab::client {
namespace {

std::string placeholder(const Sweep& sweep) { return "{" + sweep.name + "}"; }

// `text` with every {NAME} of `sweeps` replaced by the value `choice` picks for it.
std::string substitute(std::string text, const std::vector<Sweep>& sweeps, const std::vector<std::size_t>& choice) {
    for (std::size_t i = 0; i < sweeps.size(); ++i) {
        const auto key = placeholder(sweeps[i]);
        const auto& value = sweeps[i].values[choice[i]];
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
            text.replace(at, key.size(), value);
    }
    return text;
}

// Checks the sweeps of a request: each {NAME} appears somewhere, no name twice, not too many jobs.
core::Status check_sweeps(const JobRequest& request) {
    std::set<std::string> names;
    std::size_t jobs = 1;
    for (const auto& sweep : request.sweeps) {
        if (!names.insert(sweep.name).second)
            return core::Error::invalid("--sweep " + sweep.name + " is given twice: give its values once, " +
                                        sweep.name + "=A,B");
        const auto key = placeholder(sweep);
        bool used = request.name.find(key) != std::string::npos;
        for (const auto& arg : request.command) used = used || arg.find(key) != std::string::npos;
        for (const auto& [name, value] : request.env) used = used || value.find(key) != std::string::npos;
        if (!used)
            return core::Error::invalid("--sweep " + sweep.name + ": " + key +
                                        " is in neither the command nor an --env value nor --name, so every job "
                                        "would be the same (write " +
                                        key + " where the value goes)");
        jobs *= sweep.values.size();
        if (jobs > max_sweep_jobs)
            return core::Error::invalid("the sweeps make more than " + std::to_string(max_sweep_jobs) +
                                        " jobs (the most one submit takes)");
    }
    return {};
}

}  // namespace

core::Result<Sweep> parse_sweep(std::string_view text) {
    const auto equals = text.find('=');
    if (equals == std::string_view::npos)
        return core::Error::invalid("bad --sweep \"" + std::string(text) + "\": it must be NAME=V1,V2,…");
    Sweep sweep{std::string(text.substr(0, equals)), {}};
    if (!core::is_variable_name(sweep.name))
        return core::Error::invalid("bad --sweep name \"" + sweep.name +
                                    "\": letters, digits and '_', not starting with a digit");
    const auto values = text.substr(equals + 1);
    if (values.empty()) return core::Error::invalid("--sweep " + sweep.name + " has no values: " + sweep.name + "=A,B");
    std::set<std::string_view> seen;
    for (const auto value : core::split(values, ',')) {
        if (value.empty())
            return core::Error::invalid("--sweep " + sweep.name + " has an empty value in \"" + std::string(values) +
                                        "\"");
        if (!seen.insert(value).second)
            return core::Error::invalid("--sweep " + sweep.name + " has the value \"" + std::string(value) +
                                        "\" twice");
        sweep.values.emplace_back(value);
    }
    return sweep;
}

std::vector<JobRequest> expand_sweeps(const JobRequest& request) {
    if (request.sweeps.empty()) return {request};
    std::vector<JobRequest> jobs;
    std::vector<std::size_t> choice(request.sweeps.size(), 0);
    for (;;) {
        JobRequest job = request;
        job.sweeps.clear();
        for (auto& arg : job.command) arg = substitute(std::move(arg), request.sweeps, choice);
        for (auto& [name, value] : job.env) value = substitute(std::move(value), request.sweeps, choice);
        // The name shows the combination: in --name's own placeholders, or after it.
        std::string combination;
        bool shown = !request.name.empty();
        for (std::size_t i = 0; i < request.sweeps.size(); ++i) {
            combination += " " + request.sweeps[i].name + "=" + request.sweeps[i].values[choice[i]];
            shown = shown && request.name.find(placeholder(request.sweeps[i])) != std::string::npos;
        }
        const auto base = request.name.empty() ? std::filesystem::path(request.command.front()).filename().string()
                                               : substitute(request.name, request.sweeps, choice);
        job.name = shown ? base : base + combination;
        jobs.push_back(std::move(job));
        // The next combination: the last sweep varies fastest.
        std::size_t i = request.sweeps.size();
        while (i > 0 && ++choice[i - 1] == request.sweeps[i - 1].values.size()) choice[--i] = 0;
        if (i == 0) break;
    }
    return jobs;
}

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
    for (const auto& text : options.sweep) {
        auto sweep = parse_sweep(text);
        if (!sweep) return sweep.error();
        request.sweeps.push_back(std::move(*sweep));
    }
    if (!request.sweeps.empty() && options.follow)
        return core::Error::invalid(
            "--follow follows one job and --sweep makes several: follow one with ailab logs -f ID");
    if (auto checked = check_sweeps(request); !checked) return checked.error();
    return request;
}

namespace {

boost::json::object job_request_object(const JobRequest& request) {
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
    return body;
}

}  // namespace

std::string job_request_json(const JobRequest& request) { return boost::json::serialize(job_request_object(request)); }

std::string job_batch_json(const std::vector<JobRequest>& requests) {
    boost::json::array jobs;
    jobs.reserve(requests.size());
    for (const auto& request : requests) jobs.emplace_back(job_request_object(request));
    return boost::json::serialize(boost::json::object{{"jobs", std::move(jobs)}});
}

}  // namespace ailab::client
