#pragma once
// The run summary that GET /api/v1/runs lists and the WebSocket events carry, as a plain struct,
// and its JSON forms (docs/API.md, "Runs").

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/json_writer.hpp"
#include "runs/run_state.hpp"

namespace ailab::runs {

struct RunSummary {
    std::string id;
    std::string name;   // the folder's name
    std::string path;   // relative to results
    std::string group;  // the parent folder, relative ("" at the top)
    std::string log_file;
    std::string_view format;  // format_name(): "ailab", "tensorboard", "lightning", "huggingface"
    RunState state = RunState::empty;
    std::string phase;  // "" -> null
    std::optional<double> epoch;
    std::optional<int> epochs;
    std::optional<double> progress;
    std::optional<double> eta;
    std::optional<double> score;
    std::optional<std::int64_t> job_id;  // the AI Lab job that wrote the run (its log's "job_id")
    std::optional<double> started_at;
    std::optional<double> updated_at;
    bool aborted_early = false;
    std::vector<std::string> metrics;
    std::optional<std::uint64_t> lines;  // null until the whole log was read once
    std::uint64_t bad_lines = 0;

    bool operator==(const RunSummary&) const = default;
};

// Writes the summary object.
void write_summary(core::JsonWriter& writer, const RunSummary& summary);
// Writes the summary's fields without the braces (to extend the object, as GET /runs/{id} does).
void write_summary_fields(core::JsonWriter& writer, const RunSummary& summary);

// One metric point of a runs.points event.
struct PointValues {
    double step;
    double time;                                   // NaN -> null
    double epoch;                                  // NaN -> null
    std::span<const MetricHistory::Value> values;  // metric index -> value
};

std::string added_event(const RunSummary& summary);
std::string removed_event(const std::string& id);
// The changed fields only; nullopt when nothing changed.
std::optional<std::string> updated_event(const RunSummary& before, const RunSummary& after);
// {"type":"runs.points","id":…,"points":[…]}; metric names come from `names`.
std::string points_event(const std::string& id, std::span<const PointValues> points,
                         const std::vector<std::string>& names);
// {"type":<type>,"id":<id>,<key>:<json>}: one run's event carrying an already-serialised value.
std::string run_event(std::string_view type, const std::string& id, std::string_view key, std::string_view json);
// {"type":"runs.params","id":…,"params":{…}}; `params` is the flattened object's JSON text.
std::string params_event(const std::string& id, std::string_view params);
// A metric's last / min / max as [last, min, max] (null for NaN), keyed by name.
void write_values(core::JsonWriter& writer, const std::vector<std::string>& names,
                  std::span<const MetricHistory::Totals> totals);
// {"type":"runs.values","id":…,"values":{"loss":[last,min,max],…}}.
std::string values_event(const std::string& id, const std::vector<std::string>& names,
                         std::span<const MetricHistory::Totals> totals);
void write_point(core::JsonWriter& writer, const PointValues& point, const std::vector<std::string>& names);

}  // namespace ailab::runs
