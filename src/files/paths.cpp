#include "files/paths.hpp"

#include <unistd.h>
#include <climits>
#include <cstdint>

#include <array>

#include "core/strings.hpp"
namespace ailab::files {
namespace {

using boost::system::errc::errc_t;

}  // namespace

core::Result<std::string> check_path(std::string_view path) {
    if (path.size() >= PATH_MAX)
        return core::Error{boost::system::errc::make_error_code(errc_t::filename_too_long),
                           "the path is longer than " + std::to_string(PATH_MAX - 1) + " bytes"};
    if (path.find('\0') != std::string_view::npos) return core::Error::invalid("the path holds a NUL byte");
    if (path.find('\\') != std::string_view::npos)
        return core::Error::invalid("the path holds a backslash (use \"/\" between names)");
    if (!path.empty() && path.front() == '/')
        return core::Error::invalid("the path must be relative to the root (it starts with \"/\")");
    if (!core::is_valid_utf8(path)) return core::Error::invalid("the path is not valid UTF-8");
    std::string normal;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        if (slash == std::string_view::npos) slash = path.size();
        const auto segment = path.substr(start, slash - start);
        if (segment == "." || segment == "..")
            return core::Error::invalid("the path may not hold \".\" or \"..\" segments");
        if (segment.size() > NAME_MAX)
            return core::Error{boost::system::errc::make_error_code(errc_t::filename_too_long),
                               "a name in the path is longer than " + std::to_string(NAME_MAX) + " bytes"};
        if (!segment.empty()) {
            if (!normal.empty()) normal += '/';
            normal += segment;
        }
        start = slash + 1;
    }
    return normal;
}

int status_of(const core::Error& error) {
    if (error.code.category() != boost::system::generic_category()) return 500;
    switch (error.code.value()) {
    case EINVAL:
    case ENAMETOOLONG:
    case EISDIR:
    case ELOOP: return 400;
    case EXDEV:
    case EACCES:
    case EPERM:
    case EROFS: return 403;
    case ENOENT:
    case ENOTDIR: return 404;
    case EEXIST:
    case ENOTEMPTY:
    case EBUSY: return 409;
    case EFBIG: return 413;
    case ENOSPC:
    case EDQUOT: return 507;
    default: return 500;
    }
}

core::Result<std::string> relative_path_of(const core::ConfinedRoot& root, int fd) {
    std::array<char, PATH_MAX> buffer{};
    const std::string link = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t length = ::readlink(link.c_str(), buffer.data(), buffer.size());
    if (length <= 0 || static_cast<std::size_t>(length) >= buffer.size())
        return core::Error::from_errno(length < 0 ? errno : ENAMETOOLONG, "cannot tell where a file is");
    const std::string_view full(buffer.data(), static_cast<std::size_t>(length));
    const std::string& base = root.path().native();
    if (full == base) return std::string();
    if (full.size() > base.size() && full.starts_with(base) && (base == "/" || full[base.size()] == '/'))
        return std::string(full.substr(base == "/" ? 1 : base.size() + 1));
    return core::Error::from_errno(EXDEV, "the file is no longer beneath its root");
}

std::string parent_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string name_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace ailab::files
