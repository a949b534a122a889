#include "files/projects.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <set>

#include "core/fd.hpp"
#include "core/file.hpp"

namespace ailab::files {
namespace fs = std::filesystem;
namespace json = boost::json;

std::string_view source_name(ProjectSource source) {
    switch (source) {
    case ProjectSource::config: return "config";
    case ProjectSource::automatic: return "auto";
    case ProjectSource::created: return "created";
    }
    return "config";
}

Projects::Projects(fs::path workspace, std::map<std::string, fs::path> configured, AutoDetect auto_detect,
                   const fs::path& queue)
    : workspace_(std::move(workspace)),
      configured_(std::move(configured)),
      auto_detect_(auto_detect),
      state_file_(queue.empty() ? fs::path() : queue / "projects.json") {}

Projects Projects::from_config(const core::Config& config) {
    return Projects(config.workspace, config.projects,
                    config.auto_detect_experiments ? AutoDetect::on : AutoDetect::off, config.queue);
}

core::Status Projects::check_name(std::string_view name) {
    if (name.empty()) return core::Error::invalid("a project needs a name");
    if (name.size() > 255) return core::Error::invalid("a project name is at most 255 bytes");
    if (name.front() == '.') return core::Error::invalid("a project name may not start with \".\"");
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '/' || c == '\\') return core::Error::invalid("a project name may not hold \"/\" or \"\\\"");
        if (byte < 0x20 || byte == 0x7f) return core::Error::invalid("a project name may not hold control characters");
    }
    return {};
}

std::vector<std::string> Projects::created_names() const {
    std::vector<std::string> names;
    if (state_file_.empty()) return names;
    auto text = core::read_small_file(state_file_);
    if (!text) return names;
    boost::system::error_code error;
    auto value = json::parse(*text, error);
    if (error || !value.is_object()) return names;
    if (const auto* list = value.as_object().if_contains("projects"); list != nullptr && list->is_array())
        for (const auto& entry : list->as_array())
            if (entry.is_string() && check_name(entry.as_string())) names.emplace_back(entry.as_string());
    return names;
}

std::vector<Project> Projects::list() const {
    std::vector<Project> projects;
    std::set<std::string, std::less<>> seen;
    for (const auto& [name, path] : configured_) {
        projects.push_back({name, path, ProjectSource::config});
        seen.insert(name);
    }
    std::vector<Project> others;
    if (auto_detect_ == AutoDetect::on && !workspace_.empty()) {
        std::error_code error;
        for (fs::directory_iterator it(workspace_, error), end; !error && it != end; it.increment(error)) {
            const auto name = it->path().filename().string();
            std::error_code type_error;
            if (!check_name(name) || !it->is_directory(type_error) || seen.contains(name)) continue;
            others.push_back({name, it->path(), ProjectSource::automatic});
            seen.insert(name);
        }
    }
    for (const auto& name : created_names()) {
        if (seen.contains(name)) continue;
        std::error_code error;
        if (!fs::is_directory(workspace_ / name, error)) continue;  // removed by hand since
        others.push_back({name, workspace_ / name, ProjectSource::created});
        seen.insert(name);
    }
    std::sort(others.begin(), others.end(), [](const Project& a, const Project& b) { return a.name < b.name; });
    projects.insert(projects.end(), std::make_move_iterator(others.begin()), std::make_move_iterator(others.end()));
    return projects;
}

std::optional<Project> Projects::find(std::string_view name) const {
    if (auto found = configured_.find(std::string(name)); found != configured_.end())
        return Project{found->first, found->second, ProjectSource::config};
    if (!check_name(name) || workspace_.empty()) return std::nullopt;
    std::error_code error;
    const auto folder = workspace_ / std::string(name);
    if (!fs::is_directory(folder, error)) return std::nullopt;
    if (auto_detect_ == AutoDetect::on) return Project{std::string(name), folder, ProjectSource::automatic};
    for (const auto& created : created_names())
        if (created == name) return Project{std::string(name), folder, ProjectSource::created};
    return std::nullopt;
}

core::Status Projects::remember(const std::string& name) {
    auto names = created_names();
    if (std::find(names.begin(), names.end(), name) != names.end()) return {};
    names.push_back(name);
    json::array list;
    for (const auto& entry : names) list.emplace_back(entry);
    const std::string text = json::serialize(json::object{{"projects", std::move(list)}}) + "\n";
    // A temporary file beside it, then rename: a crash leaves the old list or the new one.
    const auto temporary = state_file_.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) return core::Error::from_errno(EIO, "cannot write " + temporary);
    }
    if (::rename(temporary.c_str(), state_file_.c_str()) != 0)
        return core::Error::from_errno(errno, "cannot write " + state_file_.string());
    return {};
}

core::Result<Project> Projects::create(std::string_view name) {
    if (auto valid = check_name(name); !valid) return valid.error();
    if (workspace_.empty()) return core::Error::invalid("the config names no workspace to create projects in");
    std::lock_guard lock(create_mutex_);
    const std::string text(name);
    if (configured_.contains(text))
        return core::Error::from_errno(EEXIST, "the project \"" + text + "\" exists (in the config)");
    const auto folder = workspace_ / text;
    // mkdir relative to the workspace's descriptor: the name is one component, and an existing
    // entry of any kind (a folder, a file, a link) is refused by the kernel (EEXIST).
    core::OwnedFd workspace(::open(workspace_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!workspace) return core::Error::from_errno(errno, "cannot open the workspace " + workspace_.string());
    if (::mkdirat(workspace.get(), text.c_str(), 0755) != 0) {
        if (errno == EEXIST)
            return core::Error::from_errno(EEXIST, "the project folder " + folder.string() + " exists");
        return core::Error::from_errno(errno, "cannot create the project folder " + folder.string());
    }
    if (auto_detect_ == AutoDetect::on) return Project{text, folder, ProjectSource::automatic};
    if (state_file_.empty()) return core::Error::invalid("the config names no state folder to remember projects in");
    if (auto kept = remember(text); !kept) return kept.error();
    return Project{text, folder, ProjectSource::created};
}

}  // namespace ailab::files
