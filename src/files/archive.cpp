#include "files/archive.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "files/tar.hpp"
#include "files/tree_walk.hpp"

namespace ailab::files {

struct FolderArchive::State {
    explicit State(TreeWalk walk_in) : walk(std::move(walk_in)) {}
    ~State() {
        if (zlib_ready) ::deflateEnd(&zlib);
    }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    TreeWalk walk;
    ArchiveOptions options;
    std::string top;  // the entries' first path component
    z_stream zlib{};
    bool zlib_ready = false;
    std::string raw;              // tar bytes not yet compressed
    core::OwnedFd file;           // the file whose content is being copied
    std::string file_path;        // its path, for messages
    std::uint64_t remaining = 0;  // content bytes of `file` still to copy
    std::size_t padding = 0;      // zero bytes after its content
    bool file_shrank = false;     // it ended early: the rest is zeros
    bool top_written = false;
    bool tar_ended = false;  // the two end blocks are in `raw`
    bool finished = false;   // zlib's stream end went out
};

namespace {

bool left_out(std::string_view path) {
    const auto slash = path.rfind('/');
    const auto name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    return name == ".ailab-trash" || name.starts_with(".ailab-upload-");
}

// Compresses `input` into the end of `out`; with Z_FINISH, until zlib's stream end.
void deflate_into(z_stream& zlib, std::string_view input, int flush, std::string& out) {
    constexpr std::size_t step = 64 * 1024;
    zlib.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    zlib.avail_in = static_cast<uInt>(input.size());
    for (;;) {
        const auto old_size = out.size();
        out.resize(old_size + step);
        zlib.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
        zlib.avail_out = static_cast<uInt>(step);
        const int result = ::deflate(&zlib, flush);
        out.resize(old_size + step - zlib.avail_out);
        if (result == Z_STREAM_ERROR) throw core::ErrorException(core::Error::invalid("zlib refused the stream"));
        if (flush == Z_FINISH ? result == Z_STREAM_END : (zlib.avail_in == 0 && zlib.avail_out != 0)) return;
    }
}

}  // namespace

FolderArchive::FolderArchive(std::unique_ptr<State> state) : state_(std::move(state)) {}
FolderArchive::~FolderArchive() = default;

core::Result<std::unique_ptr<FolderArchive>> FolderArchive::open(std::shared_ptr<const core::ConfinedRoot> root,
                                                                 std::string path, std::string top_name,
                                                                 ArchiveOptions options) {
    auto walk = TreeWalk::open(std::move(root), std::move(path));
    if (!walk) return walk.error();
    auto state = std::make_unique<State>(std::move(*walk));
    state->options = options;
    state->top = std::move(top_name);
    // windowBits 15 + 16: a gzip wrapper (header and CRC) around the deflate stream.
    if (::deflateInit2(&state->zlib, options.compression_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return core::Error::from_errno(ENOMEM, "cannot start the compressor");
    state->zlib_ready = true;
    return std::unique_ptr<FolderArchive>(new FolderArchive(std::move(state)));
}

std::optional<std::string> FolderArchive::next_chunk() {
    auto& state = *state_;
    if (state.finished) return std::nullopt;
    std::string out;
    out.reserve(state.options.chunk_bytes + 64 * 1024);
    while (out.size() < state.options.chunk_bytes && !state.finished) {
        state.raw.clear();
        fill_raw();
        deflate_into(state.zlib, state.raw, state.tar_ended ? Z_FINISH : Z_NO_FLUSH, out);
        if (state.tar_ended) state.finished = true;
    }
    return out;
}

void FolderArchive::fill_raw() {
    auto& state = *state_;
    auto& raw = state.raw;
    const auto target = state.options.chunk_bytes;
    if (!state.top_written) {
        TarEntry top{
            state.top + "/", TarType::folder, 0755, 0, 0, 0, static_cast<std::int64_t>(std::time(nullptr)), {}};
        append_tar_header(raw, top);
        state.top_written = true;
    }
    while (raw.size() < target && !state.tar_ended) {
        if (state.file) {
            if (state.remaining > 0) {
                const auto want = static_cast<std::size_t>(
                    std::min<std::uint64_t>(state.remaining, std::max<std::size_t>(target - raw.size(), 64 * 1024)));
                const auto old_size = raw.size();
                raw.resize(old_size + want);  // zeros: what a file that shrank is padded with
                if (!state.file_shrank) {
                    const auto got = ::read(state.file.get(), raw.data() + old_size, want);
                    if (got < 0) {
                        raw.resize(old_size);
                        if (errno == EINTR) continue;
                        throw core::ErrorException(core::Error::from_errno(errno, "cannot read " + state.file_path));
                    }
                    if (got == 0) {
                        state.file_shrank = true;
                    } else {
                        raw.resize(old_size + static_cast<std::size_t>(got));
                    }
                }
                state.remaining -= raw.size() - old_size;
                continue;
            }
            raw.append(state.padding, '\0');
            state.file.reset();
            continue;
        }
        auto entry = state.walk.next();
        if (!entry) {
            append_tar_end(raw);
            state.tar_ended = true;
            break;
        }
        if (left_out(entry->path)) {
            state.walk.skip_folder();
            continue;
        }
        const auto& info = entry->info;
        TarEntry header;
        header.path = state.top + "/" + entry->path;
        header.mode = info.st_mode & 07777;
        header.uid = info.st_uid;
        header.gid = info.st_gid;
        header.mtime = info.st_mtim.tv_sec;
        switch (entry->type) {
        case EntryType::folder:
            header.path += '/';
            header.type = TarType::folder;
            append_tar_header(raw, header);
            ++counts_.folders;
            break;
        case EntryType::link: {
            auto target_text = state.walk.read_link(*entry);
            if (!target_text) {
                ++counts_.skipped;
                break;
            }
            header.type = TarType::link;
            header.link_target = std::move(*target_text);
            header.mode = 0777;
            append_tar_header(raw, header);
            ++counts_.links;
            break;
        }
        case EntryType::file: {
            struct stat opened {};
            auto fd = state.walk.open_file(*entry, opened);
            if (!fd) {  // vanished, or swapped for something else since it was listed
                ++counts_.skipped;
                break;
            }
            ::posix_fadvise(fd->get(), 0, 0, POSIX_FADV_SEQUENTIAL);
            header.type = TarType::file;
            header.size = static_cast<std::uint64_t>(opened.st_size);
            header.mode = opened.st_mode & 07777;
            header.mtime = opened.st_mtim.tv_sec;
            append_tar_header(raw, header);
            state.file = std::move(*fd);
            state.file_path = entry->path;
            state.remaining = header.size;
            state.padding = tar_padding(header.size);
            state.file_shrank = false;
            ++counts_.files;
            counts_.content_bytes += header.size;
            break;
        }
        case EntryType::other: ++counts_.skipped; break;
        }
    }
}

}  // namespace ailab::files
