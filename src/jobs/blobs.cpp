#include "jobs/blobs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <unordered_set>

#include "core/fd.hpp"
#include "sync/hash.hpp"

// How a blob is written: a temporary file in <root>/incoming (created with O_EXCL under a name no
// other writer uses), the bytes, fchmod 0444, then renameat2(RENAME_NOREPLACE) to
// <root>/<2 hex>/<62 hex>. Any failure on the way unlinks the temporary file, so the store holds
// complete blobs and nothing else; a crash can leave a temporary file, which the next BlobStore
// on the same root removes once it is an hour old. Blobs are not fsync'd one by one (3-6 ms each
// here: a 1,000-file first sync would take seconds); sync() flushes the store's file system once
// before a snapshot that names them is recorded.

namespace ailab::jobs {
namespace {

constexpr std::size_t copy_buffer_bytes = std::size_t{256} << 10;
constexpr const char* incoming_folder = "incoming";
constexpr time_t stale_temporary_seconds = 3600;

std::atomic<std::uint64_t> temporary_count{0};

// A temporary file in the store's incoming folder; removed unless it was moved into place.
class TemporaryBlob {
public:
    static core::Result<TemporaryBlob> create(const std::filesystem::path& root) {
        const std::filesystem::path folder = root / incoming_folder;
        if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) return store_error(root, errno);
        if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) return store_error(root, errno);
        unsigned char random[8];
        randombytes_buf(random, sizeof random);
        char name[96];
        std::snprintf(name, sizeof name, "%d.%llu.%02x%02x%02x%02x%02x%02x%02x%02x", static_cast<int>(::getpid()),
                      static_cast<unsigned long long>(temporary_count.fetch_add(1)), random[0], random[1], random[2],
                      random[3], random[4], random[5], random[6], random[7]);
        std::filesystem::path path = folder / name;
        core::OwnedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) return store_error(root, errno);
        return TemporaryBlob(root, std::move(path), std::move(fd));
    }

    TemporaryBlob(TemporaryBlob&& other) noexcept
        : root_(std::move(other.root_)), path_(std::move(other.path_)), fd_(std::move(other.fd_)) {
        other.path_.clear();
    }
    TemporaryBlob& operator=(TemporaryBlob&&) = delete;
    ~TemporaryBlob() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }

    core::Status write(std::string_view data) {
        while (!data.empty()) {
            const auto written = ::write(fd_.get(), data.data(), data.size());
            if (written < 0) {
                if (errno == EINTR) continue;
                return store_error(root_, errno);
            }
            data.remove_prefix(static_cast<std::size_t>(written));
        }
        return {};
    }

    // Read-only, and the atomic move to `target`; already_there when a blob is at `target`.
    core::Result<PutOutcome> commit(const std::filesystem::path& target) {
        if (::fchmod(fd_.get(), 0444) != 0) return store_error(root_, errno);
        fd_.reset();
        if (::mkdir(target.parent_path().c_str(), 0755) != 0 && errno != EEXIST) return store_error(root_, errno);
        if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
            if (errno == EEXIST) return PutOutcome::already_there;  // a concurrent put won
            if (errno != EINVAL && errno != ENOSYS) return store_error(root_, errno);
            // A file system without RENAME_NOREPLACE: a blob there has the same bytes anyway.
            if (::rename(path_.c_str(), target.c_str()) != 0) return store_error(root_, errno);
        }
        path_.clear();
        return PutOutcome::stored;
    }

    int fd() const { return fd_.get(); }

    static core::Error store_error(const std::filesystem::path& root, int error_number) {
        return core::Error::from_errno(error_number, "cannot store a blob in " + root.string());
    }

private:
    TemporaryBlob(std::filesystem::path root, std::filesystem::path path, core::OwnedFd fd)
        : root_(std::move(root)), path_(std::move(path)), fd_(std::move(fd)) {}

    std::filesystem::path root_;
    std::filesystem::path path_;  // "" once moved into place
    core::OwnedFd fd_;
};

// Removes temporary files a crashed writer left behind (an hour old: no put takes that long).
void remove_stale_temporaries(const std::filesystem::path& root) {
    const std::filesystem::path folder = root / incoming_folder;
    core::OwnedFd fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return;
    const int listing = ::dup(fd.get());
    DIR* dir = listing >= 0 ? ::fdopendir(listing) : nullptr;
    if (dir == nullptr) {
        if (listing >= 0) ::close(listing);
        return;
    }
    const time_t now = ::time(nullptr);
    while (const dirent* entry = ::readdir(dir)) {
        struct stat status {};
        if (entry->d_name[0] == '.') continue;
        if (::fstatat(fd.get(), entry->d_name, &status, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(status.st_mode)) continue;
        if (now - status.st_mtime > stale_temporary_seconds) ::unlinkat(fd.get(), entry->d_name, 0);
    }
    ::closedir(dir);
}

}  // namespace

BlobStore::BlobStore(std::filesystem::path root) : root_(std::move(root)) {
    std::error_code ignored;  // a store that cannot be created fails each put, naming itself
    std::filesystem::create_directories(root_, ignored);
    remove_stale_temporaries(root_);
}

std::filesystem::path BlobStore::path_of(std::string_view hash) const {
    if (!sync::is_hash(hash)) return {};
    return root_ / hash.substr(0, 2) / hash.substr(2);
}

bool BlobStore::has(std::string_view hash) const {
    if (!sync::is_hash(hash)) return false;
    struct stat status {};
    return ::stat(path_of(hash).c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

std::vector<std::string> BlobStore::missing(const std::vector<std::string>& hashes) const {
    std::vector<std::string> result;
    std::unordered_set<std::string_view> seen;
    seen.reserve(hashes.size());
    for (const auto& hash : hashes) {
        if (!seen.insert(hash).second) continue;
        if (!has(hash)) result.push_back(hash);
    }
    return result;
}

core::Result<PutOutcome> BlobStore::put(std::string_view hash, std::string_view data) {
    if (!sync::is_hash(hash))
        return core::Error::invalid("\"" + std::string(hash.substr(0, 80)) +
                                    "\" is not a blob hash (64 lower-case hex digits)");
    const std::string actual = sync::hash_bytes(data);
    if (actual != hash) return core::Error::invalid("the bytes hash to " + actual + ", not " + std::string(hash));
    if (has(hash)) return PutOutcome::already_there;
    auto temporary = TemporaryBlob::create(root_);
    if (!temporary) return temporary.error();
    if (auto written = temporary->write(data); !written) return written.error();
    return temporary->commit(path_of(hash));
}

core::Result<std::string> BlobStore::put_file(const std::filesystem::path& file) {
    core::OwnedFd source(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!source) return core::Error::from_errno(errno, "cannot read " + file.string());
    struct stat status {};
    if (::fstat(source.get(), &status) != 0) return core::Error::from_errno(errno, "cannot read " + file.string());
    if (!S_ISREG(status.st_mode)) return core::Error::invalid("cannot store " + file.string() + ": not a regular file");
    auto temporary = TemporaryBlob::create(root_);
    if (!temporary) return temporary.error();
    sync::Hasher hasher;
    std::string buffer(copy_buffer_bytes, '\0');
    for (;;) {
        const auto got = ::read(source.get(), buffer.data(), buffer.size());
        if (got < 0) {
            if (errno == EINTR) continue;
            return core::Error::from_errno(errno, "cannot read " + file.string());
        }
        if (got == 0) break;
        const std::string_view piece(buffer.data(), static_cast<std::size_t>(got));
        hasher.update(piece);
        if (auto written = temporary->write(piece); !written) return written.error();
    }
    std::string hash = hasher.finish();
    if (has(hash)) return hash;  // the temporary file goes
    if (auto committed = temporary->commit(path_of(hash)); !committed) return committed.error();
    return hash;
}

core::Status BlobStore::sync() const {
    core::OwnedFd root(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root || ::syncfs(root.get()) != 0)
        return core::Error::from_errno(errno, "cannot flush the blob store " + root_.string());
    return {};
}

}  // namespace ailab::jobs
