#pragma once
// The small pieces that the server side (jobs/process.cpp) and the supervisor (jobs/supervisor.cpp)
// share about a job's folder: the file names, atomic writes, pid.json and /proc start ticks. Internal
// to jobs/: the contract for everyone else is jobs/process.hpp.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/error.hpp"

namespace ailab::jobs::folder {

inline constexpr const char* spec_file = "spec.json";
inline constexpr const char* lock_file = "lock";
inline constexpr const char* pid_file = "pid.json";
inline constexpr const char* output_file = "output.log";
inline constexpr const char* status_file = "status.json";

// renamed: tmp + rename (readers see the old file or the whole new one). synced: also fsync the
// file before the rename and the folder after it, so the new file survives a power loss.
enum class Durability { renamed, synced };

// Writes folder/name through a temporary file beside it (".<name>.<pid>.tmp") and rename(2).
core::Status write_file_atomically(const std::filesystem::path& folder, std::string_view name, std::string_view text,
                                   Durability durability);

// Whether folder/name exists (any type); false on every error.
bool file_exists(const std::filesystem::path& folder, const char* name);

// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); nullopt when the process is
// gone or the file is unreadable. pid 0 reads /proc/self/stat.
std::optional<std::uint64_t> read_start_ticks(pid_t pid);

// pid.json.
struct PidFile {
    std::int32_t supervisor_pid = 0;
    std::uint64_t supervisor_start_ticks = 0;
    std::int32_t job_pid = 0;
    double started_at = 0;  // seconds since the epoch
};
core::Status write_pid_file(const std::filesystem::path& job_folder, const PidFile& record);
// nullopt when there is no pid.json; an error when it cannot be read or parsed.
core::Result<std::optional<PidFile>> read_pid_file(const std::filesystem::path& job_folder);

// Wall clock in seconds since the epoch, as the folder's files store it.
double now_seconds();

}  // namespace ailab::jobs::folder
