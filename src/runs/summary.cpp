#include "runs/summary.hpp"

namespace ailab::runs {

namespace {

void write_phase(core::JsonWriter& writer, const std::string& phase) {
    if (phase.empty())
        writer.null();
    else
        writer.string(phase);
}

void write_metrics(core::JsonWriter& writer, const std::vector<std::string>& metrics) {
    writer.begin_array();
    for (const auto& name : metrics) writer.string(name);
    writer.end_array();
}

void write_errors(core::JsonWriter& writer, std::uint64_t bad_lines) {
    writer.begin_object();
    writer.field("bad_lines", bad_lines);
    writer.end_object();
}

}  // namespace

void write_summary_fields(core::JsonWriter& writer, const RunSummary& summary) {
    writer.field("id", summary.id);
    writer.field("name", summary.name);
    writer.field("path", summary.path);
    writer.field("group", summary.group);
    writer.field("log_file", summary.log_file);
    writer.field("format", summary.format);
    writer.field("state", state_name(summary.state));
    writer.key("phase");
    write_phase(writer, summary.phase);
    writer.field("epoch", summary.epoch);
    writer.field("epochs", summary.epochs);
    writer.field("progress", summary.progress);
    writer.field("eta", summary.eta);
    writer.field("score", summary.score);
    writer.field("job_id", summary.job_id);
    writer.field("started_at", summary.started_at);
    writer.field("updated_at", summary.updated_at);
    writer.field("aborted_early", summary.aborted_early);
    writer.key("metrics");
    write_metrics(writer, summary.metrics);
    writer.field("lines", summary.lines);
    writer.key("errors");
    write_errors(writer, summary.bad_lines);
}

void write_summary(core::JsonWriter& writer, const RunSummary& summary) {
    writer.begin_object();
    write_summary_fields(writer, summary);
    writer.end_object();
}

std::string added_event(const RunSummary& summary) {
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.field("type", "runs.added");
    writer.key("run");
    write_summary(writer, summary);
    writer.end_object();
    return out;
}

std::string removed_event(const std::string& id) {
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.field("type", "runs.removed");
    writer.field("id", id);
    writer.end_object();
    return out;
}

std::string run_event(std::string_view type, const std::string& id, std::string_view key, std::string_view json) {
    std::string out;
    out.reserve(json.size() + id.size() + type.size() + key.size() + 32);
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.field("type", type);
    writer.field("id", id);
    writer.key(key);
    writer.raw(json);
    writer.end_object();
    return out;
}

std::string params_event(const std::string& id, std::string_view params) {
    return run_event("runs.params", id, "params", params);
}

void write_values(core::JsonWriter& writer, const std::vector<std::string>& names,
                  std::span<const MetricHistory::Totals> totals) {
    writer.begin_object();
    for (std::size_t i = 0; i < names.size() && i < totals.size(); ++i) {
        writer.key(names[i]);
        writer.begin_array();
        writer.number(totals[i].last);  // NaN is written as null
        writer.number(totals[i].minimum);
        writer.number(totals[i].maximum);
        writer.end_array();
    }
    writer.end_object();
}

std::string values_event(const std::string& id, const std::vector<std::string>& names,
                         std::span<const MetricHistory::Totals> totals) {
    std::string values;
    core::JsonWriter writer(values);
    write_values(writer, names, totals);
    return run_event("runs.values", id, "values", values);
}

std::optional<std::string> updated_event(const RunSummary& before, const RunSummary& after) {
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.field("type", "runs.updated");
    writer.field("id", after.id);
    writer.key("changes");
    writer.begin_object();
    bool any = false;
    auto compare = [&](auto member, std::string_view name) {
        if (before.*member == after.*member) return;
        any = true;
        writer.field(name, after.*member);
    };
    if (before.state != after.state) {
        any = true;
        writer.field("state", state_name(after.state));
    }
    if (before.phase != after.phase) {
        any = true;
        writer.key("phase");
        write_phase(writer, after.phase);
    }
    compare(&RunSummary::log_file, "log_file");
    compare(&RunSummary::format, "format");
    compare(&RunSummary::epoch, "epoch");
    compare(&RunSummary::epochs, "epochs");
    compare(&RunSummary::progress, "progress");
    compare(&RunSummary::eta, "eta");
    compare(&RunSummary::score, "score");
    compare(&RunSummary::job_id, "job_id");
    compare(&RunSummary::started_at, "started_at");
    compare(&RunSummary::updated_at, "updated_at");
    compare(&RunSummary::aborted_early, "aborted_early");
    if (before.metrics != after.metrics) {
        any = true;
        writer.key("metrics");
        write_metrics(writer, after.metrics);
    }
    compare(&RunSummary::lines, "lines");
    if (before.bad_lines != after.bad_lines) {
        any = true;
        writer.key("errors");
        write_errors(writer, after.bad_lines);
    }
    writer.end_object();
    writer.end_object();
    if (!any) return std::nullopt;
    return out;
}

void write_point(core::JsonWriter& writer, const PointValues& point, const std::vector<std::string>& names) {
    writer.begin_object();
    writer.field("step", point.step);
    writer.field("time", point.time);
    writer.field("epoch", point.epoch);
    writer.key("values");
    writer.begin_object();
    for (const auto& value : point.values) {
        if (value.metric < names.size()) writer.field(names[value.metric], value.value);
    }
    writer.end_object();
    writer.end_object();
}

std::string points_event(const std::string& id, std::span<const PointValues> points,
                         const std::vector<std::string>& names) {
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.field("type", "runs.points");
    writer.field("id", id);
    writer.key("points");
    writer.begin_array();
    for (const auto& point : points) write_point(writer, point, names);
    writer.end_array();
    writer.end_object();
    return out;
}

}  // namespace ailab::runs
