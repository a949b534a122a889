#include "runs/results_root.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

namespace ailab::runs {

core::Result<std::shared_ptr<const core::ConfinedRoot>> ResultsRoot::root() const {
    std::lock_guard lock(mutex_);
    struct stat status {};
    if (root_ && ::fstat(root_->fd(), &status) == 0 && status.st_nlink > 0) return root_;
    auto opened = core::ConfinedRoot::open(path_);
    if (!opened) return core::Error::from(opened.error(), "the results folder");
    root_ = std::make_shared<const core::ConfinedRoot>(std::move(*opened));
    return root_;
}

core::Result<core::OwnedFd> ResultsRoot::open_for_reading(std::string_view relative) const {
    auto root = this->root();
    if (!root) return root.error();
    // O_NONBLOCK: a FIFO must not block the open (regular files ignore the flag).
    auto fd = (*root)->open_file(relative, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (!fd) return fd.error();
    struct stat status {};
    if (::fstat(fd->get(), &status) != 0) return core::Error::from_errno(errno, "cannot inspect the file");
    if (!S_ISREG(status.st_mode))
        return core::Error{boost::system::errc::make_error_code(boost::system::errc::invalid_argument),
                           "not a regular file"};
    return fd;
}

core::Result<std::string> ResultsRoot::read_small(std::string_view relative, std::size_t max_bytes) const {
    auto fd = open_for_reading(relative);
    if (!fd) return fd.error();
    return core::read_small_file(fd->get(), max_bytes);
}

core::Result<std::vector<std::string>> ResultsRoot::list(std::string_view relative, std::size_t max_entries) const {
    auto root = this->root();
    if (!root) return root.error();
    auto folder = (*root)->open_folder(relative);
    if (!folder) return folder.error();
    const int fd = folder->release();
    DIR* directory = ::fdopendir(fd);
    if (directory == nullptr) {
        const int error = errno;
        ::close(fd);
        return core::Error::from_errno(error, "cannot list the folder");
    }
    std::vector<std::string> names;
    while (names.size() < max_entries) {
        const dirent* entry = ::readdir(directory);
        if (entry == nullptr) break;
        std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        bool folder_entry = entry->d_type == DT_DIR;
        if (entry->d_type == DT_UNKNOWN || entry->d_type == DT_LNK) {
            struct stat status {};
            // A link shows as a folder only when it leads to one inside results.
            folder_entry = ::fstatat(::dirfd(directory), entry->d_name, &status, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISDIR(status.st_mode);
            if (!folder_entry && entry->d_type == DT_LNK) {
                auto inside = (*root)->open_folder(std::string(relative) + "/" + name);
                folder_entry = inside.has_value();
            }
        }
        if (folder_entry) name += '/';
        names.push_back(std::move(name));
    }
    ::closedir(directory);
    std::sort(names.begin(), names.end());
    return names;
}

core::Status ReadBudget::check() const {
    if (stop != nullptr && stop->load(std::memory_order_relaxed))
        return core::Error{boost::system::errc::make_error_code(boost::system::errc::operation_canceled),
                           "the server is stopping"};
    if (std::chrono::steady_clock::now() > deadline)
        return core::Error{boost::system::errc::make_error_code(boost::system::errc::timed_out),
                           "reading the log took too long"};
    return {};
}

}  // namespace ailab::runs
