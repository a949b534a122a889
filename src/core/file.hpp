#pragma once
// Reading small files whole: /proc entries, configs, a run's side files. Only regular files and
// the kernel's pseudo-files are read (a FIFO or a device is refused on the opened descriptor, not
// by looking at the path first), and never more than max_bytes.

#include <cstddef>
#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace ailab::core {

inline constexpr std::size_t default_small_file_bytes = std::size_t{1} << 20;

// Reads at most max_bytes of the regular file at path. Errors: cannot open, not a regular file
// (EINVAL... reported as "not a regular file"), read failure. A longer file is cut at max_bytes.
Result<std::string> read_small_file(const std::filesystem::path& path,
                                    std::size_t max_bytes = default_small_file_bytes);

// The same from an already opened descriptor (for example one opened beneath a confined root);
// reads from offset 0 with pread, so the descriptor's position is left alone.
Result<std::string> read_small_file(int fd, std::size_t max_bytes = default_small_file_bytes);

// Hot-path form for pseudo-files whose size stat() does not tell (/proc/<pid>/status): reads
// into buffer, reusing its capacity, until end of file or max_bytes.
Status read_pseudo_file(const std::filesystem::path& path, std::string& buffer,
                        std::size_t max_bytes = default_small_file_bytes);

}  // namespace ailab::core
