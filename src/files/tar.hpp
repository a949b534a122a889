#pragma once
// The tar format, written by hand: POSIX ustar headers, with a pax extended header ('x') in front
// of an entry whose path or link target does not fit ustar's fields (or whose size passes 8 GiB),
// as GNU tar, bsdtar and Python's tarfile read it. Blocks are 512 bytes; an archive ends with two
// zero blocks.

#include <cstdint>
#include <string>
#include <string_view>

namespace ailab::files {

inline constexpr std::size_t tar_block_bytes = 512;

enum class TarType : char { file = '0', link = '2', folder = '5' };

struct TarEntry {
    std::string path;  // "/"-separated; a folder's ends with "/"
    TarType type = TarType::file;
    std::uint32_t mode = 0644;  // permission bits only
    std::uint64_t uid = 0;
    std::uint64_t gid = 0;
    std::uint64_t size = 0;   // bytes of content that follow (files only)
    std::int64_t mtime = 0;   // seconds since the epoch
    std::string link_target;  // links only
};

// Appends the header block(s) of entry to out: a pax header and its records first when needed.
void append_tar_header(std::string& out, const TarEntry& entry);

// Zero bytes that pad `size` bytes of content to a whole block.
std::size_t tar_padding(std::uint64_t size);

// Appends the end of an archive (two zero blocks).
void append_tar_end(std::string& out);

}  // namespace ailab::files
