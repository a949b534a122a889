#include "jobs/json.hpp"

#include <boost/json.hpp>
#include <set>

namespace ailab::jobs {
namespace json = boost::json;

namespace {

template <class T>
json::value optional_value(const std::optional<T>& value) {
    return value ? json::value(*value) : json::value(nullptr);
}

json::value text_or_null(const std::string& text) { return text.empty() ? json::value(nullptr) : json::value(text); }

core::Error bad(std::string message) { return core::Error::invalid(std::move(message)); }

}  // namespace

json::object to_json(const Job& job, Detail detail) {
    json::object out;
    out["id"] = job.id;
    out["name"] = job.name;
    out["user"] = job.user;
    out["state"] = state_name(job.state);
    if (job.state != JobState::queued || job.waiting_for == WaitReason::none)
        out["waiting_for"] = nullptr;
    else if (job.waiting_for == WaitReason::slurm && !job.slurm_reason.empty())
        out["waiting_for"] = "slurm: " + job.slurm_reason;  // Slurm's own reason ("Resources", ...)
    else
        out["waiting_for"] = wait_reason_name(job.waiting_for);
    out["reason"] = text_or_null(job.reason);
    json::array command;
    for (const auto& argument : job.command) command.emplace_back(argument);
    out["command"] = std::move(command);
    out["shell"] = text_or_null(job.shell);
    out["project"] = text_or_null(job.project);
    out["snapshot"] = text_or_null(job.snapshot);
    out["gpus_requested"] = job.gpus_requested;
    if (job.gpu_ids_requested.empty()) {
        out["gpu_ids_requested"] = nullptr;
    } else {
        out["gpu_ids_requested"] = json::value_from(job.gpu_ids_requested);
    }
    out["gpus"] = json::value_from(job.gpus);
    out["group"] = text_or_null(job.group);
    out["priority"] = job.priority;
    out["after"] = json::value_from(job.after);
    json::object env;
    for (const auto& [key, value] : job.env) env[key] = value;
    out["env"] = std::move(env);
    out["time_limit_s"] = optional_value(job.time_limit_s);
    out["exit_code"] = optional_value(job.exit_code);
    out["signal"] = optional_value(job.signal);
    out["submitted_at"] = job.submitted_at;
    out["started_at"] = optional_value(job.started_at);
    out["ended_at"] = optional_value(job.ended_at);
    out["output_bytes"] = job.output_bytes;
    out["restarted_from"] = optional_value(job.restarted_from);
    out["gpu_check"] = job.nvml_checked ? "nvml" : "bookkeeping";
    out["executor"] = job.executor.empty() ? "local" : job.executor;
    out["slurm_job_id"] = text_or_null(job.slurm_id);
    out["nodes"] = text_or_null(job.nodes);
    if (job.sync) {
        out["sync"] = json::object{{"files", job.sync->files},
                                   {"uploaded_files", job.sync->uploaded_files},
                                   {"uploaded_bytes", job.sync->uploaded_bytes}};
    } else {
        out["sync"] = nullptr;
    }
    if (job.git) {
        json::object git{{"commit", job.git->commit},
                         {"branch", job.git->branch},
                         {"dirty", job.git->dirty},
                         {"diff_bytes", job.git->diff.size()}};
        if (detail == Detail::full) git["diff"] = job.git->diff;
        out["git"] = std::move(git);
    } else {
        out["git"] = nullptr;
    }
    return out;
}

json::object to_json(const ClusterState& cluster) {
    json::array partitions;
    for (const auto& partition : cluster.partitions) {
        json::object nodes;
        for (const auto& [state, count] : partition.nodes) nodes[state] = count;
        partitions.push_back(json::object{{"name", partition.name},
                                          {"default", partition.is_default},
                                          {"available", partition.available},
                                          {"nodes", std::move(nodes)},
                                          {"total_nodes", partition.total_nodes},
                                          {"gres", text_or_null(partition.gres)}});
    }
    return {{"partitions", std::move(partitions)},
            {"error", text_or_null(cluster.error)},
            {"updated_at", cluster.updated_at > 0 ? json::value(cluster.updated_at) : json::value(nullptr)}};
}

json::array to_json(const std::vector<GpuLane>& lanes) {
    json::array out;
    for (const auto& lane : lanes) {
        json::array foreign;
        for (const auto& process : lane.foreign) {
            foreign.push_back(json::object{{"pid", process.pid},
                                           {"user", process.user},
                                           {"command", process.command},
                                           {"memory_bytes", optional_value(process.memory_bytes)}});
        }
        out.push_back(json::object{{"id", lane.id},
                                   {"job", optional_value(lane.job)},
                                   {"held_for", optional_value(lane.held_for)},
                                   {"foreign", std::move(foreign)},
                                   {"memory_used_bytes", optional_value(lane.memory_used_bytes)},
                                   {"free", lane.free}});
    }
    return out;
}

std::string job_event(std::string_view type, const Job& job) {
    return json::serialize(json::object{{"type", type}, {"job", to_json(job)}});
}

std::string lanes_event(const std::vector<GpuLane>& lanes) {
    return json::serialize(json::object{{"type", "jobs.gpus"}, {"gpus", to_json(lanes)}});
}

namespace {

core::Result<SubmitRequest> parse_submit_object(const json::object& object) {
    static const std::set<std::string_view> known = {"command",  "shell", "name",    "project",
                                                     "snapshot", "gpus",  "gpu_ids", "group",
                                                     "priority", "after", "env",     "time_limit_s"};
    for (const auto& [key, unused] : object)
        if (!known.contains(key)) return bad("unknown field \"" + std::string(key) + "\"");

    SubmitRequest request;
    auto text = [&](std::string_view key, std::string& into) -> core::Status {
        const auto* value = object.if_contains(key);
        if (!value || value->is_null()) return {};
        if (!value->is_string()) return bad("\"" + std::string(key) + "\" must be a string");
        into = std::string(value->as_string());
        if (into.find('\0') != std::string::npos) return bad("\"" + std::string(key) + "\" holds a NUL character");
        return {};
    };
    auto integer = [&](std::string_view key, std::int64_t low,
                       std::int64_t high) -> core::Result<std::optional<std::int64_t>> {
        const auto* value = object.if_contains(key);
        if (!value || value->is_null()) return std::optional<std::int64_t>{};
        if (!value->is_int64() && !value->is_uint64()) return bad("\"" + std::string(key) + "\" must be an integer");
        const auto number = value->is_int64() ? value->as_int64() : static_cast<std::int64_t>(value->as_uint64());
        if (value->is_uint64() && value->as_uint64() > static_cast<std::uint64_t>(high))
            return bad("\"" + std::string(key) + "\" is too large");
        if (number < low || number > high)
            return bad("\"" + std::string(key) + "\" must be from " + std::to_string(low) + " to " +
                       std::to_string(high));
        return std::optional<std::int64_t>(number);
    };

    if (const auto* command = object.if_contains("command"); command && !command->is_null()) {
        if (!command->is_array()) return bad("\"command\" must be a list of strings (argv)");
        for (const auto& argument : command->as_array()) {
            if (!argument.is_string()) return bad("\"command\" must hold strings only");
            std::string word(argument.as_string());
            if (word.find('\0') != std::string::npos) return bad("\"command\" holds a NUL character");
            request.command.push_back(std::move(word));
        }
    }
    if (auto status = text("shell", request.shell); !status) return status.error();
    if (auto status = text("name", request.name); !status) return status.error();
    if (auto status = text("project", request.project); !status) return status.error();
    if (auto status = text("snapshot", request.snapshot); !status) return status.error();
    if (auto status = text("group", request.group); !status) return status.error();
    auto gpus = integer("gpus", 0, 1024);
    if (!gpus) return gpus.error();
    if (*gpus) request.gpus = static_cast<int>(**gpus);
    auto priority = integer("priority", -1000, 1000);
    if (!priority) return priority.error();
    request.priority = static_cast<int>(priority->value_or(0));
    auto limit = integer("time_limit_s", 1, 366LL * 24 * 3600);
    if (!limit) return limit.error();
    request.time_limit_s = *limit;
    if (const auto* ids = object.if_contains("gpu_ids"); ids && !ids->is_null()) {
        if (!ids->is_array()) return bad("\"gpu_ids\" must be a list of GPU ids");
        for (const auto& id : ids->as_array()) {
            if (!id.is_int64() || id.as_int64() < 0 || id.as_int64() > 1024)
                return bad("\"gpu_ids\" must hold GPU ids (0, 1, ...)");
            request.gpu_ids.push_back(static_cast<int>(id.as_int64()));
        }
    }
    if (const auto* after = object.if_contains("after"); after && !after->is_null()) {
        if (!after->is_array()) return bad("\"after\" must be a list of job ids");
        for (const auto& id : after->as_array()) {
            if (!id.is_int64() || id.as_int64() <= 0) return bad("\"after\" must hold job ids (positive integers)");
            request.after.push_back(id.as_int64());
        }
    }
    if (const auto* env = object.if_contains("env"); env && !env->is_null()) {
        if (!env->is_object()) return bad("\"env\" must be an object of NAME: value");
        for (const auto& [key, value] : env->as_object()) {
            if (!value.is_string()) return bad("env \"" + std::string(key) + "\" must be a string");
            request.env[std::string(key)] = std::string(value.as_string());
        }
    }
    return request;
}

}  // namespace

core::Result<SubmitRequest> parse_submit(std::string_view body) {
    boost::system::error_code error;
    auto document = json::parse(body, error);
    if (error || !document.is_object()) return bad("the body must be a JSON object describing the job");
    return parse_submit_object(document.as_object());
}

core::Result<std::vector<SubmitRequest>> parse_submit_batch(std::string_view body) {
    boost::system::error_code error;
    auto document = json::parse(body, error);
    const auto* object = error ? nullptr : document.if_object();
    const auto* jobs = object != nullptr ? object->if_contains("jobs") : nullptr;
    if (jobs == nullptr || !jobs->is_array())
        return bad("the body must be a JSON object with \"jobs\": a list of jobs, each as POST /api/v1/jobs takes");
    for (const auto& [key, unused] : *object)
        if (key != "jobs") return bad("unknown field \"" + std::string(key) + "\"");
    const auto& list = jobs->as_array();
    if (list.empty()) return bad("\"jobs\" is empty");
    if (list.size() > max_batch_jobs)
        return bad("\"jobs\" lists " + std::to_string(list.size()) + " jobs; one batch takes at most " +
                   std::to_string(max_batch_jobs));
    std::vector<SubmitRequest> requests;
    requests.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto* item = list[i].if_object();
        if (item == nullptr) return bad("jobs[" + std::to_string(i) + "] must be a JSON object describing a job");
        auto request = parse_submit_object(*item);
        if (!request) return core::Error::from(request.error(), "jobs[" + std::to_string(i) + "]");
        requests.push_back(std::move(*request));
    }
    return requests;
}

}  // namespace ailab::jobs
