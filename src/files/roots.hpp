#pragma once
// The roots of every file operation (docs/API.md "Projects and files"): "project:<name>",
// "run:<id>", "job:<id>". A root resolves to a ConfinedRoot, so no path given with it can leave the
// folder (openat2 RESOLVE_BENEATH, or the checked walk), and says which of its paths are read-only
// (a job's snapshot files). Thread-safe.

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "core/confined.hpp"
#include "core/error.hpp"

namespace ailab::files {

enum class RootKind { project, run, job };

struct Root {
    RootKind kind = RootKind::project;
    std::string name;                                    // "project:vision" as the client wrote it
    std::shared_ptr<const core::ConfinedRoot> folder;    // the confined folder
    std::set<std::string, std::less<>> read_only_paths;  // relative paths that may not change (job snapshots)
    bool is_read_only(std::string_view path) const { return read_only_paths.contains(path); }
};

class Roots {
public:
    virtual ~Roots() = default;
    // Errors: invalid_argument (400) for a malformed root text, no_such_file_or_directory (404) for
    // an unknown project, run or job.
    virtual core::Result<Root> resolve(std::string_view root) const = 0;
};

}  // namespace ailab::files
