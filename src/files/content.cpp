#include "files/content.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>

#include "core/fd.hpp"
#include "files/paths.hpp"

namespace ailab::files {
namespace {

constexpr std::size_t etag_cache_entries = 4096;
constexpr std::size_t sniff_bytes = 512;

std::int64_t nanoseconds(const timespec& time) {
    return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

std::tuple<dev_t, ino_t, std::int64_t, std::int64_t, std::int64_t> key_of(const struct stat& status) {
    return {status.st_dev, status.st_ino, status.st_size, nanoseconds(status.st_mtim), nanoseconds(status.st_ctim)};
}

std::string to_hex(const unsigned char* bytes, std::size_t length) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex(length * 2, '0');
    for (std::size_t i = 0; i < length; ++i) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    return hex;
}

class Blake2b16 {
public:
    Blake2b16() { crypto_generichash_init(&state_, nullptr, 0, 16); }
    void update(std::string_view data) {
        crypto_generichash_update(&state_, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    }
    std::string finish() {
        unsigned char digest[16];
        crypto_generichash_final(&state_, digest, sizeof digest);
        return to_hex(digest, sizeof digest);
    }

private:
    crypto_generichash_state state_{};
};

std::string hash_of(std::string_view data) {
    Blake2b16 hasher;
    hasher.update(data);
    return hasher.finish();
}

// Reads `length` bytes at `offset` (fewer at the end of the file).
core::Result<std::string> read_at(int fd, std::int64_t offset, std::int64_t length) {
    std::string bytes(static_cast<std::size_t>(length), '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
        const auto n = ::pread(fd, bytes.data() + got, bytes.size() - got, offset + static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return core::Error::from_errno(errno, "cannot read the file");
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    bytes.resize(got);
    return bytes;
}

core::Error not_regular(const std::string& path) {
    return core::Error::from_errno(EPERM, path + " is not a regular file (a FIFO, a device or a socket)");
}

bool has_suffix(std::string_view name, std::string_view suffix) {
    if (name.size() < suffix.size()) return false;
    auto tail = name.substr(name.size() - suffix.size());
    return std::equal(tail.begin(), tail.end(), suffix.begin(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

bool looks_like_text(std::string_view head) { return head.find('\0') == std::string_view::npos; }

}  // namespace

std::optional<ByteRange> parse_range(std::string_view header) {
    constexpr std::string_view prefix = "bytes=";
    if (!header.starts_with(prefix)) return std::nullopt;
    header.remove_prefix(prefix.size());
    if (header.find(',') != std::string_view::npos) return std::nullopt;  // several ranges: whole file
    const auto dash = header.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto number = [](std::string_view text) -> std::optional<std::int64_t> {
        std::int64_t value = 0;
        auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || value < 0)
            return std::nullopt;
        return value;
    };
    ByteRange range;
    const auto first = header.substr(0, dash);
    const auto last = header.substr(dash + 1);
    if (!first.empty()) {
        range.first = number(first);
        if (!range.first) return std::nullopt;
    }
    if (!last.empty()) {
        range.last = number(last);
        if (!range.last) return std::nullopt;
    }
    if (!range.first && !range.last) return std::nullopt;
    if (range.first && range.last && *range.last < *range.first) return std::nullopt;
    return range;
}

ContentType content_type_of(std::string_view name, std::string_view head) {
    struct Known {
        std::string_view suffix;
        std::string_view mime;
        bool inline_safe;
        std::string_view magic;  // the first bytes a file of this type must start with ("" any)
    };
    static constexpr Known known[] = {
        {".png", "image/png", true, "\x89PNG"},
        {".jpg", "image/jpeg", true, "\xFF\xD8\xFF"},
        {".jpeg", "image/jpeg", true, "\xFF\xD8\xFF"},
        {".gif", "image/gif", true, "GIF8"},
        {".webp", "image/webp", true, "RIFF"},
        {".json", "application/json", true, ""},
        {".csv", "text/csv; charset=utf-8", true, ""},
        {".tsv", "text/tab-separated-values; charset=utf-8", true, ""},
        {".md", "text/markdown; charset=utf-8", true, ""},
        {".html", "text/html; charset=utf-8", false, ""},
        {".htm", "text/html; charset=utf-8", false, ""},
        {".xhtml", "application/xhtml+xml", false, ""},
        {".svg", "image/svg+xml", false, ""},
        {".xml", "application/xml", false, ""},
        {".js", "text/javascript; charset=utf-8", false, ""},
        {".mjs", "text/javascript; charset=utf-8", false, ""},
        {".pdf", "application/pdf", false, "%PDF"},
        {".gz", "application/gzip", false, ""},
        {".tar", "application/x-tar", false, ""},
        {".zip", "application/zip", false, ""},
    };
    for (const auto& type : known) {
        if (!has_suffix(name, type.suffix)) continue;
        if (!type.magic.empty() && !head.starts_with(type.magic)) return {"application/octet-stream", false};
        if (type.mime.starts_with("text/") && !looks_like_text(head)) return {"application/octet-stream", false};
        return {std::string(type.mime), type.inline_safe};
    }
    // No known extension: the sniff decides between a few images, text and bytes.
    if (head.starts_with("\x89PNG")) return {"image/png", true};
    if (head.starts_with("\xFF\xD8\xFF")) return {"image/jpeg", true};
    if (head.starts_with("GIF8")) return {"image/gif", true};
    if (head.size() >= 12 && head.starts_with("RIFF") && head.substr(8, 4) == "WEBP") return {"image/webp", true};
    if (looks_like_text(head)) return {"text/plain; charset=utf-8", true};
    return {"application/octet-stream", false};
}

std::optional<std::string> ContentStore::cached_etag(const Key& key) {
    std::lock_guard lock(cache_mutex_);
    auto found = etags_.find(key);
    if (found == etags_.end()) return std::nullopt;
    return found->second;
}

void ContentStore::remember_etag(const Key& key, std::string etag) {
    std::lock_guard lock(cache_mutex_);
    if (etags_.size() >= etag_cache_entries) etags_.clear();
    etags_[key] = std::move(etag);
}

core::Result<std::string> ContentStore::etag_of(int fd, const Key& key) {
    if (auto cached = cached_etag(key)) return *cached;
    Blake2b16 hasher;
    std::string buffer(std::size_t{1} << 20, '\0');
    off_t offset = 0;
    while (true) {
        const auto n = ::pread(fd, buffer.data(), buffer.size(), offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return core::Error::from_errno(errno, "cannot read the file");
        if (n == 0) break;
        hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        offset += n;
    }
    auto etag = hasher.finish();
    remember_etag(key, etag);
    return etag;
}

core::Result<FileContent> ContentStore::read(const Root& root, const std::string& path,
                                             std::optional<ByteRange> range) {
    auto fd = root.folder->open_file(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (!fd) return fd.error();
    struct stat status {};
    if (::fstat(fd->get(), &status) != 0) return core::Error::from_errno(errno, "cannot read " + path);
    if (S_ISDIR(status.st_mode)) return core::Error::from_errno(EISDIR, (path.empty() ? "." : path) + " is a folder");
    if (!S_ISREG(status.st_mode)) return not_regular(path);
    FileContent content;
    content.size = status.st_size;
    const auto key = key_of(status);
    auto head = read_at(fd->get(), 0, std::min<std::int64_t>(content.size, sniff_bytes));
    if (!head) return head.error();
    content.type = content_type_of(name_of(path), *head);
    if (range) {
        std::int64_t first = 0;
        std::int64_t last = content.size - 1;
        if (!range->first) {
            first = std::max<std::int64_t>(0, content.size - *range->last);
        } else {
            first = *range->first;
            if (range->last) last = std::min(last, *range->last);
        }
        if (first >= content.size || (range->first == std::nullopt && *range->last == 0)) {
            content.outcome = ReadOutcome::unsatisfiable;
            return content;
        }
        auto bytes = read_at(fd->get(), first, last - first + 1);
        if (!bytes) return bytes.error();
        content.outcome = ReadOutcome::partial;
        content.first = first;
        content.last = first + static_cast<std::int64_t>(bytes->size()) - 1;
        content.bytes = std::move(*bytes);
        if (auto cached = cached_etag(key)) {
            content.etag = *cached;
        } else if (content.size <= max_in_memory_bytes) {
            auto etag = etag_of(fd->get(), key);
            if (!etag) return etag.error();
            content.etag = std::move(*etag);
        }
        return content;
    }
    if (content.size > max_in_memory_bytes) {
        content.outcome = ReadOutcome::streamed;
        if (auto cached = cached_etag(key)) content.etag = *cached;
        content.file = std::make_shared<core::OwnedFd>(std::move(*fd));
        return content;
    }
    auto bytes = read_at(fd->get(), 0, content.size);
    if (!bytes) return bytes.error();
    content.bytes = std::move(*bytes);
    // The hash of what is served; cached only when the file did not change while it was read.
    content.etag = hash_of(content.bytes);
    struct stat after {};
    if (::fstat(fd->get(), &after) == 0 && key_of(after) == key &&
        static_cast<std::int64_t>(content.bytes.size()) == content.size)
        remember_etag(key, content.etag);
    return content;
}

core::Result<SaveResult> ContentStore::save(const Root& root, const std::string& path, Precondition precondition,
                                            std::string_view etag, std::string_view bytes) {
    if (path.empty()) return core::Error::invalid("the root itself is a folder, not a file");
    if (root.is_read_only(path))
        return core::Error::from_errno(EACCES, path + " is a file of the job's snapshot, which is read-only");
    const auto parent_path = parent_of(path);
    const auto name = name_of(path);
    auto parent = root.folder->open_folder(parent_path);
    if (!parent) return parent.error();
    struct stat parent_status {};
    if (::fstat(parent->get(), &parent_status) != 0) return core::Error::from_errno(errno, "cannot save " + path);
    const auto stripe = std::hash<std::string>{}(std::to_string(parent_status.st_dev) + ":" +
                                                 std::to_string(parent_status.st_ino) + "/" + name);
    std::lock_guard lock(save_locks_[stripe % save_locks_.size()]);

    // What is there now: nothing, a regular file, or something a save may not replace.
    struct stat old_status {};
    bool exists = false;
    std::string current_etag;
    if (::fstatat(parent->get(), name.c_str(), &old_status, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(old_status.st_mode))
            return core::Error::from_errno(ELOOP, path + " is a symbolic link; open and save its target instead");
        if (S_ISDIR(old_status.st_mode)) return core::Error::from_errno(EISDIR, path + " is a folder");
        if (!S_ISREG(old_status.st_mode)) return not_regular(path);
        core::OwnedFd old(
            ::openat(parent->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        if (!old) return core::Error::from_errno(errno, "cannot open " + path);
        if (::fstat(old.get(), &old_status) != 0 || !S_ISREG(old_status.st_mode)) return not_regular(path);
        // A read-only file reached through another name (a link to its folder).
        if (auto where = relative_path_of(*root.folder, old.get()); where && root.is_read_only(*where))
            return core::Error::from_errno(EACCES, path + " is a file of the job's snapshot, which is read-only");
        auto hashed = etag_of(old.get(), key_of(old_status));
        if (!hashed) return hashed.error();
        current_etag = std::move(*hashed);
        exists = true;
    } else if (errno != ENOENT) {
        return core::Error::from_errno(errno, "cannot save " + path);
    }
    if (precondition == Precondition::create_only ? exists : (!exists || current_etag != etag))
        return SaveResult{SaveOutcome::precondition_failed, current_etag, exists ? old_status.st_size : 0};

    // The new content beside the old file, under a name no one else uses.
    unsigned char random[6];
    randombytes_buf(random, sizeof random);
    std::string temporary = ".ailab-save-" + to_hex(random, sizeof random) + "-" + name;
    if (temporary.size() > 255) temporary.resize(255);
    const mode_t mode = exists ? (old_status.st_mode & 07777) : 0644;
    core::OwnedFd out(::openat(parent->get(), temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                               exists ? 0600 : mode));
    if (!out) return core::Error::from_errno(errno, "cannot save " + path);
    auto discard = [&](int error_number, const std::string& what) {
        ::unlinkat(parent->get(), temporary.c_str(), 0);  // our own temporary file, never the user's
        return core::Error::from_errno(error_number, what);
    };
    if (exists && ::fchmod(out.get(), mode) != 0) return discard(errno, "cannot keep the mode of " + path);
    std::size_t written = 0;
    while (written < bytes.size()) {
        const auto n = ::write(out.get(), bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return discard(errno, "cannot save " + path + " (the old content is unchanged)");
        written += static_cast<std::size_t>(n);
    }
    if (::fdatasync(out.get()) != 0) return discard(errno, "cannot save " + path + " (the old content is unchanged)");
    struct stat new_status {};
    ::fstat(out.get(), &new_status);
    // A 412 after the write names what is there now.
    auto conflict = [&]() -> SaveResult {
        core::OwnedFd now(
            ::openat(parent->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        struct stat now_status {};
        if (!now || ::fstat(now.get(), &now_status) != 0 || !S_ISREG(now_status.st_mode))
            return {SaveOutcome::precondition_failed, "", 0};
        auto hashed = etag_of(now.get(), key_of(now_status));
        return {SaveOutcome::precondition_failed, hashed ? *hashed : "", now_status.st_size};
    };

    if (precondition == Precondition::create_only) {
        if (::renameat2(parent->get(), temporary.c_str(), parent->get(), name.c_str(), RENAME_NOREPLACE) != 0) {
            const int error = errno;
            ::unlinkat(parent->get(), temporary.c_str(), 0);
            if (error == EEXIST) return conflict();
            return core::Error::from_errno(error, "cannot save " + path);
        }
    } else {
        // Another program may have written the file since it was hashed: compare just before.
        struct stat now {};
        if (::fstatat(parent->get(), name.c_str(), &now, AT_SYMLINK_NOFOLLOW) != 0 ||
            key_of(now) != key_of(old_status)) {
            ::unlinkat(parent->get(), temporary.c_str(), 0);
            return conflict();
        }
        if (::renameat(parent->get(), temporary.c_str(), parent->get(), name.c_str()) != 0)
            return discard(errno, "cannot save " + path);
    }
    SaveResult result{SaveOutcome::saved, hash_of(bytes), static_cast<std::int64_t>(bytes.size())};
    remember_etag(key_of(new_status), result.etag);
    return result;
}

}  // namespace ailab::files
