// scan_folder (declared in sync/manifest.hpp): walk a folder with the ignore rules, then hash.
//
// Two passes: the walk (openat/fstatat relative to each folder's descriptor, never following a
// link) lists the files with their sizes, so the limits are checked, naming the truly largest
// files, before a byte is hashed; then each file is opened with O_NOFOLLOW below the root's
// descriptor and hashed, on a few threads when there are megabytes to hash, and the bytes hashed
// are its size (a file that changed in between is described as it was read).

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "core/fd.hpp"
#include "core/file.hpp"
#include "sync/describe.hpp"
#include "sync/hash.hpp"
#include "sync/ignore.hpp"
#include "sync/manifest.hpp"

namespace ailab::sync {
namespace {

constexpr std::size_t max_ignore_file_bytes = std::size_t{1} << 20;
constexpr std::size_t hash_buffer_bytes = std::size_t{256} << 10;
constexpr std::int64_t bytes_per_thread = std::int64_t{4} << 20;  // fewer bytes: fewer threads
constexpr std::int64_t max_hash_threads = 8;
constexpr const char* ignore_file_names[] = {".gitignore", ".ailabignore"};

core::Error limit_error(std::string message) {
    return core::Error{boost::system::errc::make_error_code(boost::system::errc::file_too_large), std::move(message)};
}

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

// One pass over the tree: the files and links code sync keeps, in walk order.
class Walker {
public:
    Walker(std::filesystem::path root, const Limits& limits) : root_(std::move(root)), limits_(limits) {}

    core::Status walk(int folder_fd, const std::string& relative) {
        std::vector<std::pair<std::string, unsigned char>> entries;
        if (auto listed = list(folder_fd, relative, entries); !listed) return listed.error();
        if (auto read = read_ignore_files(folder_fd, relative, entries); !read) return read.error();
        for (const auto& [name, listed_type] : entries) {
            const std::string path = relative.empty() ? name : relative + "/" + name;
            unsigned char type = listed_type;
            struct stat status {};
            const bool have_status = type == DT_UNKNOWN || type == DT_REG;
            if (have_status) {
                if (::fstatat(folder_fd, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
                    if (errno == ENOENT) continue;  // removed while we looked
                    return core::Error::from_errno(errno, "cannot read " + where(path));
                }
                type = S_ISDIR(status.st_mode)   ? DT_DIR
                       : S_ISREG(status.st_mode) ? DT_REG
                       : S_ISLNK(status.st_mode) ? DT_LNK
                                                 : DT_UNKNOWN;
            }
            if (type != DT_DIR && type != DT_REG && type != DT_LNK) {
                ++result_.ignored;  // sockets, fifos, devices
                continue;
            }
            if (rules_.ignored(path, type == DT_DIR)) {
                ++result_.ignored;
                continue;
            }
            if (type == DT_DIR) {
                core::OwnedFd child(::openat(folder_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!child) return core::Error::from_errno(errno, "cannot open the folder " + where(path));
                if (auto walked = walk(child.get(), path); !walked) return walked.error();
                continue;
            }
            ManifestEntry entry;
            entry.path = path;
            if (type == DT_LNK) {
                auto target = read_link(folder_fd, name, path);
                if (!target) return target.error();
                entry.link = std::move(*target);
                if (entry.link.empty() || !link_stays_inside(path, entry.link))
                    return core::Error::invalid("the link " + quote(path) + " -> " + quote(entry.link) +
                                                " leaves the folder " + root_.string());
                result_.absolute_paths.emplace_back();
            } else {
                entry.size = status.st_size;
                entry.mode = status.st_mode & 0777;
                result_.absolute_paths.push_back(root_ / path);
            }
            result_.manifest.files.push_back(std::move(entry));
            if (static_cast<std::int64_t>(result_.manifest.files.size()) > limits_.max_files)
                return limit_error(check_limits().value_or(""));
        }
        return {};
    }

    // The limits on what the walk found: a message, or nullopt within them.
    std::optional<std::string> check_limits() const {
        std::vector<FileSize> sizes;
        sizes.reserve(result_.manifest.files.size());
        for (const auto& entry : result_.manifest.files)
            if (entry.link.empty()) sizes.push_back({entry.path, entry.size});
        auto problem = limit_problem(sizes, static_cast<std::int64_t>(result_.manifest.files.size()), limits_);
        if (problem) *problem = "cannot sync " + root_.string() + ": " + *problem;
        return problem;
    }

    ScanResult& result() { return result_; }

private:
    std::string where(const std::string& path) const { return (root_ / path).string(); }

    // Reads the folder's .gitignore, then its .ailabignore (only those that are listed).
    core::Status read_ignore_files(int folder_fd, const std::string& relative,
                                   const std::vector<std::pair<std::string, unsigned char>>& entries) {
        for (const char* name : ignore_file_names) {
            const bool listed =
                std::any_of(entries.begin(), entries.end(), [&](const auto& entry) { return entry.first == name; });
            if (!listed) continue;
            // O_NOFOLLOW: as git, an ignore file that is a link is not read.
            core::OwnedFd fd(::openat(folder_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
            if (!fd) {
                if (errno == ENOENT || errno == ELOOP) continue;
                return core::Error::from_errno(errno,
                                               "cannot read " + where(relative.empty() ? name : relative + "/" + name));
            }
            auto text = core::read_small_file(fd.get(), max_ignore_file_bytes);
            if (!text) continue;  // a folder or a fifo by that name: not an ignore file
            rules_.add(relative, *text);
        }
        return {};
    }

    core::Status list(int folder_fd, const std::string& relative,
                      std::vector<std::pair<std::string, unsigned char>>& entries) const {
        const int listing_fd = ::dup(folder_fd);
        std::unique_ptr<DIR, DirCloser> dir(listing_fd >= 0 ? ::fdopendir(listing_fd) : nullptr);
        if (!dir) {
            const int error = errno;
            if (listing_fd >= 0) ::close(listing_fd);
            return core::Error::from_errno(error, "cannot list " + where(relative));
        }
        for (;;) {
            errno = 0;
            const dirent* entry = ::readdir(dir.get());
            if (entry == nullptr) {
                if (errno != 0) return core::Error::from_errno(errno, "cannot list " + where(relative));
                break;
            }
            const std::string_view name = entry->d_name;
            if (name == "." || name == "..") continue;
            entries.emplace_back(std::string(name), entry->d_type);
        }
        std::sort(entries.begin(), entries.end());
        return {};
    }

    core::Result<std::string> read_link(int folder_fd, const std::string& name, const std::string& path) const {
        std::string target(256, '\0');
        for (;;) {
            const auto length = ::readlinkat(folder_fd, name.c_str(), target.data(), target.size());
            if (length < 0) return core::Error::from_errno(errno, "cannot read the link " + where(path));
            if (static_cast<std::size_t>(length) < target.size()) {
                target.resize(static_cast<std::size_t>(length));
                return target;
            }
            if (target.size() > 65536) return core::Error::invalid("the link " + where(path) + " is too long");
            target.resize(target.size() * 2);
        }
    }

    std::filesystem::path root_;
    const Limits& limits_;
    IgnoreRules rules_;
    ScanResult result_;
};

// Hashes one file, opened below the root without following a link in its last segment; reads
// the size fstat gives (a file that grows meanwhile is hashed as it was), and `size` becomes the
// bytes hashed.
core::Status hash_entry(int root_fd, const std::filesystem::path& root, ManifestEntry& entry, std::string& buffer) {
    const auto where = [&] { return (root / entry.path).string(); };
    core::OwnedFd fd(::openat(root_fd, entry.path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) return core::Error::from_errno(errno, "cannot read " + where());
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) return core::Error::from_errno(errno, "cannot read " + where());
    if (!S_ISREG(status.st_mode)) return core::Error::invalid(where() + " stopped being a regular file");
    Hasher hasher;
    std::int64_t size = 0;
    while (size < status.st_size) {
        const auto want = static_cast<std::size_t>(
            std::min<std::int64_t>(status.st_size - size, static_cast<std::int64_t>(buffer.size())));
        const auto got = ::read(fd.get(), buffer.data(), want);
        if (got < 0) {
            if (errno == EINTR) continue;
            return core::Error::from_errno(errno, "cannot read " + where());
        }
        if (got == 0) break;  // it shrank meanwhile
        hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
        size += got;
    }
    entry.hash = hasher.finish();
    entry.size = size;
    entry.mode = status.st_mode & 0777;
    return {};
}

// Hashes every file of `files`, on up to max_hash_threads threads (one per 4 MiB to hash).
core::Status hash_all(int root_fd, const std::filesystem::path& root, std::vector<ManifestEntry>& files) {
    std::int64_t bytes = 0;
    for (const auto& entry : files) bytes += entry.size;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const auto wanted = static_cast<unsigned>(std::min<std::int64_t>(bytes / bytes_per_thread + 1, max_hash_threads));
    const unsigned thread_count = std::min({cores, wanted, static_cast<unsigned>(files.size() / 16 + 1)});

    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::optional<std::pair<std::size_t, core::Error>> first_error;  // guarded by error_mutex
    const auto work = [&] {
        std::string buffer(hash_buffer_bytes, '\0');
        for (std::size_t i = next++; i < files.size() && !failed; i = next++) {
            if (!files[i].link.empty()) continue;
            auto hashed = hash_entry(root_fd, root, files[i], buffer);
            if (hashed) continue;
            const std::lock_guard lock(error_mutex);
            if (!first_error || first_error->first > i) first_error.emplace(i, hashed.error());
            failed = true;
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < thread_count; ++t) threads.emplace_back(work);
    work();
    for (auto& thread : threads) thread.join();
    if (first_error) return first_error->second;
    return {};
}

}  // namespace

core::Result<ScanResult> scan_folder(const std::filesystem::path& root, const ScanOptions& options) {
    core::OwnedFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) return core::Error::from_errno(errno, "cannot open the folder " + root.string());
    Walker walker(root, options.limits);
    if (auto walked = walker.walk(root_fd.get(), ""); !walked) return walked.error();
    if (auto problem = walker.check_limits()) return limit_error(std::move(*problem));

    ScanResult& result = walker.result();
    auto& files = result.manifest.files;
    if (auto hashed = hash_all(root_fd.get(), root, files); !hashed) return hashed.error();

    // Path order for both lists (validate keeps an order that is already sorted).
    std::vector<std::size_t> order(files.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return files[a].path < files[b].path; });
    ScanResult sorted;
    sorted.ignored = result.ignored;
    sorted.manifest.files.reserve(files.size());
    sorted.absolute_paths.reserve(files.size());
    for (std::size_t index : order) {
        sorted.manifest.files.push_back(std::move(files[index]));
        sorted.absolute_paths.push_back(std::move(result.absolute_paths[index]));
    }
    if (auto problem = validate(sorted.manifest, options.limits)) {
        const std::string message = "cannot sync " + root.string() + ": " + problem->message;
        if (problem->over_limit) return limit_error(message);
        return core::Error::invalid(message);
    }
    return sorted;
}

}  // namespace ailab::sync
