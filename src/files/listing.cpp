#include "files/listing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>

namespace ailab::files {

std::string_view type_name(EntryType type) {
    switch (type) {
    case EntryType::file: return "file";
    case EntryType::dir: return "dir";
    case EntryType::symlink: return "symlink";
    case EntryType::other: return "other";
    }
    return "other";
}

namespace {

EntryType type_of(mode_t mode) {
    if (S_ISREG(mode)) return EntryType::file;
    if (S_ISDIR(mode)) return EntryType::dir;
    if (S_ISLNK(mode)) return EntryType::symlink;
    return EntryType::other;
}

// What a link beneath the root leads to, looked up through the root (never outside it).
std::string link_target_type(const core::ConfinedRoot& root, const std::string& path) {
    auto opened = root.open_file(path, O_PATH);
    if (!opened) {
        if (opened.error().is(boost::system::errc::cross_device_link)) return "outside";
        return "broken";
    }
    struct stat status {};
    if (::fstat(opened->get(), &status) != 0) return "broken";
    const auto type = type_of(status.st_mode);
    return type == EntryType::file ? "file" : type == EntryType::dir ? "dir" : "other";
}

}  // namespace

core::Result<Listing> list_folder(const core::ConfinedRoot& root, const std::string& path, std::size_t offset,
                                  std::size_t limit) {
    auto folder = root.open_folder(path);
    if (!folder) return folder.error();
    // fdopendir takes the descriptor over; a duplicate keeps `folder` usable for fstatat.
    DIR* stream = ::fdopendir(::fcntl(folder->get(), F_DUPFD_CLOEXEC, 0));
    if (stream == nullptr) return core::Error::from_errno(errno, "cannot list " + (path.empty() ? "." : path));
    struct CloseDir {
        void operator()(DIR* open) const { ::closedir(open); }
    };
    std::unique_ptr<DIR, CloseDir> closer(stream);
    Listing listing;
    std::vector<Entry>& entries = listing.entries;
    // The kind from readdir (d_type) is enough to sort; only the page is stat'ed (a file system
    // that does not fill d_type gets an fstatat per entry here).
    while (const dirent* item = ::readdir(stream)) {
        const std::string_view name(item->d_name);
        if (name == "." || name == "..") continue;
        Entry entry;
        entry.name = std::string(name);
        entry.hidden = name.front() == '.';
        switch (item->d_type) {
        case DT_REG: entry.type = EntryType::file; break;
        case DT_DIR: entry.type = EntryType::dir; break;
        case DT_LNK: entry.type = EntryType::symlink; break;
        case DT_UNKNOWN: {
            struct stat status {};
            if (::fstatat(folder->get(), item->d_name, &status, AT_SYMLINK_NOFOLLOW) != 0) continue;
            entry.type = type_of(status.st_mode);
            break;
        }
        default: entry.type = EntryType::other;
        }
        entries.push_back(std::move(entry));
    }
    listing.total = entries.size();
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        const bool a_dir = a.type == EntryType::dir;
        const bool b_dir = b.type == EntryType::dir;
        if (a_dir != b_dir) return a_dir;
        return a.name < b.name;
    });
    const auto first = std::min(offset, entries.size());
    const auto last = first + std::min(limit, entries.size() - first);
    entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(last), entries.end());
    entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(first));
    for (auto& entry : entries) {
        struct stat status {};
        if (::fstatat(folder->get(), entry.name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone since
        entry.type = type_of(status.st_mode);
        entry.size = entry.type == EntryType::file || entry.type == EntryType::symlink ? status.st_size : 0;
        entry.mtime = static_cast<double>(status.st_mtim.tv_sec) + static_cast<double>(status.st_mtim.tv_nsec) / 1e9;
    }
    // Link targets only for the page (each is a confined lookup).
    for (auto& entry : entries)
        if (entry.type == EntryType::symlink)
            entry.target_type = link_target_type(root, path.empty() ? entry.name : path + "/" + entry.name);
    return listing;
}

}  // namespace ailab::files
