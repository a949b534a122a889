#include "runs/service.hpp"

#include <algorithm>

#include "runs/discovery.hpp"

namespace ailab::runs {

RunService::RunService(std::filesystem::path results, const Settings& settings, net::Hub& hub)
    : RunService(std::vector<ResultsFolder>{{"", std::move(results)}}, settings, hub) {}

RunService::RunService(const std::vector<ResultsFolder>& folders, const Settings& settings, net::Hub& hub) {
    for (const auto& folder : folders) {
        Settings scoped = settings;
        scoped.scope = folders.size() > 1 ? folder.name : std::string();
        folders_.push_back(std::make_unique<FolderRuns>(folder.path, scoped, hub));
    }
}

RunService::~RunService() { stop(); }

void RunService::start() {
    for (auto& folder : folders_) folder->start();
}

void RunService::stop() {
    for (auto& folder : folders_) folder->stop();
}

FolderRuns* RunService::owner(const std::string& id) const {
    if (folders_.size() == 1) return folders_.front().get();
    for (const auto& folder : folders_)
        if (folder->folder_of(id)) return folder.get();
    return nullptr;
}

std::map<std::string, std::size_t> RunService::count_by_state() const {
    std::map<std::string, std::size_t> counts;
    for (const auto& folder : folders_)
        for (const auto& [state, count] : folder->count_by_state()) counts[state] += count;
    return counts;
}

std::vector<RunSummary> RunService::list() const {
    if (folders_.size() == 1) return folders_.front()->list();
    std::vector<RunSummary> all;
    for (const auto& folder : folders_) {
        auto some = folder->list();
        all.insert(all.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
    }
    std::sort(all.begin(), all.end(), [](const RunSummary& a, const RunSummary& b) { return a.path < b.path; });
    return all;
}

std::optional<RunSummary> RunService::summary(const std::string& id) const {
    auto* folder = owner(id);
    return folder ? folder->summary(id) : std::nullopt;
}

std::optional<RunDetail> RunService::detail(const std::string& id) const {
    auto* folder = owner(id);
    return folder ? folder->detail(id) : std::nullopt;
}

std::optional<RunImages> RunService::images(const std::string& id) const {
    auto* folder = owner(id);
    return folder ? folder->images(id) : std::nullopt;
}

core::Result<ImageBytes> RunService::image(const std::string& id, std::size_t index) const {
    auto* folder = owner(id);
    if (!folder) return no_such_run(id);
    return folder->image(id, index);
}

std::optional<std::filesystem::path> RunService::folder_of(const std::string& id) const {
    auto* folder = owner(id);
    return folder ? folder->folder_of(id) : std::nullopt;
}

std::vector<RunParamsText> RunService::all_params() const {
    if (folders_.size() == 1) return folders_.front()->all_params();
    std::vector<RunParamsText> all;
    for (const auto& folder : folders_) {
        auto some = folder->all_params();
        all.insert(all.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
    }
    return all;
}

std::vector<RunValues> RunService::all_values() const {
    if (folders_.size() == 1) return folders_.front()->all_values();
    std::vector<RunValues> all;
    for (const auto& folder : folders_) {
        auto some = folder->all_values();
        all.insert(all.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
    }
    return all;
}

core::Result<MetricsResult> RunService::metrics(const std::string& id, const MetricsQuery& query) const {
    auto* folder = owner(id);
    if (!folder) return no_such_run(id);
    return folder->metrics(id, query);
}

core::Result<ExportedPoints> RunService::export_points(const std::string& id, ExportFormat format) const {
    auto* folder = owner(id);
    if (!folder) return no_such_run(id);
    return folder->export_points(id, format);
}

CleanupResult RunService::cleanup(const std::vector<std::string>& ids, CleanupScope scope) {
    if (folders_.size() == 1) return folders_.front()->cleanup(ids, scope);
    // Each folder's worker moves its own runs; an id no folder holds is answered here.
    CleanupResult result;
    std::vector<std::vector<std::string>> by_folder(folders_.size());
    for (const auto& id : ids) {
        std::size_t i = 0;
        while (i < folders_.size() && !folders_[i]->folder_of(id)) ++i;
        if (i == folders_.size())
            result.errors.push_back({id, no_such_run(id).message});
        else
            by_folder[i].push_back(id);
    }
    for (std::size_t i = 0; i < folders_.size(); ++i) {
        if (by_folder[i].empty()) continue;
        auto part = folders_[i]->cleanup(by_folder[i], scope);
        result.moved.insert(result.moved.end(), part.moved.begin(), part.moved.end());
        result.errors.insert(result.errors.end(), part.errors.begin(), part.errors.end());
    }
    return result;
}

std::vector<TrashItem> RunService::trash() const {
    if (folders_.size() == 1) return folders_.front()->trash();
    std::vector<TrashItem> all;
    for (const auto& folder : folders_) {
        auto some = folder->trash();
        all.insert(all.end(), some.begin(), some.end());
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const TrashItem& a, const TrashItem& b) { return a.moved_at > b.moved_at; });
    return all;
}

RestoreResult RunService::restore(const std::vector<std::string>& trash_paths) {
    if (folders_.size() == 1) return folders_.front()->restore(trash_paths);
    // "<name>/<path in that folder>": the folder is the first segment.
    RestoreResult result;
    std::vector<std::vector<std::string>> by_folder(folders_.size());
    for (const auto& trash_path : trash_paths) {
        auto slash = trash_path.find('/');
        std::string name = trash_path.substr(0, slash);
        std::size_t i = 0;
        while (i < folders_.size() && folders_[i]->scope() != name) ++i;
        if (i == folders_.size() || slash == std::string::npos) {
            result.errors.push_back({trash_path, "no results folder named \"" + name +
                                                     "\": with several results folders a trash path starts "
                                                     "with the folder's name"});
            continue;
        }
        by_folder[i].push_back(trash_path.substr(slash + 1));
    }
    for (std::size_t i = 0; i < folders_.size(); ++i) {
        if (by_folder[i].empty()) continue;
        auto part = folders_[i]->restore(by_folder[i]);
        result.restored.insert(result.restored.end(), part.restored.begin(), part.restored.end());
        result.errors.insert(result.errors.end(), part.errors.begin(), part.errors.end());
    }
    return result;
}

bool RunService::wait_until_indexed(std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (const auto& folder : folders_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (!folder->wait_until_indexed(std::max(left, std::chrono::milliseconds(0)))) return false;
    }
    return true;
}

void RunService::poll_now() {
    for (auto& folder : folders_) folder->poll_now();
}

bool RunService::watching() const {
    return std::all_of(folders_.begin(), folders_.end(), [](const auto& folder) { return folder->watching(); });
}

std::size_t RunService::history_bytes() const {
    std::size_t bytes = 0;
    for (const auto& folder : folders_) bytes += folder->history_bytes();
    return bytes;
}

}  // namespace ailab::runs
