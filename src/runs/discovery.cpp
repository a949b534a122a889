#include "runs/discovery.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

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

// A folder's identity, to see a folder again that is already on the path being scanned.
struct Identity {
    dev_t device = 0;
    ino_t inode = 0;
    bool operator==(const Identity&) const = default;
};

std::string child_path(std::string_view relative, std::string_view name) {
    std::string path(relative);
    if (!path.empty()) path += '/';
    path += name;
    return path;
}

// Whether the entry `name` of the folder `relative` (open as directory_fd) is a folder: a real one,
// or a link that resolves to a folder beneath the root.
bool is_folder(const core::ConfinedRoot& root, int directory_fd, std::string_view relative, std::string_view name,
               unsigned char type) {
    if (type == DT_DIR) return true;
    if (type != DT_LNK && type != DT_UNKNOWN) return false;
    std::string name_string(name);
    struct stat status {};
    if (::fstatat(directory_fd, name_string.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) return false;
    if (S_ISDIR(status.st_mode)) return true;
    if (!S_ISLNK(status.st_mode)) return false;
    return static_cast<bool>(root.open_folder(child_path(relative, name)));
}

// Anything but a folder counts as the log; reading it tells whether it is a readable regular file.
bool is_file_entry(unsigned char type) { return type != DT_DIR; }

// Lists the folder open as fd (its own descriptor: getdents moves its position), which is
// `relative` beneath root.
FolderListing list_open_folder(const core::ConfinedRoot& root, int fd, std::string_view relative,
                               Identity* identity = nullptr) {
    FolderListing listing;
    struct stat status {};
    if (::fstat(fd, &status) != 0) return listing;
    if (identity != nullptr) *identity = Identity{status.st_dev, status.st_ino};
    listing.exists = true;
    listing.mtime_ns = static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
    MarkerChoice marker;
    for_each_entry(fd, [&](std::string_view name, unsigned char type) {
        if (name.front() == '.') return;
        if (is_file_entry(type)) {
            marker.consider(name, false);
            if (type != DT_LNK && type != DT_UNKNOWN) return;
        }
        if (is_folder(root, fd, relative, name, type)) {
            listing.subfolders.emplace_back(name);
            marker.consider(name, true);
        }
    });
    if (marker.found()) {
        listing.log_file = marker.marker();
        listing.format = marker.format();
    }
    std::sort(listing.subfolders.begin(), listing.subfolders.end());
    return listing;
}

// Opens the subfolder `name` of the folder open as fd: a real folder directly, a link only
// through the confined root (so one that leaves it is refused).
core::OwnedFd open_child(const core::ConfinedRoot& root, int fd, const std::string& name,
                         const std::string& child_relative) {
    core::OwnedFd child(::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (child || (errno != ENOTDIR && errno != ELOOP)) return child;
    auto linked = root.open_folder(child_relative);
    return linked ? std::move(*linked) : core::OwnedFd();
}

}  // namespace

FolderListing list_folder(const core::ConfinedRoot& root, std::string_view relative) {
    auto fd = root.open_folder(relative);
    if (!fd) return FolderListing{};
    return list_open_folder(root, fd->get(), relative);
}

FolderListing list_folder(const std::filesystem::path& root, std::string_view relative) {
    auto confined = core::ConfinedRoot::open(root);
    if (!confined) return FolderListing{};
    return list_folder(*confined, relative);
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

std::string scoped_path(std::string_view scope, std::string_view relative) {
    if (scope.empty()) return std::string(relative);
    std::string out(scope);
    if (!relative.empty()) {
        out += '/';
        out += relative;
    }
    return out;
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

// `ancestors`: the identities of the folders from the root down to fd's parent.
void scan_open_folder(const core::ConfinedRoot& root, int fd, const std::string& relative, int depth, int max_depth,
                      std::vector<Identity>& ancestors, ScanResult& result) {
    Identity identity;
    FolderListing listing = list_open_folder(root, fd, relative, &identity);
    if (!listing.exists) return;
    if (std::find(ancestors.begin(), ancestors.end(), identity) != ancestors.end()) return;  // a loop
    if (depth > 0 && !listing.log_file.empty()) {
        result.runs.push_back(FoundRun{relative, listing.log_file, listing.format});
        return;
    }
    result.folders.push_back(FoundFolder{relative, depth, listing.mtime_ns});
    if (depth >= max_depth) return;
    ancestors.push_back(identity);
    for (const auto& name : listing.subfolders) {
        std::string child_relative = child_path(relative, name);
        core::OwnedFd child = open_child(root, fd, name, child_relative);
        if (child) scan_open_folder(root, child.get(), child_relative, depth + 1, max_depth, ancestors, result);
    }
    ancestors.pop_back();
}

std::optional<Identity> identity_of(int fd) {
    struct stat status {};
    if (::fstat(fd, &status) != 0) return std::nullopt;
    return Identity{status.st_dev, status.st_ino};
}

}  // namespace

void scan_tree(const core::ConfinedRoot& root, const std::string& relative, int depth, int max_depth,
               ScanResult& result) {
    // The folders above `relative`, so that a link back to one of them is seen as a loop.
    std::vector<Identity> ancestors;
    if (!relative.empty()) {
        std::vector<std::string> above{""};
        for (auto slash = relative.find('/'); slash != std::string::npos; slash = relative.find('/', slash + 1))
            above.push_back(relative.substr(0, slash));
        for (const auto& folder : above) {
            auto fd = root.open_folder(folder);
            auto identity = fd ? identity_of(fd->get()) : std::nullopt;
            if (!identity) return;
            ancestors.push_back(*identity);
        }
    }
    auto fd = root.open_folder(relative);
    if (!fd) return;
    scan_open_folder(root, fd->get(), relative, depth, max_depth, ancestors, result);
}

void scan_tree(const std::filesystem::path& root, const std::string& relative, int depth, int max_depth,
               ScanResult& result) {
    auto confined = core::ConfinedRoot::open(root);
    if (!confined) return;
    scan_tree(*confined, relative, depth, max_depth, result);
}

ScanResult scan_whole_tree(const std::filesystem::path& root, int max_depth, unsigned threads) {
    ScanResult result;
    auto confined = core::ConfinedRoot::open(root);
    if (!confined) return result;
    auto top_fd = confined->open_folder("");
    if (!top_fd) return result;
    Identity top_identity;
    FolderListing top = list_open_folder(*confined, top_fd->get(), "", &top_identity);
    if (!top.exists) return result;
    result.folders.push_back(FoundFolder{"", 0, top.mtime_ns});
    if (max_depth < 1) return result;
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(top.subfolders.size())));
    std::vector<ScanResult> parts(threads);
    auto work = [&](unsigned part) {
        std::vector<Identity> ancestors{top_identity};
        for (std::size_t i = part; i < top.subfolders.size(); i += threads) {
            const std::string& name = top.subfolders[i];
            core::OwnedFd child = open_child(*confined, top_fd->get(), name, name);
            if (child) scan_open_folder(*confined, child.get(), name, 1, max_depth, ancestors, parts[part]);
        }
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
