#pragma once
// RunService: the runs feature's one face. The config's `results` is one folder or a list of
// them; RunService holds a FolderRuns (runs/folder_runs.hpp) per folder and answers for all of
// them: lists are merged, a question about one run goes to the folder that holds it. With several
// folders each has a name (config: {"name", "path"}, else the folder's own name) that prefixes
// the path, group and id of its runs ("logs_b/sweep/run1"), so two folders may hold the same
// relative paths. One folder has no prefix: ids stay what they always were.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "runs/folder_runs.hpp"

namespace ailab::runs {

// One folder of `results`: its name ("" when it is the only one) and path.
using ResultsFolder = core::ResultsFolder;

class RunService {
public:
    // One results folder, unnamed.
    RunService(std::filesystem::path results, const Settings& settings, net::Hub& hub);
    // Several (or one). Names must be unique and non-empty when there is more than one (the config
    // reader checks that); `hub` must outlive the service.
    RunService(const std::vector<ResultsFolder>& folders, const Settings& settings, net::Hub& hub);
    ~RunService();
    RunService(const RunService&) = delete;
    RunService& operator=(const RunService&) = delete;

    // Each folder's cold start, then its worker. Returns once every run's state is known.
    void start();
    void stop();  // idempotent

    std::map<std::string, std::size_t> count_by_state() const;

    // --- For the routes; thread-safe. The same contracts as FolderRuns'. ---
    std::vector<RunSummary> list() const;  // sorted by path
    std::optional<RunSummary> summary(const std::string& id) const;
    std::optional<RunDetail> detail(const std::string& id) const;
    std::optional<RunImages> images(const std::string& id) const;
    core::Result<ImageBytes> image(const std::string& id, std::size_t index) const;
    std::optional<std::filesystem::path> folder_of(const std::string& id) const;
    std::vector<RunParamsText> all_params() const;
    std::vector<RunValues> all_values() const;
    core::Result<MetricsResult> metrics(const std::string& id, const MetricsQuery& query) const;
    core::Result<ExportedPoints> export_points(const std::string& id, ExportFormat format) const;
    CleanupResult cleanup(const std::vector<std::string>& ids, CleanupScope scope);
    std::vector<TrashItem> trash() const;  // newest first, over every folder
    // Trash paths as trash() shows them (with several folders: "<name>/.ailab-trash/...").
    RestoreResult restore(const std::vector<std::string>& trash_paths);

    // --- For tests and benchmarks. ---
    bool wait_until_indexed(std::chrono::milliseconds timeout) const;
    void poll_now();
    bool watching() const;
    std::size_t history_bytes() const;
    std::size_t folder_count() const { return folders_.size(); }

private:
    FolderRuns* owner(const std::string& id) const;  // the folder holding the run, or null

    std::vector<std::unique_ptr<FolderRuns>> folders_;
};

}  // namespace ailab::runs
