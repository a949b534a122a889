#pragma once
// Reading and parsing /proc by hand. Files are kept open and read with pread() at offset 0 into a
// buffer that is reused from sample to sample, so a steady-state sample allocates nothing here.
// The proc root is a parameter everywhere so tests can point it at recorded files.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ailab::sys {

// An open file read whole on every read(). Not thread-safe: one owner thread.
class ProcFile {
public:
    ProcFile() = default;
    explicit ProcFile(std::filesystem::path path);
    ~ProcFile();
    ProcFile(ProcFile&& other) noexcept;
    ProcFile& operator=(ProcFile&& other) noexcept;
    ProcFile(const ProcFile&) = delete;
    ProcFile& operator=(const ProcFile&) = delete;

    // Reads the file from offset 0, re-opening it when an earlier open failed. With an empty
    // `leading_prefix` it reads to the end of the file; otherwise it stops as soon as the buffer holds
    // a complete line that does not start with the prefix (for /proc/stat, whose cpu lines come
    // first). Returns nullopt when the file cannot be opened or read. The view lives until the next read.
    std::optional<std::string_view> read(std::string_view leading_prefix = {});

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    int fd_ = -1;
    std::string buffer_;
};

// Cumulative jiffies of one cpu line of /proc/stat.
struct CpuTimes {
    std::uint64_t busy = 0;   // user + nice + system + irq + softirq + steal (guest is inside user)
    std::uint64_t total = 0;  // busy + idle + iowait
};

struct CoreTimes {
    int cpu = 0;  // the N of "cpuN"
    CpuTimes times;
};

// Parses the cpu lines of /proc/stat. False when the aggregate "cpu " line is missing or malformed.
bool parse_proc_stat(std::string_view text, CpuTimes& total, std::vector<CoreTimes>& cores);

// Busy share between two readings in percent, 0..100; 0 when no time passed.
double cpu_percent(const CpuTimes& previous, const CpuTimes& current);

// Parses "0.50 0.40 0.30 1/123 4567". False when malformed.
bool parse_loadavg(std::string_view text, std::array<double, 3>& load);

struct MemoryInfo {
    std::uint64_t total_bytes = 0;
    std::uint64_t available_bytes = 0;
    std::uint64_t swap_total_bytes = 0;
    std::uint64_t swap_free_bytes = 0;
};

// Parses /proc/meminfo. MemAvailable is estimated as MemFree + Buffers + Cached on kernels before
// 3.14 that lack it. False when MemTotal is missing.
bool parse_meminfo(std::string_view text, MemoryInfo& info);

// The real uid ("Uid:" first field) from /proc/<pid>/status; nullopt when absent.
std::optional<std::uint32_t> parse_status_uid(std::string_view text);

// /proc/<pid>/cmdline (NUL-separated arguments) as one line with single spaces; trailing NULs dropped.
std::string format_cmdline(std::string_view raw);

// User name for a uid through getpwuid_r; the number as text when the uid has no entry.
std::string user_name(std::uint32_t uid);

// pid -> (user, command) from <proc_root>/<pid>/status and cmdline, cached while the pid keeps
// appearing: call begin_round(), lookup() for every pid of this sample, then end_round() drops the
// pids not looked up. Not thread-safe: one owner thread.
class ProcessInfoCache {
public:
    struct Info {
        std::optional<std::string> user;
        std::optional<std::string> command;
    };

    explicit ProcessInfoCache(std::filesystem::path proc_root);
    void begin_round();
    const Info& lookup(std::uint32_t pid);
    void end_round();
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        Info info;
        std::uint64_t round = 0;
    };
    std::filesystem::path proc_root_;
    std::unordered_map<std::uint32_t, Entry> entries_;
    std::uint64_t round_ = 0;
    std::unordered_map<std::uint32_t, std::string> users_;  // uid -> name; users rarely change
    std::string buffer_;
};

}  // namespace ailab::sys
