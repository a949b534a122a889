#include "files/changes.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>

#include "files/paths.hpp"

namespace ailab::files {
namespace {

bool inside_trash(std::string_view path) {
    return path == trash_folder || (path.starts_with(trash_folder) && path[trash_folder.size()] == '/');
}

core::Error read_only(const std::string& path) {
    return core::Error::from_errno(EACCES, path + " is (or holds) a file of the job's snapshot, which is read-only");
}

// Whether `path`, what it names through links inside the root, or anything below it is read-only.
bool touches_read_only(const Root& root, const std::string& path) {
    if (root.read_only_paths.empty()) return false;
    auto holds = [&](const std::string& prefix) {
        if (prefix.empty() || root.is_read_only(prefix)) return true;  // "" is the root: it holds them all
        const auto below = prefix + "/";
        auto next = root.read_only_paths.lower_bound(below);
        return next != root.read_only_paths.end() && next->starts_with(below);
    };
    if (holds(path)) return true;
    // The same entry under its canonical name (a folder reached through a link).
    auto parent = root.folder->open_folder(parent_of(path));
    if (!parent) return false;
    auto where = relative_path_of(*root.folder, parent->get());
    if (!where) return true;
    return holds(where->empty() ? name_of(path) : *where + "/" + name_of(path));
}

std::string today() {
    const std::time_t now = std::time(nullptr);
    std::tm parts{};
    ::gmtime_r(&now, &parts);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &parts);
    return text;
}

}  // namespace

core::Status make_folder(const Root& root, const std::string& path) {
    if (path.empty()) return core::Error::from_errno(EEXIST, "the root exists");
    auto parent = root.folder->open_folder(parent_of(path));
    if (!parent) return parent.error();
    if (::mkdirat(parent->get(), name_of(path).c_str(), 0755) != 0)
        return core::Error::from_errno(errno, "cannot create the folder " + path);
    return {};
}

core::Status move_entry(const Root& root, const std::string& from, const std::string& to) {
    if (from.empty() || to.empty()) return core::Error::invalid("the root itself cannot be moved or replaced");
    if (touches_read_only(root, from)) return read_only(from);
    if (root.is_read_only(to)) return read_only(to);
    return root.folder->rename_noreplace(from, to);
}

core::Result<std::string> trash_entry(const Root& root, const std::string& path) {
    if (path.empty()) return core::Error::invalid("the root itself cannot be trashed");
    if (inside_trash(path)) return core::Error::invalid(path + " is in the trash already");
    if (touches_read_only(root, path)) return read_only(path);
    // The entry must exist (a link itself counts) before folders are made for it.
    auto parent = root.folder->open_folder(parent_of(path));
    if (!parent) return parent.error();
    struct stat status {};
    if (::fstatat(parent->get(), name_of(path).c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0)
        return core::Error::from_errno(errno, "cannot trash " + path);
    const auto date = today();
    for (int attempt = 1; attempt <= 1000; ++attempt) {
        const auto day = std::string(trash_folder) + "/" + date + (attempt == 1 ? "" : "-" + std::to_string(attempt));
        const auto target = day + "/" + path;
        if (auto made = root.folder->make_folders(parent_of(target)); !made) return made.error();
        auto moved = root.folder->rename_noreplace(path, target);
        if (moved) return target;
        if (!moved.error().is(boost::system::errc::file_exists)) return moved.error();
    }
    return core::Error::from_errno(EEXIST, "cannot trash " + path + ": the trash of today is full of it");
}

core::Result<std::string> restore_entry(const Root& root, const std::string& trash_path) {
    // .ailab-trash/<day>/<path…>
    const auto prefix_end = trash_path.find('/', trash_folder.size() + 1);
    if (!inside_trash(trash_path) || prefix_end == std::string::npos || prefix_end + 1 >= trash_path.size())
        return core::Error::invalid("not a trash path (\".ailab-trash/<date>/<path>\"): " + trash_path);
    const auto original = trash_path.substr(prefix_end + 1);
    if (inside_trash(original)) return core::Error::invalid("cannot restore into the trash: " + trash_path);
    if (root.is_read_only(original)) return read_only(original);
    if (auto made = root.folder->make_folders(parent_of(original)); !made) return made.error();
    if (auto moved = root.folder->rename_noreplace(trash_path, original); !moved) return moved.error();
    return original;
}

}  // namespace ailab::files
