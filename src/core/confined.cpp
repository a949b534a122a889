#include "core/confined.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <deque>
#include <optional>
#include <vector>

namespace ailab::core {
namespace {

namespace fs = std::filesystem;

constexpr int max_link_hops = 40;  // as the kernel's own limit (MAXSYMLINKS)

boost::system::error_code errno_code(int error_number) { return {error_number, boost::system::generic_category()}; }

// "cannot <action> <relative>: <why>", with a message of its own for a path that leaves the root.
Error path_error(int error_number, std::string_view action, std::string_view relative) {
    std::string subject = std::string(action) + " " + (relative.empty() ? std::string(".") : std::string(relative));
    if (error_number == EXDEV)
        return Error{errno_code(EXDEV),
                     subject + ": it leaves the root folder (a symbolic link or \"..\" points outside)"};
    if (error_number == EEXIST) return Error{errno_code(EEXIST), subject + ": it already exists"};
    return Error::from_errno(error_number, subject);
}

Status check_relative(std::string_view relative) {
    if (!relative.empty() && relative.front() == '/')
        return Error::invalid("not a relative path (it starts with \"/\"): " + std::string(relative));
    if (relative.find('\0') != std::string_view::npos) return Error::invalid("a path holds a NUL byte");
    return {};
}

// The components of a path, empty ones ("a//b", a trailing "/") kept as "": the walk skips them.
void append_components(std::string_view path, std::vector<std::string>& out) {
    std::size_t start = 0;
    while (true) {
        auto slash = path.find('/', start);
        out.emplace_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
        if (slash == std::string_view::npos) return;
        start = slash + 1;
    }
}

// The rest of an absolute link target below `root` (canonical), or nullopt when the target does not
// name the root or a path beneath it. Compared component by component; a ".." before the root's
// last component is not resolved lexically (a link could hide behind it), so it counts as outside.
std::optional<std::string> strip_root(std::string_view target, const fs::path& root) {
    std::vector<std::string> root_parts;
    std::vector<std::string> target_parts;
    append_components(root.native(), root_parts);
    append_components(target, target_parts);
    auto clean = [](std::vector<std::string>& parts) {
        std::erase_if(parts, [](const std::string& part) { return part.empty() || part == "."; });
    };
    clean(root_parts);
    clean(target_parts);
    if (target_parts.size() < root_parts.size()) return std::nullopt;
    for (std::size_t i = 0; i < root_parts.size(); ++i)
        if (target_parts[i] != root_parts[i]) return std::nullopt;
    std::string rest;
    for (std::size_t i = root_parts.size(); i < target_parts.size(); ++i) {
        if (!rest.empty()) rest += '/';
        rest += target_parts[i];
    }
    return rest;
}

int try_openat2(int directory, const char* path, int flags, mode_t mode) {
    struct open_how how {};
    how.flags = static_cast<std::uint64_t>(flags) | O_CLOEXEC;
    how.mode = ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, directory, path, &how, sizeof how));
}

}  // namespace

bool ConfinedRoot::kernel_has_openat2() {
    static const bool present = [] {
        int fd = try_openat2(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY, 0);
        if (fd >= 0) {
            ::close(fd);
            return true;
        }
        return errno != ENOSYS;
    }();
    return present;
}

Result<ConfinedRoot> ConfinedRoot::open(const fs::path& root, Resolver resolver) {
    OwnedFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error::from_errno(errno, "cannot open the root folder");
    // The canonical path of what was opened (not of whatever `root` names a moment later).
    std::array<char, PATH_MAX> buffer{};
    std::string proc_link = "/proc/self/fd/" + std::to_string(fd.get());
    ssize_t length = ::readlink(proc_link.c_str(), buffer.data(), buffer.size());
    fs::path canonical;
    if (length > 0 && static_cast<std::size_t>(length) < buffer.size() && buffer[0] == '/') {
        canonical = std::string(buffer.data(), static_cast<std::size_t>(length));
    } else {
        std::error_code error;
        canonical = fs::canonical(root, error);
        if (error) return Error::from_errno(error.value(), "cannot resolve the root folder");
    }
    return ConfinedRoot(std::move(fd), std::move(canonical), resolver);
}

int ConfinedRoot::resolve(std::string_view relative, int flags, mode_t mode) const {
    if (resolver_ == Resolver::automatic && kernel_has_openat2()) {
        std::string path = relative.empty() ? std::string(".") : std::string(relative);
        for (int attempt = 0; attempt < 4; ++attempt) {
            int fd = try_openat2(fd_.get(), path.c_str(), flags, mode);
            if (fd >= 0) return fd;
            // EAGAIN: a rename raced with a ".." lookup; EXDEV: maybe an absolute link that points
            // inside, which RESOLVE_BENEATH refuses: the walk decides both.
            if (errno == EINTR || errno == EAGAIN) continue;
            if (errno == EXDEV) break;
            return -errno;
        }
    }
    return resolve_by_walk(relative, flags, mode);
}

int ConfinedRoot::resolve_by_walk(std::string_view relative, int flags, mode_t mode) const {
    std::vector<OwnedFd> stack;  // the folders below the root on the way so far; empty = at the root
    auto current = [&] { return stack.empty() ? fd_.get() : stack.back().get(); };
    std::vector<std::string> parts;
    append_components(relative, parts);
    std::deque<std::string> pending(std::make_move_iterator(parts.begin()), std::make_move_iterator(parts.end()));
    // O_CREAT | O_EXCL never follows a link in the last component, as open(2).
    const bool follow_last = (flags & O_NOFOLLOW) == 0 && !((flags & O_CREAT) != 0 && (flags & O_EXCL) != 0);
    std::array<char, PATH_MAX> target{};
    int hops = 0;
    while (!pending.empty()) {
        std::string name = std::move(pending.front());
        pending.pop_front();
        if (name.empty() || name == ".") continue;
        if (name == "..") {
            if (stack.empty()) return -EXDEV;
            stack.pop_back();
            continue;
        }
        const bool last = pending.empty();
        if (!last || follow_last) {
            ssize_t length = ::readlinkat(current(), name.c_str(), target.data(), target.size());
            if (length >= 0) {
                if (static_cast<std::size_t>(length) == target.size()) return -ENAMETOOLONG;
                if (++hops > max_link_hops) return -ELOOP;
                std::string_view link(target.data(), static_cast<std::size_t>(length));
                if (link.empty()) return -ENOENT;
                std::optional<std::string> inside;
                if (link.front() == '/') {
                    inside = strip_root(link, path_);
                    if (!inside) return -EXDEV;
                    stack.clear();  // an absolute link starts again at the root
                    link = *inside;
                }
                std::vector<std::string> link_parts;
                append_components(link, link_parts);
                pending.insert(pending.begin(), std::make_move_iterator(link_parts.begin()),
                               std::make_move_iterator(link_parts.end()));
                continue;
            }
            // EINVAL: not a link. ENOENT in the last component: open may still create it.
            if (errno != EINVAL && !(last && errno == ENOENT)) return -errno;
        }
        if (!last) {
            int folder = ::openat(current(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (folder < 0) return -errno;  // a link that appeared since readlinkat: ENOTDIR, refused
            stack.emplace_back(folder);
            continue;
        }
        int fd = ::openat(current(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
        return fd >= 0 ? fd : -errno;
    }
    // The path ended on a folder ("", ".", "..", a trailing "/"): open that folder itself.
    int fd = ::openat(current(), ".", flags | O_CLOEXEC, mode);
    return fd >= 0 ? fd : -errno;
}

Result<OwnedFd> ConfinedRoot::open_file(std::string_view relative, int flags, mode_t mode) const {
    if (auto valid = check_relative(relative); !valid) return valid.error();
    int fd = resolve(relative, flags, mode);
    if (fd < 0) return path_error(-fd, "cannot open", relative);
    return OwnedFd(fd);
}

Result<OwnedFd> ConfinedRoot::open_folder(std::string_view relative) const {
    if (auto valid = check_relative(relative); !valid) return valid.error();
    int fd = resolve(relative, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return path_error(-fd, "cannot open the folder", relative);
    return OwnedFd(fd);
}

Result<std::string> ConfinedRoot::read_file(std::string_view relative, std::size_t max_bytes) const {
    auto fd = open_file(relative, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (!fd) return fd.error();
    auto text = read_small_file(fd->get(), max_bytes);
    if (!text) return Error::from(text.error(), "cannot read " + std::string(relative));
    return text;
}

Result<std::pair<std::string, std::string>> split_parent(std::string_view relative) {
    if (auto valid = check_relative(relative); !valid) return valid.error();
    while (!relative.empty() && relative.back() == '/') relative.remove_suffix(1);
    auto slash = relative.rfind('/');
    std::string_view parent = slash == std::string_view::npos ? std::string_view() : relative.substr(0, slash);
    std::string_view name = slash == std::string_view::npos ? relative : relative.substr(slash + 1);
    if (name.empty() || name == "." || name == "..")
        return Error::invalid("not a path to an entry (it ends in \"\", \".\" or \"..\"): " + std::string(relative));
    return std::pair<std::string, std::string>(parent, name);
}

Status ConfinedRoot::rename_noreplace(std::string_view from, std::string_view to) const {
    auto source = split_parent(from);
    if (!source) return source.error();
    auto target = split_parent(to);
    if (!target) return target.error();
    int source_folder = resolve(source->first, O_PATH | O_DIRECTORY, 0);
    if (source_folder < 0) return path_error(-source_folder, "cannot move", from);
    OwnedFd source_fd(source_folder);
    int target_folder = resolve(target->first, O_PATH | O_DIRECTORY, 0);
    if (target_folder < 0) return path_error(-target_folder, "cannot move to", to);
    OwnedFd target_fd(target_folder);
    const char* source_name = source->second.c_str();
    const char* target_name = target->second.c_str();
    if (::renameat2(source_folder, source_name, target_folder, target_name, RENAME_NOREPLACE) == 0) return {};
    int error = errno;
    if (error == EINVAL || error == ENOSYS) {
        // The file system lacks RENAME_NOREPLACE (some network file systems): check just before.
        struct stat status {};
        if (::fstatat(target_folder, target_name, &status, AT_SYMLINK_NOFOLLOW) == 0) {
            error = EEXIST;
        } else if (::renameat(source_folder, source_name, target_folder, target_name) == 0) {
            return {};
        } else {
            error = errno;
        }
    }
    if (error == ENOTEMPTY) error = EEXIST;  // the target is a folder that is not empty
    return path_error(error, "cannot move " + std::string(from) + " to", to);
}

Status ConfinedRoot::make_folders(std::string_view relative, mode_t mode) const {
    if (auto valid = check_relative(relative); !valid) return valid.error();
    std::vector<std::string> parts;
    append_components(relative, parts);
    std::string prefix;
    for (const auto& part : parts) {
        if (part.empty() || part == ".") continue;
        if (part != "..") {
            int parent = resolve(prefix, O_PATH | O_DIRECTORY, 0);
            if (parent < 0) return path_error(-parent, "cannot create folders in", prefix);
            OwnedFd parent_fd(parent);
            if (::mkdirat(parent, part.c_str(), mode) != 0 && errno != EEXIST)
                return path_error(errno, "cannot create the folder", prefix.empty() ? part : prefix + "/" + part);
        }
        prefix = prefix.empty() ? part : prefix + "/" + part;
    }
    // What now stands there must be a folder beneath the root (not a link out, not a file).
    int folder = resolve(prefix, O_PATH | O_DIRECTORY, 0);
    if (folder < 0) return path_error(-folder, "cannot create the folder", relative);
    ::close(folder);
    return {};
}

}  // namespace ailab::core
