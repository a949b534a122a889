#include "runs/discovery.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "core/fd.hpp"

namespace ailab::runs {

namespace {

// Reads a directory through getdents64 and calls visit(name, d_type) for each entry but . and ..
template <typename Visit>
bool for_each_entry(int directory_fd, Visit&& visit) {
    alignas(8) char buffer[32 * 1024];
    while (true) {
        ssize_t n = ::getdents64(directory_fd, buffer, sizeof buffer);
        if (n < 0) return false;
        if (n == 0) return true;
        for (ssize_t position = 0; position < n;) {
            auto* entry = reinterpret_cast<struct dirent64*>(buffer + position);
            position += entry->d_reclen;
            std::string_view name(entry->d_name);
            if (name == "." || name == "..") continue;
            visit(name, entry->d_type);
        }
    }
}

bool is_folder(int directory_fd, std::string_view name, unsigned char type) {
    if (type == DT_DIR) return true;
    if (type != DT_LNK && type != DT_UNKNOWN) return false;
    struct stat status {};
    std::string name_string(name);
    return ::fstatat(directory_fd, name_string.c_str(), &status, 0) == 0 && S_ISDIR(status.st_mode);
}

// Anything but a folder counts as the log; reading it tells whether it is a readable regular file.
bool is_file_entry(unsigned char type) { return type != DT_DIR; }

FolderListing list_open_folder(int fd) {
    FolderListing listing;
    struct stat status {};
    if (::fstat(fd, &status) != 0) return listing;
    listing.exists = true;
    listing.mtime_ns = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
    int best_log = 99;
    for_each_entry(fd, [&](std::string_view name, unsigned char type) {
        if (name.front() == '.') return;
        for (int i = 0; i < 2; ++i) {
            if (name == log_file_names[i] && is_file_entry(type) && i < best_log) {
                best_log = i;
                listing.log_file = log_file_names[i];
                return;
            }
        }
        if (is_folder(fd, name, type)) listing.subfolders.emplace_back(name);
    });
    std::sort(listing.subfolders.begin(), listing.subfolders.end());
    return listing;
}

}  // namespace

FolderListing list_folder(const std::string& path) {
    core::OwnedFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return FolderListing{};
    return list_open_folder(fd.get());
}

std::string parent_path(std::string_view relative) {
    auto slash = relative.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(relative.substr(0, slash));
}

std::string join_path(const std::filesystem::path& root, std::string_view relative) {
    std::string path = root.string();
    if (relative.empty()) return path;
    if (path.empty() || path.back() != '/') path.push_back('/');
    path.append(relative);
    return path;
}

std::string run_id(std::string_view relative_path) {
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : relative_path) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string id(16, '0');
    for (int i = 15; i >= 0; --i) {
        id[static_cast<std::size_t>(i)] = hex[hash & 0xF];
        hash >>= 4;
    }
    return id;
}

namespace {

void scan_open_folder(int fd, const std::string& relative, int depth, int max_depth, ScanResult& result) {
    FolderListing listing = list_open_folder(fd);
    if (!listing.exists) return;
    if (depth > 0 && !listing.log_file.empty()) {
        result.runs.push_back(FoundRun{relative, listing.log_file});
        return;
    }
    result.folders.push_back(FoundFolder{relative, depth, listing.mtime_ns});
    if (depth >= max_depth) return;
    for (const auto& name : listing.subfolders) {
        core::OwnedFd child(::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!child) continue;
        std::string child_relative = relative;
        if (!child_relative.empty()) child_relative += '/';
        child_relative += name;
        scan_open_folder(child.get(), child_relative, depth + 1, max_depth, result);
    }
}

}  // namespace

void scan_tree(const std::filesystem::path& root, const std::string& relative, int depth, int max_depth,
               ScanResult& result) {
    core::OwnedFd fd(::open(join_path(root, relative).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return;
    scan_open_folder(fd.get(), relative, depth, max_depth, result);
}

ScanResult scan_whole_tree(const std::filesystem::path& root, int max_depth, unsigned threads) {
    ScanResult result;
    FolderListing top = list_folder(root.string());
    if (!top.exists) return result;
    result.folders.push_back(FoundFolder{"", 0, top.mtime_ns});
    if (max_depth < 1) return result;
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(top.subfolders.size())));
    std::vector<ScanResult> parts(threads);
    auto work = [&](unsigned part) {
        for (std::size_t i = part; i < top.subfolders.size(); i += threads)
            scan_tree(root, top.subfolders[i], 1, max_depth, parts[part]);
    };
    std::vector<std::thread> helpers;
    for (unsigned part = 1; part < threads; ++part) helpers.emplace_back(work, part);
    work(0);
    for (auto& helper : helpers) helper.join();
    for (auto& part : parts) {
        result.runs.insert(result.runs.end(), std::make_move_iterator(part.runs.begin()),
                           std::make_move_iterator(part.runs.end()));
        result.folders.insert(result.folders.end(), std::make_move_iterator(part.folders.begin()),
                              std::make_move_iterator(part.folders.end()));
    }
    return result;
}

}  // namespace ailab::runs
