#pragma once
// Projects (docs/API.md "Projects and files"): the config's `projects` (name -> folder); with
// auto-detection on, every folder directly under `workspace` (scanned on each call, so new folders
// appear at once); and projects created through the API (folders under `workspace`, remembered in
// `<queue>/projects.json` while auto-detection is off). The user's config file is never written.
// Thread-safe: create() is serialised by a mutex; the rest reads the file system.

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"

namespace ailab::files {

enum class ProjectSource { config, automatic, created };
std::string_view source_name(ProjectSource source);  // "config", "auto", "created"

struct Project {
    std::string name;
    std::filesystem::path path;
    ProjectSource source = ProjectSource::config;
};

enum class AutoDetect { off, on };

class Projects {
public:
    Projects(std::filesystem::path workspace, std::map<std::string, std::filesystem::path> configured,
             AutoDetect auto_detect, const std::filesystem::path& queue);
    static Projects from_config(const core::Config& config);

    // Config projects first, then the others, each group sorted by name; a name appears once
    // (config wins over a folder of the same name).
    std::vector<Project> list() const;
    std::optional<Project> find(std::string_view name) const;
    // Creates workspace/<name>. invalid_argument for a bad name (see is_valid_name), file_exists
    // when a project or folder of that name exists; an I/O error otherwise.
    core::Result<Project> create(std::string_view name);

    // A name is 1..255 bytes, with no "/", "\\", control characters, and no leading "." (which
    // also rules out "." and "..").
    static core::Status check_name(std::string_view name);

private:
    std::vector<std::string> created_names() const;  // from projects.json ("" list when absent)
    core::Status remember(const std::string& name);  // adds to projects.json, atomically

    std::filesystem::path workspace_;
    std::map<std::string, std::filesystem::path> configured_;
    AutoDetect auto_detect_;
    std::filesystem::path state_file_;  // <queue>/projects.json
    std::mutex create_mutex_;           // guards create() and the state file
};

}  // namespace ailab::files
