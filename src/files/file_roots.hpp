#pragma once
// The Roots of the server (roots.hpp): "project:<name>" through Projects, "run:<id>" through the
// RunService (the run's folder below results), "job:<id>" through the JobService (the job's
// folder's work/, with the paths of its snapshot's manifest read-only). Each folder's ConfinedRoot
// is opened once and cached; a cached one is opened again when the folder at that path is no
// longer the same (removed and made again). A run or job folder that appears later is found then.
// Thread-safe.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "files/projects.hpp"
#include "files/roots.hpp"

namespace ailab::runs {
class RunService;
}
namespace ailab::jobs {
class JobService;
}

namespace ailab::files {

class FileRoots final : public Roots {
public:
    // `runs` and `jobs` may be null (those roots are then unknown: 404). All must outlive this.
    FileRoots(const Projects& projects, runs::RunService* runs, jobs::JobService* jobs);

    core::Result<Root> resolve(std::string_view text) const override;

private:
    core::Result<std::shared_ptr<const core::ConfinedRoot>> folder(const std::filesystem::path& path) const;
    core::Result<std::set<std::string, std::less<>>> read_only_paths(const std::string& snapshot) const;

    const Projects& projects_;
    runs::RunService* runs_;
    jobs::JobService* jobs_;

    mutable std::mutex mutex_;  // guards the two caches
    mutable std::map<std::filesystem::path, std::shared_ptr<const core::ConfinedRoot>> folders_;
    // snapshot id -> its manifest's paths (snapshots never change)
    mutable std::map<std::string, std::shared_ptr<const std::set<std::string, std::less<>>>> snapshots_;
};

}  // namespace ailab::files
