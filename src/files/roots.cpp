#include <sys/stat.h>

#include <charconv>

#include "files/file_roots.hpp"
#include "jobs/service.hpp"
#include "runs/service.hpp"
#include "sync/manifest.hpp"

namespace ailab::files {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_cached_folders = 256;

core::Error unknown(std::string message) { return core::Error::from_errno(ENOENT, std::move(message)); }

bool same_folder(const core::ConfinedRoot& cached, const fs::path& path) {
    struct stat now {};
    struct stat opened {};
    return ::stat(path.c_str(), &now) == 0 && ::fstat(cached.fd(), &opened) == 0 && now.st_dev == opened.st_dev &&
           now.st_ino == opened.st_ino;
}

}  // namespace

FileRoots::FileRoots(const Projects& projects, runs::RunService* runs, jobs::JobService* jobs)
    : projects_(projects), runs_(runs), jobs_(jobs) {}

core::Result<std::shared_ptr<const core::ConfinedRoot>> FileRoots::folder(const fs::path& path) const {
    {
        std::lock_guard lock(mutex_);
        if (auto found = folders_.find(path); found != folders_.end() && same_folder(*found->second, path))
            return found->second;
    }
    auto opened = core::ConfinedRoot::open(path);
    if (!opened) {
        if (opened.error().is(boost::system::errc::no_such_file_or_directory) ||
            opened.error().is(boost::system::errc::not_a_directory))
            return unknown("the root's folder " + path.string() + " does not exist");
        return opened.error();
    }
    auto shared = std::make_shared<const core::ConfinedRoot>(std::move(*opened));
    std::lock_guard lock(mutex_);
    // Each cached root holds a descriptor: a server that browsed thousands of runs and jobs starts
    // the cache again rather than run out of them (roots in use are kept alive by their holders).
    if (folders_.size() >= max_cached_folders) folders_.clear();
    folders_[path] = shared;
    return shared;
}

core::Result<std::set<std::string, std::less<>>> FileRoots::read_only_paths(const std::string& snapshot) const {
    {
        std::lock_guard lock(mutex_);
        if (auto found = snapshots_.find(snapshot); found != snapshots_.end()) return *found->second;
    }
    auto record = jobs_->snapshot(snapshot);
    if (!record) return record.error();
    auto paths = std::make_shared<std::set<std::string, std::less<>>>();
    if (*record) {
        sync::ManifestError error;
        sync::Limits unlimited{INT64_MAX, INT64_MAX, INT64_MAX};
        auto manifest = sync::parse_manifest((*record)->manifest_json, unlimited, error);
        if (!manifest) return core::Error::invalid("the snapshot " + snapshot + " is unreadable: " + error.message);
        for (const auto& entry : manifest->files) paths->insert(entry.path);
    }
    std::lock_guard lock(mutex_);
    snapshots_[snapshot] = paths;
    return *paths;
}

core::Result<Root> FileRoots::resolve(std::string_view text) const {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon + 1 == text.size())
        return core::Error::invalid("a root is \"project:<name>\", \"run:<id>\" or \"job:<id>\", not \"" +
                                    std::string(text) + "\"");
    const auto kind = text.substr(0, colon);
    const std::string name(text.substr(colon + 1));
    Root root;
    root.name = std::string(text);
    if (kind == "project") {
        root.kind = RootKind::project;
        auto project = projects_.find(name);
        if (!project) return unknown("no project \"" + name + "\"");
        auto opened = folder(project->path);
        if (!opened) return opened.error();
        root.folder = std::move(*opened);
        return root;
    }
    if (kind == "run") {
        root.kind = RootKind::run;
        if (name.find('\0') != std::string::npos) return core::Error::invalid("a run id holds a NUL byte");
        auto run_folder = runs_ != nullptr ? runs_->folder_of(name) : std::nullopt;  // in whichever results folder
        if (!run_folder) return unknown("no run \"" + name + "\"");
        auto opened = folder(*run_folder);
        if (!opened) return opened.error();
        root.folder = std::move(*opened);
        return root;
    }
    if (kind == "job") {
        root.kind = RootKind::job;
        std::int64_t id = 0;
        auto parsed = std::from_chars(name.data(), name.data() + name.size(), id);
        if (parsed.ec != std::errc() || parsed.ptr != name.data() + name.size() || id < 1)
            return core::Error::invalid("a job root is \"job:<number>\", not \"" + std::string(text) + "\"");
        if (jobs_ == nullptr) return unknown("no job " + name);
        auto job = jobs_->get(id);
        if (!job) return job.error();
        if (!*job) return unknown("no job " + name);
        auto opened = folder(jobs_->job_folder(id) / "work");
        if (!opened) return unknown("the job " + name + " has no folder yet (it has not started)");
        root.folder = std::move(*opened);
        if (!(*job)->snapshot.empty()) {
            auto paths = read_only_paths((*job)->snapshot);
            if (!paths) return paths.error();
            root.read_only_paths = std::move(*paths);
        }
        return root;
    }
    return core::Error::invalid("a root starts with \"project:\", \"run:\" or \"job:\", not \"" + std::string(text) +
                                "\"");
}

}  // namespace ailab::files
