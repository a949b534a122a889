#include "runs/trash.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

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

std::vector<std::string> checked_parts(const std::string& relative) {
    if (relative.empty() || relative.front() == '/') throw std::invalid_argument("not a relative path: " + relative);
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        auto slash = relative.find('/', start);
        auto part = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part.empty() || part == "." || part == "..") throw std::invalid_argument("not a clean path: " + relative);
        parts.push_back(part);
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return parts;
}

namespace {

bool is_date(const std::string& text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    constexpr std::size_t digit_positions[] = {0, 1, 2, 3, 5, 6, 8, 9};
    return std::ranges::all_of(digit_positions, [&text](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; });
}

// Renames without ever replacing an existing target.
void rename_no_replace(const std::string& from, const std::string& to) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return;
    int error = errno;
    if (error == EINVAL || error == ENOSYS) {
        // The file system does not support RENAME_NOREPLACE (some network file systems): check first.
        struct stat status {};
        if (::lstat(to.c_str(), &status) == 0) throw std::runtime_error("a folder already exists at " + to);
        if (::rename(from.c_str(), to.c_str()) == 0) return;
        error = errno;
    }
    if (error == EEXIST || error == ENOTEMPTY) throw std::runtime_error("a folder already exists at " + to);
    throw std::runtime_error("cannot move " + from + " to " + to + ": " + std::strerror(error));
}

void require_folder(const std::string& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) throw std::runtime_error("no such folder: " + path);
    if (!S_ISDIR(status.st_mode) && !S_ISLNK(status.st_mode)) throw std::runtime_error("not a folder: " + path);
}

// Removes empty folders from `path` upwards, stopping at (and keeping) `stop`.
void remove_empty_parents(fs::path path, const fs::path& stop) {
    while (path != stop && path.native().size() > stop.native().size()) {
        if (::rmdir(path.c_str()) != 0) return;
        path = path.parent_path();
    }
}

}  // namespace

std::string move_to_trash(const fs::path& results, const std::string& path, const std::string& date) {
    checked_parts(path);
    if (path == trash_folder_name || path.starts_with(std::string(trash_folder_name) + "/"))
        throw std::runtime_error("already in the trash: " + path);
    std::string source = join_path(results, path);
    require_folder(source);
    std::string trash_path = std::string(trash_folder_name) + "/" + date + "/" + path;
    fs::path target = join_path(results, trash_path);
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    if (error) throw std::runtime_error("cannot create " + target.parent_path().string() + ": " + error.message());
    rename_no_replace(source, target.string());
    return trash_path;
}

std::string restore_from_trash(const fs::path& results, const std::string& trash_path) {
    std::vector<std::string> parts;
    try {
        parts = checked_parts(trash_path);
    } catch (const std::invalid_argument& error) {
        throw std::runtime_error(error.what());
    }
    if (parts.size() < 3 || parts[0] != trash_folder_name || !is_date(parts[1]))
        throw std::runtime_error("not a trash path (.ailab-trash/<date>/<path>): " + trash_path);
    std::string original;
    for (std::size_t i = 2; i < parts.size(); ++i) original += (original.empty() ? "" : "/") + parts[i];
    std::string source = join_path(results, trash_path);
    require_folder(source);
    fs::path target = join_path(results, original);
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    if (error) throw std::runtime_error("cannot create " + target.parent_path().string() + ": " + error.message());
    rename_no_replace(source, target.string());
    remove_empty_parents(fs::path(source).parent_path(), results / std::string(trash_folder_name));
    return original;
}

std::vector<TrashItem> list_trash(const fs::path& results, int max_depth) {
    std::vector<TrashItem> items;
    fs::path trash = results / std::string(trash_folder_name);
    auto dates = list_folder(trash.string());
    for (const auto& date : dates.subfolders) {
        if (!is_date(date)) continue;
        ScanResult found;
        scan_tree(trash / date, "", 0, max_depth, found);
        for (const auto& run : found.runs) {
            TrashItem item;
            item.path = run.path;
            item.trash_path = std::string(trash_folder_name) + "/" + date + "/" + run.path;
            struct stat status {};
            if (::lstat(join_path(results, item.trash_path).c_str(), &status) == 0)
                item.moved_at = static_cast<double>(status.st_ctim.tv_sec) + status.st_ctim.tv_nsec * 1e-9;
            items.push_back(std::move(item));
        }
    }
    return items;
}

}  // namespace ailab::runs
