#include "runs/trash.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "core/confined.hpp"
#include "runs/discovery.hpp"

namespace ailab::runs {

namespace fs = std::filesystem;

std::string local_date(double unix_seconds) {
    std::time_t time = static_cast<std::time_t>(unix_seconds);
    std::tm local{};
    localtime_r(&time, &local);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &local);
    return text;
}

core::Result<std::vector<std::string>> checked_parts(std::string_view relative) {
    if (relative.empty() || relative.front() == '/')
        return core::Error::invalid("not a relative path: " + std::string(relative));
    if (relative.find('\0') != std::string_view::npos) return core::Error::invalid("a path holds a NUL byte");
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        auto slash = relative.find('/', start);
        auto part = relative.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (part.empty() || part == "." || part == "..")
            return core::Error::invalid("not a clean path: " + std::string(relative));
        parts.emplace_back(part);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return parts;
}

namespace {

bool is_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    constexpr std::size_t digit_positions[] = {0, 1, 2, 3, 5, 6, 8, 9};
    return std::ranges::all_of(digit_positions, [&text](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; });
}

std::string parent_of(std::string_view relative) {
    auto slash = relative.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(relative.substr(0, slash));
}

core::Result<core::ConfinedRoot> open_results(const fs::path& results) {
    auto root = core::ConfinedRoot::open(results);
    if (!root) return core::Error::from(root.error(), "cannot open the results folder");
    return root;
}

// Moves `from` to `to` beneath root: the source must be a folder beneath it (a link counts when
// it resolves to one there), the target's parents are made, and nothing is ever replaced.
core::Status move_folder(const core::ConfinedRoot& root, const std::string& from, const std::string& to) {
    if (auto source = root.open_folder(from); !source) return source.error();
    if (auto made = root.make_folders(parent_of(to)); !made) return made.error();
    return root.rename_noreplace(from, to);
}

// Removes empty folders from `relative` upwards, stopping at (and keeping) `stop`, each with
// unlinkat relative to its confined parent.
void remove_empty_parents(const core::ConfinedRoot& root, std::string relative, const std::string& stop) {
    while (relative.size() > stop.size() && relative.starts_with(stop + "/")) {
        std::string parent = parent_of(relative);
        auto parent_fd = root.open_file(parent, O_PATH | O_DIRECTORY);
        if (!parent_fd) return;
        std::string name = relative.substr(parent.empty() ? 0 : parent.size() + 1);
        if (::unlinkat(parent_fd->get(), name.c_str(), AT_REMOVEDIR) != 0) return;
        relative = std::move(parent);
    }
}

}  // namespace

core::Result<std::string> move_to_trash(const fs::path& results, const std::string& path, const std::string& date) {
    auto parts = checked_parts(path);
    if (!parts) return parts.error();
    if ((*parts)[0] == trash_folder_name) return core::Error::invalid("already in the trash: " + path);
    if (!is_date(date)) return core::Error::invalid("not a date (YYYY-MM-DD): " + date);
    auto root = open_results(results);
    if (!root) return root.error();
    std::string trash_path = std::string(trash_folder_name) + "/" + date + "/" + path;
    if (auto moved = move_folder(*root, path, trash_path); !moved)
        return core::Error::from(moved.error(), "cannot move " + path + " to the trash");
    return trash_path;
}

core::Result<std::string> restore_from_trash(const fs::path& results, const std::string& trash_path) {
    auto parts = checked_parts(trash_path);
    if (!parts) return parts.error();
    if (parts->size() < 3 || (*parts)[0] != trash_folder_name || !is_date((*parts)[1]) ||
        (*parts)[2] == trash_folder_name)
        return core::Error::invalid("not a trash path (.ailab-trash/<date>/<path>): " + trash_path);
    std::string original;
    for (std::size_t i = 2; i < parts->size(); ++i) original += (original.empty() ? "" : "/") + (*parts)[i];
    auto root = open_results(results);
    if (!root) return root.error();
    if (auto moved = move_folder(*root, trash_path, original); !moved)
        return core::Error::from(moved.error(), "cannot restore " + trash_path);
    remove_empty_parents(*root, parent_of(trash_path), std::string(trash_folder_name));
    return original;
}

std::vector<TrashItem> list_trash(const fs::path& results, int max_depth) {
    std::vector<TrashItem> items;
    auto root = core::ConfinedRoot::open(results);
    if (!root) return items;
    const std::string trash(trash_folder_name);
    auto dates = list_folder(*root, trash);
    for (const auto& date : dates.subfolders) {
        if (!is_date(date)) continue;
        const std::string date_folder = trash + "/" + date;
        ScanResult found;
        scan_tree(*root, date_folder, 0, max_depth, found);
        for (const auto& run : found.runs) {
            TrashItem item;
            item.trash_path = run.path;
            item.path = run.path.substr(date_folder.size() + 1);
            // The ctime of the moved entry itself (a link is not followed).
            auto parent = root->open_file(parent_of(run.path), O_PATH | O_DIRECTORY);
            std::string name = run.path.substr(run.path.rfind('/') + 1);
            struct stat status {};
            if (parent && ::fstatat(parent->get(), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0)
                item.moved_at = static_cast<double>(status.st_ctim.tv_sec) + status.st_ctim.tv_nsec * 1e-9;
            items.push_back(std::move(item));
        }
    }
    return items;
}

}  // namespace ailab::runs
