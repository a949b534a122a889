#include "runs/cold_start.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "core/fd.hpp"
#include "runs/discovery.hpp"
#include "runs/indexer.hpp"
#include "runs/run_sink.hpp"

namespace ailab::runs {

namespace {

using Clock = std::chrono::steady_clock;

// The cold start parses this many lines at the end of each log.
constexpr std::size_t cold_tail_lines = 8;
constexpr std::size_t cold_tail_window = 4096;
// Metric history of all runs together stays near this: each run gets a bucket capacity (a power of
// two, 16..512) from the number of runs found at start, at about 100 bytes per bucket.
constexpr std::size_t history_budget_bytes = std::size_t{128} << 20;
constexpr std::size_t history_bytes_per_bucket = 100;

std::size_t history_capacity_for(std::size_t runs) {
    std::size_t per_run = history_budget_bytes / std::max<std::size_t>(runs, 1) / history_bytes_per_bucket;
    std::size_t capacity = MetricHistory::default_capacity;
    while (capacity > 16 && capacity > per_run) capacity /= 2;
    return capacity;
}

// Whether a window of the log begins at the file's first byte (so its first line is whole).
enum class WindowStart { file_start, inside_file };

// Lines of the cold start: the last complete lines of a window and the first line of the file.
void fold_cold_lines(std::string_view window, WindowStart window_start, LineParser& parser, Run& run) {
    // Find the starts of the last complete lines.
    auto end = window.rfind('\n');
    if (end == std::string_view::npos) return;
    std::vector<std::string_view> lines;
    std::size_t line_end = end;
    while (lines.size() < cold_tail_lines) {
        auto previous = line_end == 0 ? std::string_view::npos : window.rfind('\n', line_end - 1);
        std::size_t start = previous == std::string_view::npos ? 0 : previous + 1;
        if (previous == std::string_view::npos && window_start == WindowStart::inside_file) break;  // partial
        lines.push_back(window.substr(start, line_end - start));
        if (previous == std::string_view::npos) break;
        line_end = previous;
    }
    ParsedLine parsed;
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        // The window buffer has line_padding bytes after it, so parse in place.
        auto error = parser.parse_padded(*it, parsed);
        if (error == LineError::blank) continue;
        if (error != LineError::none) {
            run.cold.add_bad_line();
            continue;
        }
        run.cold.add(parsed);
        for (const auto& metric : parsed.metrics) {
            if (std::find(run.cold_metrics.begin(), run.cold_metrics.end(), metric.name) == run.cold_metrics.end())
                run.cold_metrics.emplace_back(metric.name);
        }
    }
}

std::optional<double> first_timestamp(std::string_view head, LineParser& parser) {
    ParsedLine parsed;
    std::size_t start = 0;
    for (int tries = 0; tries < 4; ++tries) {
        auto newline = head.find('\n', start);
        if (newline == std::string_view::npos) return std::nullopt;
        if (parser.parse_padded(head.substr(start, newline - start), parsed) == LineError::none &&
            present(parsed.timestamp))
            return parsed.timestamp;
        start = newline + 1;
    }
    return std::nullopt;
}

}  // namespace

void ColdReader::read(Run& run) {
    if (run.format == RunFormat::ailab)
        read_log_ends(run);
    else
        read_whole(run);
}

void ColdReader::read_whole(Run& run) {
    if (!read_buffer_) read_buffer_ = std::make_unique<ReadBuffer>();
    RunSink sink(run, PointCollection::skip);
    ReadContext context{root_, *read_buffer_, parser_};
    auto status = run.reader->read(context, run.path, sink, slice_bytes);
    run.ever_read = true;
    run.access = status == ReadStatus::vanished     ? LogAccess::vanished
                 : status == ReadStatus::unreadable ? LogAccess::unreadable
                                                    : LogAccess::readable;
    run.identity = run.reader->identity();
    run.indexed_offset = run.reader->position();
    if (status == ReadStatus::more) {
        // Shown as the cold fold until the indexer has read the rest.
        run.cold = run.fold;
        run.cold_metrics = run.history.metric_names();
    } else {
        run.indexed = run.access == LogAccess::readable;
    }
}

void ColdReader::read_log_ends(Run& run) {
    auto opened = root_.open_for_reading(run.path + "/" + run.log_file);
    if (!opened) {
        const auto& error = opened.error();
        run.access =
            error.is(boost::system::errc::no_such_file_or_directory) || error.is(boost::system::errc::not_a_directory)
                ? LogAccess::vanished
                : LogAccess::unreadable;
        return;
    }
    core::OwnedFd fd = std::move(*opened);
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
        run.access = LogAccess::unreadable;
        return;
    }
    run.identity = identity_of(status);
    run.access = LogAccess::readable;
    auto size = static_cast<std::uint64_t>(status.st_size);
    if (size == 0) return;
    std::size_t window = cold_tail_window;
    while (true) {
        auto length = static_cast<std::size_t>(std::min<std::uint64_t>(size, window));
        std::uint64_t start = size - length;
        buffer_.resize(length + line_padding);
        auto got = read_at(fd.get(), buffer_.data(), length, start);
        if (!got) {
            run.access = LogAccess::unreadable;
            return;
        }
        std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(*got), buffer_.end(), '\0');
        std::string_view text(buffer_.data(), *got);
        run.cold.reset();
        run.cold_metrics.clear();
        fold_cold_lines(text, start == 0 ? WindowStart::file_start : WindowStart::inside_file, parser_, run);
        if (start == 0) {
            run.cold.set_started_at(first_timestamp(text, parser_));
            return;
        }
        if (run.cold.lines() > 0 || window >= 4 * max_line_bytes) break;
        window *= 8;
    }
    // started_at from the head of a longer file.
    buffer_.resize(cold_tail_window + line_padding);
    auto got = read_at(fd.get(), buffer_.data(), cold_tail_window, 0);
    if (got && *got > 0) {
        std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(*got), buffer_.end(), '\0');
        run.cold.set_started_at(first_timestamp(std::string_view(buffer_.data(), *got), parser_));
    }
}

std::uint64_t points_start(const Run& run) {
    if (run.format != RunFormat::ailab) return run.reader->position();
    return static_cast<std::uint64_t>(std::max<std::int64_t>(run.identity.size, 0));
}

ColdStart cold_start(const std::filesystem::path& results, const ResultsRoot& root, const Settings& settings,
                     RunTable& table) {
    auto started = Clock::now();
    auto times = state_times(settings);
    unsigned threads = std::min(2u, std::max(1u, std::thread::hardware_concurrency()));
    ScanResult found = scan_whole_tree(results, std::max(settings.discovery_depth, 1), threads);
    if (found.folders.empty() || !found.folders.front().path.empty()) {
        spdlog::warn("runs: results folder {} cannot be read; watching for it", results.string());
        found.folders.insert(found.folders.begin(), FoundFolder{"", 0, 0});
    }
    auto scanned = Clock::now();

    // Create the runs and read their heads and tails, on two threads when there are many.
    ColdStart cold;
    cold.history_capacity = history_capacity_for(found.runs.size());
    std::vector<RunPointer> runs;
    runs.reserve(found.runs.size());
    for (const auto& found_run : found.runs)
        runs.push_back(std::make_shared<Run>(found_run.path, found_run.log_file, found_run.format, results,
                                             cold.history_capacity, settings.scope));
    // Two threads when there is much to read: many logs (heads and tails), or event files, CSV and
    // trainer state (read whole). Every other run each, so both get their share of either kind.
    auto cold_share = [&runs, &root](std::size_t first, std::size_t stride) {
        ColdReader reader(root);
        for (std::size_t i = first; i < runs.size(); i += stride) reader.read(*runs[i]);
    };
    auto whole_reads =
        std::count_if(runs.begin(), runs.end(), [](const RunPointer& run) { return run->format != RunFormat::ailab; });
    if ((runs.size() >= 256 || whole_reads >= 8) && threads > 1) {
        std::thread helper(cold_share, 1, 2);
        cold_share(0, 2);
        helper.join();
    } else {
        cold_share(0, 1);
    }

    auto read = Clock::now();
    double now = unix_now();
    table.insert(runs);
    for (const auto& folder : found.folders)
        cold.folders[folder.path] = TrackedFolder{folder.depth, folder.mtime_ns, -1, {}};
    for (const auto& folder : found.folders) {
        if (!folder.path.empty()) cold.folders[parent_path(folder.path)].children.insert(name_of(folder.path));
    }
    // Most recently updated first, so live runs get their full index first.
    std::vector<std::pair<double, RunPointer>> order;
    order.reserve(runs.size());
    for (const auto& run : runs) {
        cold.folders[run->group].children.insert(run->name);
        run->points_from_offset = points_start(*run);
        auto summary = make_summary(*run, now, times);
        run->last_state = summary.state;
        run->active = is_active(summary.state);
        order.emplace_back(summary.updated_at.value_or(0), run);
        // The baseline of "changed fields only": what GET /runs says now.
        run->published = std::move(summary);
    }
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (auto& [time, run] : order) cold.backlog.push_back(std::move(run));
    auto milliseconds = [](Clock::duration duration) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
    };
    spdlog::info(
        "runs: {} runs in {} folders under {}, states known after {} ms (finding {} ms, heads and tails {} ms)",
        runs.size(), found.folders.size(), results.string(), milliseconds(Clock::now() - started),
        milliseconds(scanned - started), milliseconds(read - scanned));
    return cold;
}

}  // namespace ailab::runs
