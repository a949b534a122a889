#include "jobs/slurm/states.hpp"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstdlib>

namespace ailab::jobs::slurm {
namespace {

namespace json = boost::json;

std::string text_of(const json::value* value) {
    if (value == nullptr) return "";
    if (value->is_string()) return std::string(value->get_string());
    if (value->is_int64()) return std::to_string(value->get_int64());
    if (value->is_uint64()) return std::to_string(value->get_uint64());
    // Newer Slurm writes states as lists ("job_state": ["RUNNING"]) and numbers as
    // {"set": true, "number": 5}.
    if (value->is_array() && !value->get_array().empty()) return text_of(&value->get_array().front());
    if (value->is_object()) {
        const auto& object = value->get_object();
        if (const auto* number = object.if_contains("number")) return text_of(number);
        if (const auto* current = object.if_contains("current")) return text_of(current);
    }
    return "";
}

std::optional<double> number_of(const json::value* value) {
    if (value == nullptr) return std::nullopt;
    if (value->is_int64()) return static_cast<double>(value->get_int64());
    if (value->is_uint64()) return static_cast<double>(value->get_uint64());
    if (value->is_double()) return value->get_double();
    if (value->is_object()) {
        const auto& object = value->get_object();
        if (const auto* set = object.if_contains("set"); set != nullptr && set->is_bool() && !set->get_bool())
            return std::nullopt;
        return number_of(object.if_contains("number"));
    }
    return std::nullopt;
}

// Parses a --json answer of `command` and reads each job object that has a "job_id" through
// fill(object, job); the errors Slurm reports beside the list (a controller that cannot be
// reached answers with exit code 0, an "errors" entry and no jobs) become one error.
template <class Fill>
core::Result<std::vector<SlurmJob>> parse_jobs(std::string_view text, std::string_view command, Fill fill) {
    boost::system::error_code parse_error;
    const auto document = json::parse(text, parse_error);
    if (parse_error)
        return core::Error::invalid(std::string(command) + " answered what is not JSON: " + parse_error.message());
    const auto* object = document.if_object();
    if (const auto* errors = object != nullptr ? object->if_contains("errors") : nullptr;
        errors != nullptr && errors->is_array() && !errors->get_array().empty()) {
        std::string message;
        for (const auto& error : errors->get_array()) {
            const auto* entry = error.if_object();
            if (entry == nullptr) continue;
            auto part = text_of(entry->if_contains("description"));
            if (auto source = text_of(entry->if_contains("source")); !source.empty()) part += " (" + source + ")";
            if (!part.empty()) message += (message.empty() ? "" : "; ") + part;
        }
        return core::Error::invalid(std::string(command) + " failed: " + (message.empty() ? "unknown error" : message));
    }
    const auto* jobs = object != nullptr ? object->if_contains("jobs") : nullptr;
    if (jobs == nullptr || !jobs->is_array())
        return core::Error::invalid(std::string(command) + " answered no \"jobs\" list");
    std::vector<SlurmJob> out;
    out.reserve(jobs->get_array().size());
    for (const auto& item : jobs->get_array()) {
        const auto* job = item.if_object();
        if (job == nullptr) continue;
        SlurmJob found;
        found.id = text_of(job->if_contains("job_id"));
        if (found.id.empty()) continue;
        fill(*job, found);
        out.push_back(std::move(found));
    }
    return out;
}

bool state_is(std::string_view state, std::initializer_list<std::string_view> names) {
    return std::ranges::any_of(names, [state](std::string_view name) { return state == name; });
}

}  // namespace

core::Result<std::vector<SlurmJob>> parse_squeue_json(std::string_view text) {
    return parse_jobs(text, "squeue --json", [](const json::object& job, SlurmJob& found) {
        found.state = text_of(job.if_contains("job_state"));
        found.reason = text_of(job.if_contains("state_reason"));
        found.nodes = text_of(job.if_contains("nodes"));
        found.comment = text_of(job.if_contains("comment"));
        found.start_time = number_of(job.if_contains("start_time")).value_or(0);
        found.end_time = number_of(job.if_contains("end_time")).value_or(0);
        // A wait status: the exit code in the high byte, the signal in the low bits.
        if (auto status = number_of(job.if_contains("exit_code"))) {
            const int raw = static_cast<int>(*status);
            if ((raw & 0x7f) != 0)
                found.signal = raw & 0x7f;
            else
                found.exit_code = (raw >> 8) & 0xff;
        }
    });
}

core::Result<std::vector<SlurmJob>> parse_sacct_json(std::string_view text) {
    return parse_jobs(text, "sacct --json", [](const json::object& job, SlurmJob& found) {
        if (const auto* state = job.if_contains("state"); state != nullptr && state->is_object()) {
            found.state = text_of(state->get_object().if_contains("current"));
            found.reason = text_of(state->get_object().if_contains("reason"));
        }
        found.nodes = text_of(job.if_contains("nodes"));
        if (const auto* comment = job.if_contains("comment"); comment != nullptr && comment->is_object())
            found.comment = text_of(comment->get_object().if_contains("job"));
        else
            found.comment = text_of(comment);
        if (const auto* time = job.if_contains("time"); time != nullptr && time->is_object()) {
            found.start_time = number_of(time->get_object().if_contains("start")).value_or(0);
            found.end_time = number_of(time->get_object().if_contains("end")).value_or(0);
        }
        if (const auto* exit = job.if_contains("exit_code"); exit != nullptr && exit->is_object()) {
            const auto& object = exit->get_object();
            const auto* signal = object.if_contains("signal");
            const auto signal_id = signal != nullptr && signal->is_object()
                                       ? number_of(signal->get_object().if_contains("signal_id"))
                                       : std::nullopt;
            if (signal_id && *signal_id > 0)
                found.signal = static_cast<int>(*signal_id);
            else if (auto code = number_of(object.if_contains("return_code")))
                found.exit_code = static_cast<int>(*code);
        }
    });
}

std::vector<SlurmJob> parse_scontrol_lines(std::string_view text) {
    std::vector<SlurmJob> out;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        SlurmJob found;
        while (!line.empty()) {
            const auto space = line.find(' ');
            const auto token = line.substr(0, space);
            line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
            const auto equals = token.find('=');
            if (equals == std::string_view::npos) continue;
            const auto key = token.substr(0, equals);
            const auto value = std::string(token.substr(equals + 1));
            if (key == "JobId")
                found.id = value;
            else if (key == "JobState")
                found.state = value;
            else if (key == "Reason")
                found.reason = value;
            else if (key == "NodeList")
                found.nodes = value == "(null)" ? "" : value;
            else if (key == "Comment")
                found.comment = value == "(null)" ? "" : value;
            else if (key == "ExitCode") {  // "code:signal"
                const auto colon = value.find(':');
                const int code = std::atoi(value.substr(0, colon).c_str());
                const int signal = colon == std::string::npos ? 0 : std::atoi(value.substr(colon + 1).c_str());
                if (signal > 0)
                    found.signal = signal;
                else
                    found.exit_code = code;
            }
        }
        if (!found.id.empty()) out.push_back(std::move(found));
    }
    return out;
}

std::vector<Partition> parse_sinfo_lines(std::string_view text) {
    std::vector<Partition> out;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        std::vector<std::string_view> fields;
        for (std::string_view rest = line;;) {
            const auto bar = rest.find('|');
            fields.push_back(rest.substr(0, bar));
            if (bar == std::string_view::npos) break;
            rest.remove_prefix(bar + 1);
        }
        if (fields.size() < 5 || fields[0].empty()) continue;
        std::string name(fields[0]);
        const bool is_default = name.back() == '*';
        if (is_default) name.pop_back();
        auto found = std::find_if(out.begin(), out.end(), [&](const Partition& item) { return item.name == name; });
        if (found == out.end()) {
            out.push_back(Partition{name, is_default, std::string(fields[1]), {}, 0, ""});
            found = std::prev(out.end());
        }
        const int count = std::atoi(std::string(fields[2]).c_str());
        std::string state(fields[3]);
        while (!state.empty() && (state.back() == '*' || state.back() == '~' || state.back() == '#' ||
                                  state.back() == '!' || state.back() == '%' || state.back() == '$' ||
                                  state.back() == '@' || state.back() == '^' || state.back() == '-'))
            state.pop_back();  // sinfo's flags: not responding, powered down, ...
        found->nodes[state] += count;
        found->total_nodes += count;
        if (fields[4] != "(null)" && found->gres.empty()) found->gres = std::string(fields[4]);
    }
    return out;
}

std::optional<Outcome> map_state(const SlurmJob& job) {
    const std::string_view state = job.state;
    if (state_is(state, {"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SUSPENDED"}))
        return Outcome{JobState::queued, job.reason.empty() || job.reason == "None" ? std::string(state) : job.reason};
    if (state_is(state, {"RUNNING", "CONFIGURING", "COMPLETING", "STAGE_OUT", "SIGNALING", "RESIZING", "STOPPED"}))
        return Outcome{JobState::running, ""};
    if (state == "COMPLETED") {
        if (job.exit_code.value_or(0) != 0)
            return Outcome{JobState::failed, "exit code " + std::to_string(*job.exit_code)};
        return Outcome{JobState::done, ""};
    }
    if (state == "CANCELLED") return Outcome{JobState::cancelled, "cancelled in Slurm"};
    if (state == "FAILED") {
        if (job.signal) return Outcome{JobState::failed, "killed by signal " + std::to_string(*job.signal)};
        if (job.exit_code.value_or(0) != 0)
            return Outcome{JobState::failed, "exit code " + std::to_string(*job.exit_code)};
        return Outcome{JobState::failed,
                       "failed in Slurm (" + (job.reason.empty() ? std::string("no reason") : job.reason) + ")"};
    }
    if (state == "TIMEOUT") return Outcome{JobState::failed, "Slurm's time limit reached (TIMEOUT)"};
    if (state == "OUT_OF_MEMORY") return Outcome{JobState::failed, "out of memory (Slurm OUT_OF_MEMORY)"};
    if (state == "NODE_FAIL") return Outcome{JobState::failed, "its node failed (Slurm NODE_FAIL)"};
    if (state_is(state, {"BOOT_FAIL", "DEADLINE", "PREEMPTED", "REVOKED", "SPECIAL_EXIT"}))
        return Outcome{JobState::failed, "Slurm ended it: " + std::string(state)};
    return std::nullopt;
}

}  // namespace ailab::jobs::slurm
