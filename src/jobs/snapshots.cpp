#include "jobs/snapshots.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <unordered_set>

#include "core/fd.hpp"
#include "sync/hash.hpp"

namespace ailab::jobs {
namespace {

constexpr std::size_t copy_buffer_bytes = std::size_t{256} << 10;

core::Error copy_error(int error_number, std::string_view path, const std::filesystem::path& destination) {
    return core::Error::from_errno(error_number, "cannot copy " + std::string(path) + " into " + destination.string());
}

// Creates the folders above `path` below the destination (mkdir -p), remembering what exists.
core::Status make_parents(int destination_fd, std::string_view path, std::unordered_set<std::string>& made,
                          const std::filesystem::path& destination) {
    for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
        std::string folder(path.substr(0, slash));
        if (made.contains(folder)) continue;
        if (::mkdirat(destination_fd, folder.c_str(), 0755) != 0 && errno != EEXIST)
            return copy_error(errno, path, destination);
        made.insert(std::move(folder));
    }
    return {};
}

// Copies `size` bytes: copy_file_range (in the kernel, a reflink where the file system has them),
// else read/write.
core::Status copy_bytes(int from, int to, std::int64_t size, std::string_view path,
                        const std::filesystem::path& destination) {
    bool kernel_copy = true;
    std::string buffer;
    std::int64_t left = size;
    while (left > 0) {
        ssize_t done = 0;
        if (kernel_copy) {
            done = ::copy_file_range(from, nullptr, to, nullptr, static_cast<std::size_t>(left), 0);
            if (done < 0 && left == size &&
                (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
                kernel_copy = false;  // another file system, or a kernel without it
                continue;
            }
        } else {
            if (buffer.empty()) buffer.resize(copy_buffer_bytes);
            const auto want =
                static_cast<std::size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(buffer.size())));
            done = ::read(from, buffer.data(), want);
            if (done > 0) {
                for (ssize_t written_total = 0; written_total < done;) {
                    const auto written =
                        ::write(to, buffer.data() + written_total, static_cast<std::size_t>(done - written_total));
                    if (written < 0) {
                        if (errno == EINTR) continue;
                        return copy_error(errno, path, destination);
                    }
                    written_total += written;
                }
            }
        }
        if (done < 0) {
            if (errno == EINTR) continue;
            return copy_error(errno, path, destination);
        }
        if (done == 0) return copy_error(EIO, path, destination);  // the blob is shorter than it was
        left -= done;
    }
    return {};
}

core::Status copy_file(const BlobStore& blobs, const sync::ManifestEntry& entry, int destination_fd,
                       const std::filesystem::path& destination) {
    const std::filesystem::path blob = blobs.path_of(entry.hash);
    core::OwnedFd from(::open(blob.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!from) return core::Error::from_errno(errno, "cannot copy " + entry.path + ": blob " + entry.hash);
    struct stat status {};
    if (::fstat(from.get(), &status) != 0) return copy_error(errno, entry.path, destination);
    if (!S_ISREG(status.st_mode) || status.st_size != entry.size) {
        return core::Error::invalid("cannot copy " + entry.path + ": blob " + entry.hash + " holds " +
                                    std::to_string(status.st_size) + " bytes, not " + std::to_string(entry.size) +
                                    " (the blob store is damaged)");
    }
    core::OwnedFd to(
        ::openat(destination_fd, entry.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!to) return copy_error(errno, entry.path, destination);
    if (auto copied = copy_bytes(from.get(), to.get(), entry.size, entry.path, destination); !copied)
        return copied.error();
    // The manifest's mode exactly (not masked by the umask); the blob keeps its 0444.
    if (::fchmod(to.get(), entry.mode & 0777) != 0) return copy_error(errno, entry.path, destination);
    return {};
}

std::atomic<std::uint64_t> staging_count{0};

// The destination must be absent or an empty folder (not a link to one).
core::Status check_destination(const std::filesystem::path& destination) {
    struct stat status {};
    if (::lstat(destination.c_str(), &status) != 0) {
        if (errno == ENOENT) return {};
        return core::Error::from_errno(errno, "cannot materialize a snapshot into " + destination.string());
    }
    std::error_code error;
    if (!S_ISDIR(status.st_mode) || !std::filesystem::is_empty(destination, error) || error)
        return core::Error::from_errno(error ? error.value() : ENOTEMPTY,
                                       "cannot materialize a snapshot into " + destination.string());
    return {};
}

// Fills the empty folder `staging_fd` with the manifest: files first, links last, so that while
// files are written no link exists below it and no path can lead through one.
core::Status fill(const BlobStore& blobs, const sync::Manifest& manifest, int staging_fd,
                  const std::filesystem::path& destination) {
    std::unordered_set<std::string> made;
    for (const auto& entry : manifest.files) {
        if (!entry.link.empty()) continue;
        if (auto parents = make_parents(staging_fd, entry.path, made, destination); !parents) return parents.error();
        if (auto copied = copy_file(blobs, entry, staging_fd, destination); !copied) return copied.error();
    }
    for (const auto& entry : manifest.files) {
        if (entry.link.empty()) continue;
        if (auto parents = make_parents(staging_fd, entry.path, made, destination); !parents) return parents.error();
        if (::symlinkat(entry.link.c_str(), staging_fd, entry.path.c_str()) != 0)
            return copy_error(errno, entry.path, destination);
    }
    return {};
}

}  // namespace

std::string snapshot_id(const sync::Manifest& manifest) {
    return "s-" + sync::hash_bytes(sync::to_json(manifest)).substr(0, 32);
}

std::vector<std::string> missing_blobs(const BlobStore& blobs, const sync::Manifest& manifest) {
    std::vector<std::string> hashes;
    hashes.reserve(manifest.files.size());
    for (const auto& entry : manifest.files)
        if (entry.link.empty()) hashes.push_back(entry.hash);
    return blobs.missing(hashes);
}

core::Status materialize(const BlobStore& blobs, const sync::Manifest& manifest,
                         const std::filesystem::path& destination_as_given) {
    const std::filesystem::path destination =
        destination_as_given.has_filename() ? destination_as_given : destination_as_given.parent_path();
    for (const auto& entry : manifest.files) {
        // Validated manifests only; a path that is not safe would write outside the destination.
        if (!sync::is_safe_relative_path(entry.path) ||
            (!entry.link.empty() && !sync::link_stays_inside(entry.path, entry.link)))
            return core::Error::invalid("cannot materialize " + entry.path + ": not a validated manifest");
    }
    if (auto usable = check_destination(destination); !usable) return usable.error();
    const std::filesystem::path parent = destination.parent_path();
    std::error_code error;
    if (!parent.empty()) std::filesystem::create_directories(parent, error);
    if (error) return core::Error::from_errno(error.value(), "cannot create " + parent.string());

    // Built in a sibling folder and renamed into place: the destination holds the whole snapshot
    // or does not exist. (A crash can leave the sibling behind, never a partial destination.)
    const std::filesystem::path staging =
        parent / ("." + destination.filename().string() + ".materializing." + std::to_string(::getpid()) + "." +
                  std::to_string(staging_count.fetch_add(1)));
    if (::mkdir(staging.c_str(), 0755) != 0)
        return core::Error::from_errno(errno, "cannot materialize a snapshot into " + destination.string());
    core::OwnedFd staging_fd(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    core::Status filled = staging_fd ? fill(blobs, manifest, staging_fd.get(), destination)
                                     : core::Status(core::Error::from_errno(errno, "cannot open " + staging.string()));
    staging_fd.reset();
    if (filled && ::rename(staging.c_str(), destination.c_str()) != 0)  // replaces an empty folder
        filled = core::Error::from_errno(errno, "cannot materialize a snapshot into " + destination.string());
    if (!filled) std::filesystem::remove_all(staging, error);  // never follows the links it holds
    return filled;
}

core::Result<ProjectSnapshot> snapshot_folder(BlobStore& blobs, const std::filesystem::path& folder,
                                              const sync::Limits& limits) {
    sync::ScanOptions options;
    options.limits = limits;
    auto scanned = sync::scan_folder(folder, options);
    if (!scanned) return scanned.error();
    ProjectSnapshot snapshot;
    std::unordered_set<std::string_view> stored;
    const auto& files = scanned->manifest.files;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& entry = files[i];
        if (!entry.link.empty() || stored.contains(entry.hash) || blobs.has(entry.hash)) continue;
        auto hash = blobs.put_file(scanned->absolute_paths[i]);
        if (!hash) return hash.error();
        if (*hash != entry.hash)
            return core::Error::invalid(scanned->absolute_paths[i].string() +
                                        " changed while it was being snapshotted; submit again");
        stored.insert(entry.hash);
        ++snapshot.stored_files;
        snapshot.stored_bytes += entry.size;
    }
    snapshot.manifest = std::move(scanned->manifest);
    return snapshot;
}

}  // namespace ailab::jobs
