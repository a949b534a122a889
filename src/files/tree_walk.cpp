#include "files/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace ailab::files {

std::string join_path(std::string_view left, std::string_view right) {
    if (left.empty()) return std::string(right);
    if (right.empty()) return std::string(left);
    std::string joined;
    joined.reserve(left.size() + 1 + right.size());
    joined.append(left).append("/").append(right);
    return joined;
}

core::Result<TreeWalk> TreeWalk::open(std::shared_ptr<const core::ConfinedRoot> root, std::string start) {
    while (!start.empty() && start.back() == '/') start.pop_back();
    auto fd = root->open_folder(start);
    if (!fd) return fd.error();
    TreeWalk walk(std::move(root), std::move(start));
    if (!walk.enter("", std::move(*fd))) return core::Error::from_errno(errno, "cannot list " + walk.start_);
    return walk;
}

bool TreeWalk::enter(const std::string& path, core::OwnedFd fd) {
    // fdopendir takes its own descriptor (a duplicate): `fd` stays for fstatat.
    const int copy = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
    if (copy < 0) return false;
    DIR* folder = ::fdopendir(copy);
    if (folder == nullptr) {
        ::close(copy);
        return false;
    }
    Frame frame{std::move(fd), path, {}, 0};
    while (const dirent* entry = ::readdir(folder)) {
        const std::string_view name(entry->d_name);
        if (name == "." || name == "..") continue;
        frame.names.emplace_back(name);
    }
    ::closedir(folder);
    std::sort(frame.names.begin(), frame.names.end());
    stack_.push_back(std::move(frame));
    return true;
}

std::optional<WalkEntry> TreeWalk::next() {
    if (pending_folder_) {
        const std::string path = std::move(*pending_folder_);
        pending_folder_.reset();
        if (stack_.size() < max_depth) {
            auto fd = root_->open_file(root_path(path), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (fd) enter(path, std::move(*fd));
        }
    }
    while (!stack_.empty()) {
        auto& frame = stack_.back();
        if (frame.index == frame.names.size()) {
            stack_.pop_back();
            continue;
        }
        const std::string& name = frame.names[frame.index++];
        WalkEntry entry;
        if (::fstatat(frame.fd.get(), name.c_str(), &entry.info, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
        entry.path = join_path(frame.path, name);
        const auto mode = entry.info.st_mode;
        entry.type = S_ISREG(mode)   ? EntryType::file
                     : S_ISDIR(mode) ? EntryType::folder
                     : S_ISLNK(mode) ? EntryType::link
                                     : EntryType::other;
        if (entry.type == EntryType::folder) pending_folder_ = entry.path;
        return entry;
    }
    return std::nullopt;
}

core::Result<core::OwnedFd> TreeWalk::open_file(const WalkEntry& entry, struct stat& info) const {
    auto fd = root_->open_file(root_path(entry.path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (!fd) return fd.error();
    if (::fstat(fd->get(), &info) != 0) return core::Error::from_errno(errno, "cannot stat " + entry.path);
    if (!S_ISREG(info.st_mode)) return core::Error::invalid(entry.path + " is no longer a regular file");
    return fd;
}

core::Result<std::string> TreeWalk::read_link(const WalkEntry& entry) const {
    // O_PATH | O_NOFOLLOW opens the link itself; readlinkat with "" reads that descriptor's target.
    auto fd = root_->open_file(root_path(entry.path), O_PATH | O_NOFOLLOW);
    if (!fd) return fd.error();
    std::string target(4096, '\0');
    const auto length = ::readlinkat(fd->get(), "", target.data(), target.size());
    if (length < 0) return core::Error::from_errno(errno, "cannot read the link " + entry.path);
    target.resize(static_cast<std::size_t>(length));
    return target;
}

std::string TreeWalk::root_path(std::string_view path) const { return join_path(start_, path); }

}  // namespace ailab::files
