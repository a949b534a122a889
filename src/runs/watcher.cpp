#include "runs/watcher.hpp"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

#include "runs/discovery.hpp"
#include "runs/format.hpp"
#include "runs/params_reader.hpp"

namespace ailab::runs {

namespace {

// File systems where inotify does not see changes made by other machines.
bool is_network_file_system(const std::filesystem::path& path) {
    struct statfs info {};
    if (::statfs(path.c_str(), &info) != 0) return false;
    switch (static_cast<unsigned long>(info.f_type)) {
    case 0x6969:      // NFS
    case 0x517B:      // SMB
    case 0xFF534D42:  // CIFS
    case 0xFE534D42:  // SMB2
    case 0x65735546:  // FUSE (sshfs, s3fs, ...)
    case 0x00C36400:  // Ceph
    case 0x73757245:  // Coda
    case 0x5346414F:  // AFS
    case 0x01021997:  // 9p
    case 0x564C:      // NCP
    case 0x0BD00BD0:  // Lustre
    case 0x47504653:  // GPFS
    case 0x01161970:  // GFS2
    case 0x7461636F:  // OCFS2
        return true;
    default: return false;
    }
}

// Whether an event on `name` in a run's folder may change the run's records: any format's files
// (the run's marker may have been replaced by another format's).
bool is_record_file(std::string_view name) {
    return std::ranges::any_of(all_formats(), [name](const Format& format) { return format.watches(name); });
}

}  // namespace

Watcher::Watcher(std::filesystem::path results, const Settings& settings)
    : results_(std::move(results)), settings_(settings), inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}

void Watcher::watch_all(FolderMap& folders, const RunTable& table) {
    network_file_system_ = is_network_file_system(results_);
    bool all_watched = static_cast<bool>(inotify_);
    for (auto& [path, folder] : folders) {
        folder.watch = add(path, WatchKind::folder);
        all_watched = all_watched && folder.watch >= 0;
    }
    for (const auto& [path, run] : table.by_path()) {
        run->watch = add(path, WatchKind::run);
        all_watched = all_watched && run->watch >= 0;
    }
    watching_ = all_watched && !network_file_system_;
    if (network_file_system_)
        spdlog::info("runs: {} is a network file system: polling every {} ms", results_.string(),
                     settings_.poll_interval.count());
}

int Watcher::add(const std::string& relative, WatchKind kind) {
    if (!inotify_ || limit_reached_) return -1;
    std::uint32_t mask =
        IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
    if (kind == WatchKind::run) mask |= IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB;
    std::string path = join_path(results_, relative);
    int watch = ::inotify_add_watch(inotify_.get(), path.c_str(), mask);
    if (watch < 0) {
        if (errno == ENOSPC) {
            limit_reached_ = true;
            watching_ = false;
            spdlog::warn(
                "runs: inotify watch limit reached (fs.inotify.max_user_watches); the rest is polled every {} ms",
                settings_.poll_interval.count());
        }
        return -1;
    }
    targets_[watch] = Target{relative, kind};
    return watch;
}

void Watcher::remove(int& watch) {
    if (watch < 0) return;
    ::inotify_rm_watch(inotify_.get(), watch);
    targets_.erase(watch);
    watch = -1;
}

void Watcher::read_events(WatchReport& report) {
    if (!inotify_) return;
    alignas(struct inotify_event) char events[64 * 1024];
    while (true) {
        ssize_t length = ::read(inotify_.get(), events, sizeof events);
        if (length <= 0) return;
        for (ssize_t position = 0; position < length;) {
            auto* event = reinterpret_cast<struct inotify_event*>(events + position);
            position += static_cast<ssize_t>(sizeof(struct inotify_event) + event->len);
            if (event->mask & IN_Q_OVERFLOW) {
                report.overflow = true;
                continue;
            }
            auto it = targets_.find(event->wd);
            if (it == targets_.end()) continue;
            if (event->mask & IN_IGNORED) {
                // The kernel dropped the watch (folder deleted): forget it, polling takes over.
                report.dropped.emplace_back(it->second.path, it->second.kind);
                if (!it->second.path.empty()) report.folders.insert(parent_path(it->second.path));
                targets_.erase(it);
                continue;
            }
            const Target& target = it->second;
            std::string_view name = event->len ? std::string_view(event->name) : std::string_view();
            if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                report.folders.insert(target.path.empty() ? "" : parent_path(target.path));
                continue;
            }
            if (target.kind == WatchKind::run) {
                // Every format's names: the run's marker may have been replaced by another one.
                if (name.empty() || is_record_file(name))
                    report.runs.push_back(target.path);
                else if (is_params_file(name))
                    report.params.push_back(target.path);
            } else if (event->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)) {
                if (!name.empty() && name.front() == '.') continue;
                report.folders.insert(target.path);
            }
        }
    }
}

void Watcher::poll(PollScope scope, const FolderMap& folders, const RunTable& table, WatchReport& report) const {
    bool everything = scope == PollScope::everything;
    bool trust_watches = !network_file_system_;
    for (const auto& [path, folder] : folders) {
        if (!everything && trust_watches && folder.watch >= 0) continue;
        struct stat status {};
        std::string full = join_path(results_, path);
        std::int64_t mtime = 0;
        if (::stat(full.c_str(), &status) == 0)
            mtime = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
        if (mtime != folder.mtime_ns) report.folders.insert(path);
    }
    for (const auto& [path, run] : table.by_path()) {
        bool watched = trust_watches && run->watch >= 0 && !run->always_polled;
        if (!everything && (watched || !run->active)) continue;
        if (run->reader->changed_on_disk(run->folder_path) || run->access != LogAccess::readable)
            report.runs.push_back(path);
    }
    // Config files: inotify reports them on watched runs; the others are stat()ed here.
    if (!everything) return;
    for (const auto& [path, run] : table.by_path()) {
        if (trust_watches && run->watch >= 0) continue;
        if (params_stamp(join_path(results_, path)) != run->params_stamp) report.params.push_back(path);
    }
}

}  // namespace ailab::runs
