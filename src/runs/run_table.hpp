#pragma once
// The run table: every run found, by relative path and by id.
//
// One writer: the worker thread (and the cold start before the worker runs). The writer changes
// the table under an exclusive lock and reads it without one; every other thread reads under the
// shared lock and then locks the run it looks at (Run::mutex), in that order.

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "runs/tracked.hpp"

namespace ailab::runs {

class RunTable {
public:
    // --- The writer only. ---
    // Adds runs, replacing any at the same path or id.
    void insert(const std::vector<RunPointer>& runs);
    void insert(const RunPointer& run);
    // Takes the run at path and every run below it out of the table and returns them.
    std::vector<RunPointer> remove_subtree(const std::string& path);
    // Lookups and the whole table, without a lock.
    RunPointer at_path(const std::string& path) const;
    RunPointer at_id(const std::string& id) const;
    const std::map<std::string, RunPointer>& by_path() const { return by_path_; }

    // --- Any thread. ---
    RunPointer find(const std::string& id) const;
    // Calls visit(const Run&) for every run in path order, with the table locked shared and the
    // run's mutex held. visit must not call back into the table.
    template <class Visit>
    void visit_locked(Visit&& visit) const {
        std::shared_lock lock(mutex_);
        for (const auto& [path, run] : by_path_) {
            std::lock_guard run_lock(run->mutex);
            visit(*run);
        }
    }
    std::size_t size() const;

private:
    mutable std::shared_mutex mutex_;  // guards both maps (see the header comment)
    std::map<std::string, RunPointer> by_path_;
    std::unordered_map<std::string, RunPointer> by_id_;
};

}  // namespace ailab::runs
