#include "jobs/slurm/states.hpp"

#include <simdjson.h>
#include <algorithm>
#include <array>
#include <cstdlib>

#include "core/strings.hpp"
namespace ailab::jobs::slurm {
namespace {

namespace dom = simdjson::dom;

std::optional<dom::object> object_at(dom::object object, std::string_view key) {
    dom::object value;
    if (object.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
    return value;
}

std::string text_of(dom::element value) {
    switch (value.type()) {
    case dom::element_type::STRING: return std::string(value.get_string().value_unsafe());
    case dom::element_type::INT64: return std::to_string(value.get_int64().value_unsafe());
    case dom::element_type::UINT64: return std::to_string(value.get_uint64().value_unsafe());
    // Newer Slurm writes states as lists ("job_state": ["RUNNING"]) and numbers as
    // {"set": true, "number": 5}.
    case dom::element_type::ARRAY: {
        const dom::array items = value.get_array().value_unsafe();
        for (dom::element item : items) return text_of(item);
        return "";
    }
    case dom::element_type::OBJECT: {
        const auto object = value.get_object().value_unsafe();
        dom::element inner;
        if (object.at_key("number").get(inner) == simdjson::SUCCESS) return text_of(inner);
        if (object.at_key("current").get(inner) == simdjson::SUCCESS) return text_of(inner);
        return "";
    }
    default: return "";
    }
}

std::string text_of(dom::object object, std::string_view key) {
    dom::element value;
    if (object.at_key(key).get(value) != simdjson::SUCCESS) return "";
    return text_of(value);
}

std::optional<double> number_of(dom::element value) {
    switch (value.type()) {
    case dom::element_type::INT64: return static_cast<double>(value.get_int64().value_unsafe());
    case dom::element_type::UINT64: return static_cast<double>(value.get_uint64().value_unsafe());
    case dom::element_type::DOUBLE: return value.get_double().value_unsafe();
    case dom::element_type::OBJECT: {
        const auto object = value.get_object().value_unsafe();
        bool set = true;
        if (object.at_key("set").get(set) == simdjson::SUCCESS && !set) return std::nullopt;
        dom::element number;
        if (object.at_key("number").get(number) != simdjson::SUCCESS) return std::nullopt;
        return number_of(number);
    }
    default: return std::nullopt;
    }
}

std::optional<double> number_of(dom::object object, std::string_view key) {
    dom::element value;
    if (object.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
    return number_of(value);
}

// Each byte that does not start a valid UTF-8 sequence becomes '?'. JSON's structure is ASCII, so
// only the text inside strings changes, never its length.
void replace_invalid_utf8(std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto length = core::utf8_sequence_length(std::string_view(text).substr(i));
        if (length == 0)
            text[i++] = '?';
        else
            i += length;
    }
}

// `text` in a buffer of this thread with simdjson's padding after it, valid until the next call.
std::string& padded_copy(std::string_view text) {
    thread_local std::string copy;
    if (copy.capacity() < text.size() + simdjson::SIMDJSON_PADDING)
        copy.reserve(text.size() + text.size() / 2 + simdjson::SIMDJSON_PADDING);
    copy.assign(text);
    return copy;
}

// The "jobs" list of a --json answer of `command` (simdjson: squeue's answer for 1,000 jobs is
// 3.4 MB, and this runs every poll), valid until this thread's next call; the errors Slurm reports
// beside the list (a controller that cannot be reached answers with exit code 0, an "errors" entry
// and no jobs) become one error. `text` has simdjson's padding readable after it (spare capacity)
// and may be changed: bytes that are not UTF-8 become '?'.
core::Result<dom::array> job_list(std::string& text, std::string_view command) {
    // One parser per thread, kept: its buffers are sized by the first answer and reused.
    thread_local dom::parser parser;
    // squeue's answer grows with the queue: room for half as much again, so that the next polls
    // reuse the buffers instead of paying fresh pages each time (a 10 MB answer parses in ~6 ms
    // warm, ~90 ms into new memory). A failed allocate() leaves parse() to allocate what it needs.
    if (parser.capacity() < text.size()) {
        [[maybe_unused]] const auto ignored =
            parser.allocate(text.size() + text.size() / 2 + simdjson::SIMDJSON_PADDING);
    }
    dom::element document;
    auto error = parser.parse(text.data(), text.size(), false).get(document);
    if (error == simdjson::UTF8_ERROR) {
        // Another user's job named in bytes that are not UTF-8 must not hide every job from the
        // poll: those bytes become '?' and the answer is read again.
        replace_invalid_utf8(text);
        error = parser.parse(text.data(), text.size(), false).get(document);
    }
    if (error != simdjson::SUCCESS)
        return core::Error::invalid(std::string(command) +
                                    " answered what is not JSON: " + simdjson::error_message(error));
    dom::object object;
    if (document.get(object) != simdjson::SUCCESS)
        return core::Error::invalid(std::string(command) + " answered no \"jobs\" list");
    if (dom::array errors; object.at_key("errors").get(errors) == simdjson::SUCCESS) {
        bool any = false;
        std::string message;
        for (dom::element error : errors) {
            any = true;
            dom::object entry;
            if (error.get(entry) != simdjson::SUCCESS) continue;
            auto part = text_of(entry, "description");
            if (auto source = text_of(entry, "source"); !source.empty()) part += " (" + source + ")";
            if (!part.empty()) message += (message.empty() ? "" : "; ") + part;
        }
        if (any)
            return core::Error::invalid(std::string(command) +
                                        " failed: " + (message.empty() ? "unknown error" : message));
    }
    dom::array jobs;
    if (object.at_key("jobs").get(jobs) != simdjson::SUCCESS)
        return core::Error::invalid(std::string(command) + " answered no \"jobs\" list");
    return jobs;
}

// Each job object of the answer that has a "job_id", read through fill(object, job).
template <class Fill>
core::Result<std::vector<SlurmJob>> parse_jobs(std::string& text, std::string_view command, Fill fill) {
    auto jobs = job_list(text, command);
    if (!jobs) return jobs.error();
    std::vector<SlurmJob> out;
    for (dom::element item : *jobs) {
        dom::object job;
        if (item.get(job) != simdjson::SUCCESS) continue;
        SlurmJob found;
        found.id = text_of(job, "job_id");
        if (found.id.empty()) continue;
        fill(job, found);
        out.push_back(std::move(found));
    }
    return out;
}

bool state_is(std::string_view state, std::initializer_list<std::string_view> names) {
    return std::ranges::any_of(names, [state](std::string_view name) { return state == name; });
}

// One job of squeue's answer.
void fill_squeue_job(dom::object job, SlurmJob& found) {
    found.state = text_of(job, "job_state");
    found.reason = text_of(job, "state_reason");
    found.nodes = text_of(job, "nodes");
    found.comment = text_of(job, "comment");
    found.start_time = number_of(job, "start_time").value_or(0);
    found.end_time = number_of(job, "end_time").value_or(0);
    // A wait status: the exit code in the high byte, the signal in the low bits.
    if (auto status = number_of(job, "exit_code")) {
        const int raw = static_cast<int>(*status);
        if ((raw & 0x7f) != 0)
            found.signal = raw & 0x7f;
        else
            found.exit_code = (raw >> 8) & 0xff;
    }
}

}  // namespace

core::Result<std::vector<SlurmJob>> parse_squeue_json(std::string_view text) {
    return parse_jobs(padded_copy(text), "squeue --json", fill_squeue_job);
}

core::Result<std::vector<SlurmJob>> parse_squeue_json_in_place(std::string& text) {
    // Spare capacity for the padding: the poll's buffer keeps it from one poll to the next.
    if (text.capacity() < text.size() + simdjson::SIMDJSON_PADDING)
        text.reserve(text.size() + text.size() / 2 + simdjson::SIMDJSON_PADDING);
    return parse_jobs(text, "squeue --json", fill_squeue_job);
}

core::Result<std::vector<SlurmJob>> parse_sacct_json(std::string_view text) {
    return parse_jobs(padded_copy(text), "sacct --json", [](dom::object job, SlurmJob& found) {
        if (auto state = object_at(job, "state")) {
            found.state = text_of(*state, "current");
            found.reason = text_of(*state, "reason");
        }
        found.nodes = text_of(job, "nodes");
        if (auto comment = object_at(job, "comment"))
            found.comment = text_of(*comment, "job");
        else
            found.comment = text_of(job, "comment");
        if (auto time = object_at(job, "time")) {
            found.start_time = number_of(*time, "start").value_or(0);
            found.end_time = number_of(*time, "end").value_or(0);
        }
        if (auto exit = object_at(job, "exit_code")) {
            const auto signal = object_at(*exit, "signal");
            const auto signal_id = signal ? number_of(*signal, "signal_id") : std::nullopt;
            if (signal_id && *signal_id > 0)
                found.signal = static_cast<int>(*signal_id);
            else if (auto code = number_of(*exit, "return_code"))
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
