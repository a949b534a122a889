#include "client/jobs_table.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "client/parsing.hpp"

namespace ailab::client {
namespace json = boost::json;
namespace {

std::string text_of(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::optional<double> number_of(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (value == nullptr || !value->is_number()) return std::nullopt;
    return value->to_number<double>();
}

std::string id_list(const json::value* value) {
    if (value == nullptr || !value->is_array()) return {};
    std::string text;
    for (const auto& id : value->as_array()) {
        if (!id.is_number()) continue;
        if (!text.empty()) text += ",";
        text += std::to_string(id.to_number<std::int64_t>());
    }
    return text;
}

JobRow row_of(const json::object& job) {
    JobRow row;
    if (auto id = number_of(job, "id")) row.id = static_cast<std::int64_t>(*id);
    row.state = text_of(job, "state");
    row.user = text_of(job, "user");
    row.name = text_of(job, "name");
    if (row.name.empty()) {
        if (const auto* command = job.if_contains("command"); command != nullptr && command->is_array()) {
            for (const auto& arg : command->as_array()) {
                if (!arg.is_string()) continue;
                if (!row.name.empty()) row.name += ' ';
                row.name += std::string(arg.as_string());
            }
        }
        if (row.name.empty()) row.name = text_of(job, "shell");
    }
    std::string held = id_list(job.if_contains("gpus"));
    if (!held.empty()) {
        row.gpus = held;
    } else if (row.state == "queued") {
        std::string wanted = id_list(job.if_contains("gpu_ids_requested"));
        if (!wanted.empty()) {
            row.gpus = "ids " + wanted;
        } else if (auto count = number_of(job, "gpus_requested"); count && *count > 0) {
            row.gpus = std::to_string(static_cast<std::int64_t>(*count));
        }
    }
    if (row.gpus.empty()) row.gpus = "-";
    row.reason = text_of(job, "reason");
    if (row.reason.empty() && row.state == "queued") row.reason = text_of(job, "waiting_for");
    row.submitted_at = number_of(job, "submitted_at").value_or(0);
    row.started_at = number_of(job, "started_at");
    row.ended_at = number_of(job, "ended_at");
    return row;
}

// Display width of UTF-8 text, counting code points (good enough for names and reasons).
std::size_t width_of(std::string_view text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string shorten(std::string text, std::size_t limit) {
    if (width_of(text) <= limit) return text;
    std::size_t kept = 0, index = 0;
    for (; index < text.size(); ++index) {
        if ((static_cast<unsigned char>(text[index]) & 0xC0) != 0x80 && kept++ == limit - 1) break;
    }
    text.resize(index);
    return text + "…";
}

}  // namespace

core::Result<std::vector<JobRow>> parse_job_rows(std::string_view text) {
    boost::system::error_code error;
    auto value = json::parse(text, error);
    if (error) return core::Error::invalid("the server's job list is not JSON: " + error.message());
    const json::value* jobs = value.is_object() ? value.as_object().if_contains("jobs") : nullptr;
    if (jobs == nullptr || !jobs->is_array()) return core::Error::invalid("the server's answer has no \"jobs\" list");
    std::vector<JobRow> rows;
    for (const auto& job : jobs->as_array()) {
        if (job.is_object()) rows.push_back(row_of(job.as_object()));
    }
    return rows;
}

std::string format_jobs_table(const std::vector<JobRow>& rows, double now) {
    std::vector<std::vector<std::string>> cells{{"ID", "STATE", "NAME", "USER", "GPUS", "WAITED", "RAN", "REASON"}};
    for (const auto& row : rows) {
        const double waited = row.started_at ? *row.started_at - row.submitted_at
                              : row.ended_at ? *row.ended_at - row.submitted_at
                                             : now - row.submitted_at;
        std::string ran = "-";
        if (row.started_at)
            ran = format_duration(row.ended_at ? *row.ended_at - *row.started_at : now - *row.started_at);
        cells.push_back({std::to_string(row.id), row.state, shorten(row.name, 32), row.user, row.gpus,
                         format_duration(waited), ran, row.reason});
    }
    std::vector<std::size_t> widths(cells.front().size(), 0);
    for (const auto& line : cells)
        for (std::size_t column = 0; column < line.size(); ++column)
            widths[column] = std::max(widths[column], width_of(line[column]));
    std::string out;
    for (const auto& line : cells) {
        std::string text;
        for (std::size_t column = 0; column < line.size(); ++column) {
            text += line[column];
            if (column + 1 < line.size()) text += std::string(widths[column] - width_of(line[column]) + 2, ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text + "\n";
    }
    return out;
}

}  // namespace ailab::client
