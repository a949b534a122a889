#pragma once
// Watching the results folder for change: inotify where it can, stat() polling where it must
// (network file systems, beyond the inotify watch limit, and everything every 10 × poll_interval
// as a safety net). The watcher only says *which* paths changed; reading them is the indexer's
// job, listing folders the worker's.
//
// Worker thread only, except watching(), which any thread may call.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/fd.hpp"
#include "runs/run_table.hpp"
#include "runs/settings.hpp"
#include "runs/tracked.hpp"

namespace ailab::runs {

enum class WatchKind { folder, run };
enum class PollScope {
    unwatched,   // what inotify cannot see, and of the runs only the active ones
    everything,  // every folder and every log
};

// What changed, as relative paths.
struct WatchReport {
    std::set<std::string> folders;    // list these again
    std::vector<std::string> runs;    // read these logs (run paths; may repeat)
    std::vector<std::string> params;  // read these runs' config files again (run paths; may repeat)
    // Watches the kernel dropped (the folder was deleted); the caller forgets their ids.
    std::vector<std::pair<std::string, WatchKind>> dropped;
    bool overflow = false;  // events were lost: poll everything
};

class Watcher {
public:
    Watcher(std::filesystem::path results, const Settings& settings);

    // Looks at the file system of results, then watches every folder and run tracked so far (in
    // TrackedFolder::watch and Run::watch). Called once, when the worker starts.
    void watch_all(FolderMap& folders, const RunTable& table);
    // A watch of results/relative, or -1 (no inotify, the limit reached, or the folder is gone).
    int add(const std::string& relative, WatchKind kind);
    // Removes a watch and sets it to -1; nothing when it is -1 already.
    void remove(int& watch);

    // The inotify descriptor to poll() for, or -1.
    int descriptor() const { return inotify_.get(); }
    // Reads every pending inotify event into report.
    void read_events(WatchReport& report);
    // stat()s the folders and logs that scope asks for and reports those that changed.
    void poll(PollScope scope, const FolderMap& folders, const RunTable& table, WatchReport& report) const;

    // Whether inotify covers the whole tree on a local file system. Any thread.
    bool watching() const { return watching_.load(); }
    bool network_file_system() const { return network_file_system_; }

private:
    struct Target {
        std::string path;
        WatchKind kind;
    };

    std::filesystem::path results_;
    Settings settings_;
    core::OwnedFd inotify_;
    bool network_file_system_ = false;
    bool limit_reached_ = false;
    std::atomic<bool> watching_{false};
    std::unordered_map<int, Target> targets_;  // by watch descriptor
};

}  // namespace ailab::runs
