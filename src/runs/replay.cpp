#include "runs/replay.hpp"

#include <algorithm>
#include <cmath>

#include "core/json_writer.hpp"
#include "runs/line_parser.hpp"
#include "runs/log_reader.hpp"
#include "runs/run_state.hpp"
#include "runs/summary.hpp"

namespace ailab::runs {

namespace {

// Reads every record of a run again, with the same fold as the indexer, and hands each record's
// x values and metrics to `visit`. A reset (steps that went back) calls `forget`: what was
// visited before is void.
template <typename Visit, typename Forget>
class ReplaySink final : public RecordSink {
public:
    ReplaySink(Visit visit, Forget forget) : visit_(std::move(visit)), forget_(std::move(forget)) {}
    void reset() override {
        fold_.reset();
        forget_();
    }
    void record(const ParsedLine& values, std::uint64_t) override {
        LineX x = fold_.add(values);
        visit_(x, values, fold_.lines() - 1);
    }
    void bad_record() override {}

private:
    Visit visit_;
    Forget forget_;
    RunFold fold_;
};

core::Status replay_records(const ReplaySource& source, ReadBuffer& buffer, LineParser& parser, RecordSink& sink) {
    ReadContext context{*source.root, buffer, parser};
    auto read =
        read_records(source.format, source.marker, context, source.run_path, source.end_offset, sink, source.budget);
    if (!read) return core::Error::from(read.error(), "its log cannot be read");
    return {};
}

struct ThreadReader {
    LineParser parser;
    ReadBuffer buffer;
};
ThreadReader& thread_reader() {
    thread_local ThreadReader reader;
    return reader;
}

// Min/max downsampling while streaming lines: lines are grouped by number, group_size per group.
class StreamingSeries {
public:
    explicit StreamingSeries(std::uint64_t group_size) : group_size_(std::max<std::uint64_t>(group_size, 1)) {}
    void add(std::uint64_t line, double x, double y) {
        std::uint64_t group = line / group_size_;
        if (has_current_ && group != current_group_) emit();
        if (!has_current_) {
            current_ = Aggregate{y, y, x, x, true};
            current_group_ = group;
            has_current_ = true;
            return;
        }
        if (y < current_.minimum) {
            current_.minimum = y;
            current_.x_of_minimum = x;
            current_.minimum_first = false;
        } else if (y > current_.maximum) {
            current_.maximum = y;
            current_.x_of_maximum = x;
            current_.minimum_first = true;
        }
    }
    Series finish() {
        if (has_current_) emit();
        return std::move(series_);
    }

private:
    void emit() {
        Aggregate one[] = {current_};
        auto points = downsample(one, 2);
        series_.x.insert(series_.x.end(), points.x.begin(), points.x.end());
        series_.y.insert(series_.y.end(), points.y.begin(), points.y.end());
        has_current_ = false;
    }
    std::uint64_t group_size_;
    bool has_current_ = false;
    std::uint64_t current_group_ = 0;
    Aggregate current_{};
    Series series_;
};

}  // namespace

core::Result<NamedSeries> replay_series(const ReplaySource& source, const MetricsQuery& query,
                                        std::vector<std::string> names) {
    std::uint64_t groups = std::max<std::size_t>(1, query.max_points / 2);
    // Exact when every line fits; else line_count / groups lines per group (unknown before the
    // index: collect exactly, then downsample).
    std::uint64_t line_count = source.line_count;
    bool known_count = line_count > 0;
    std::uint64_t group_size = known_count && line_count > query.max_points ? (line_count + groups - 1) / groups : 1;
    bool all_metrics = query.keys.empty();  // then names grows with every new metric
    std::vector<StreamingSeries> streams(names.size(), StreamingSeries(group_size));
    std::vector<std::vector<Aggregate>> collected(known_count ? 0 : names.size());
    auto& reader = thread_reader();
    auto visit = [&](const LineX& x, const ParsedLine& line, std::uint64_t line_number) {
        double x_value = x.get(query.axis);
        if (std::isnan(x_value)) return;
        for (const auto& metric : line.metrics) {
            auto it = std::find(names.begin(), names.end(), metric.name);
            if (it == names.end()) {
                if (!all_metrics) continue;
                names.emplace_back(metric.name);
                streams.emplace_back(group_size);
                if (!known_count) collected.emplace_back();
                it = names.end() - 1;
            }
            auto index = static_cast<std::size_t>(it - names.begin());
            if (known_count)
                streams[index].add(line_number, x_value, metric.value);
            else
                collected[index].push_back(Aggregate{metric.value, metric.value, x_value, x_value, true});
        }
    };
    auto forget = [&] {
        for (auto& stream : streams) stream = StreamingSeries(group_size);
        for (auto& points : collected) points.clear();
    };
    ReplaySink sink(visit, forget);
    if (auto read = replay_records(source, reader.buffer, reader.parser, sink); !read) return read.error();
    NamedSeries result;
    result.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i)
        result.emplace_back(names[i], known_count ? streams[i].finish() : downsample(collected[i], query.max_points));
    return result;
}

core::Result<std::string> export_log(const ReplaySource& source, ExportFormat format) {
    auto& reader = thread_reader();
    std::vector<std::string> names;
    std::vector<MetricHistory::Value> values;
    std::vector<double> row;
    std::string body;
    auto visit = [&](const LineX& x, const ParsedLine& line, std::uint64_t) {
        values.clear();
        for (const auto& metric : line.metrics) {
            auto it = std::find(names.begin(), names.end(), metric.name);
            if (it == names.end()) {
                names.emplace_back(metric.name);
                it = names.end() - 1;
            }
            values.push_back(MetricHistory::Value{static_cast<std::uint32_t>(it - names.begin()), metric.value});
        }
        if (format == ExportFormat::jsonl) {
            core::JsonWriter writer(body);
            write_point(writer, PointValues{x.step, x.time, x.epoch, values}, names);
            body.push_back('\n');
            return;
        }
        // CSV: step,time,epoch,<metrics in order of first appearance>; a metric that first shows up
        // later leaves earlier rows shorter (the header, written last, names every column).
        row.assign(names.size(), absent);
        for (const auto& value : values) row[value.metric] = value.value;
        core::append_number(body, x.step);
        body.push_back(',');
        core::append_number(body, x.time);
        body.push_back(',');
        core::append_number(body, x.epoch);
        for (double value : row) {
            body.push_back(',');
            core::append_number(body, value);
        }
        body.push_back('\n');
    };
    ReplaySink sink(visit, [&] { body.clear(); });
    if (auto read = replay_records(source, reader.buffer, reader.parser, sink); !read) return read.error();
    if (format == ExportFormat::jsonl) return body;
    std::string out = "step,time,epoch";
    for (const auto& name : names) {
        out.push_back(',');
        bool quote = name.find_first_of(",\"\n\r") != std::string::npos;
        if (!quote) {
            out += name;
            continue;
        }
        out.push_back('"');
        for (char c : name) {
            if (c == '"') out.push_back('"');
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.push_back('\n');
    out += body;
    return out;
}

}  // namespace ailab::runs
