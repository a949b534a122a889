#include "runs/run_table.hpp"

#include <mutex>

namespace ailab::runs {

void RunTable::insert(const std::vector<RunPointer>& runs) {
    std::unique_lock lock(mutex_);
    for (const auto& run : runs) {
        by_path_[run->path] = run;
        by_id_[run->id] = run;
    }
}

void RunTable::insert(const RunPointer& run) {
    std::unique_lock lock(mutex_);
    by_path_[run->path] = run;
    by_id_[run->id] = run;
}

std::vector<RunPointer> RunTable::remove_subtree(const std::string& path) {
    std::vector<RunPointer> gone;
    if (auto it = by_path_.find(path); it != by_path_.end()) gone.push_back(it->second);
    std::string prefix = path.empty() ? "" : path + "/";
    for (auto it = by_path_.lower_bound(prefix); it != by_path_.end() && it->first.starts_with(prefix); ++it) {
        if (it->first != path) gone.push_back(it->second);
    }
    if (gone.empty()) return gone;
    std::unique_lock lock(mutex_);
    for (const auto& run : gone) {
        by_path_.erase(run->path);
        by_id_.erase(run->id);
    }
    return gone;
}

RunPointer RunTable::at_path(const std::string& path) const {
    auto it = by_path_.find(path);
    return it == by_path_.end() ? nullptr : it->second;
}

RunPointer RunTable::at_id(const std::string& id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
}

RunPointer RunTable::find(const std::string& id) const {
    std::shared_lock lock(mutex_);
    return at_id(id);
}

std::size_t RunTable::size() const {
    std::shared_lock lock(mutex_);
    return by_path_.size();
}

}  // namespace ailab::runs
