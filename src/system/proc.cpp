#include "system/proc.hpp"

#include "core/file.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <utility>

namespace ailab::sys {
namespace {

constexpr std::size_t initial_buffer_bytes = 4096;
constexpr std::size_t minimum_free_bytes = 1024;

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

void skip_blanks(std::string_view& text) {
    std::size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    text.remove_prefix(i);
}

// Parses an unsigned decimal after optional blanks and advances past it.
bool take_unsigned(std::string_view& text, std::uint64_t& value) {
    skip_blanks(text);
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{}) return false;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return true;
}

bool take_double(std::string_view& text, double& value) {
    skip_blanks(text);
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{}) return false;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return true;
}

// Splits off the next line (without its '\n'); false at the end of text.
bool next_line(std::string_view& text, std::string_view& line) {
    if (text.empty()) return false;
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) {
        line = text;
        text = {};
    } else {
        line = text.substr(0, end);
        text.remove_prefix(end + 1);
    }
    return true;
}

// "user nice system idle iowait irq softirq steal guest guest_nice": the first four are required.
bool parse_cpu_fields(std::string_view fields, CpuTimes& times) {
    std::array<std::uint64_t, 8> values{};
    std::size_t count = 0;
    while (count < values.size() && take_unsigned(fields, values[count])) ++count;
    if (count < 4) return false;
    const std::uint64_t idle = values[3] + values[4];
    times.busy = values[0] + values[1] + values[2] + values[5] + values[6] + values[7];
    times.total = times.busy + idle;
    return true;
}

std::uint64_t saturating_difference(std::uint64_t current, std::uint64_t previous) {
    return current > previous ? current - previous : 0;
}

}  // namespace

ProcFile::ProcFile(std::filesystem::path path) : path_(std::move(path)) {}

ProcFile::~ProcFile() {
    if (fd_ >= 0) ::close(fd_);
}

ProcFile::ProcFile(ProcFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

ProcFile& ProcFile::operator=(ProcFile&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        path_ = std::move(other.path_);
        fd_ = std::exchange(other.fd_, -1);
        buffer_ = std::move(other.buffer_);
    }
    return *this;
}

std::optional<std::string_view> ProcFile::read(std::string_view leading_prefix) {
    if (fd_ < 0) {
        fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) return std::nullopt;
    }
    if (buffer_.size() < initial_buffer_bytes) buffer_.resize(initial_buffer_bytes);
    std::size_t length = 0;
    std::size_t scanned = 0;  // everything before this offset is complete lines starting with the prefix
    for (;;) {
        if (buffer_.size() - length < minimum_free_bytes) buffer_.resize(buffer_.size() * 2);
        const ssize_t count =
            ::pread(fd_, buffer_.data() + length, buffer_.size() - length, static_cast<off_t>(length));
        if (count < 0) {
            if (errno == EINTR) continue;
            return std::nullopt;
        }
        if (count == 0) break;
        length += static_cast<std::size_t>(count);
        if (leading_prefix.empty()) continue;
        // Stop once a complete line that does not start with the prefix is in the buffer.
        bool done = false;
        for (;;) {
            const std::string_view rest(buffer_.data() + scanned, length - scanned);
            const std::size_t end = rest.find('\n');
            if (end == std::string_view::npos) break;
            if (!starts_with(rest, leading_prefix)) {
                done = true;
                break;
            }
            scanned += end + 1;
        }
        if (done) break;
    }
    return std::string_view(buffer_.data(), length);
}

bool parse_proc_stat(std::string_view text, CpuTimes& total, std::vector<CoreTimes>& cores) {
    cores.clear();
    bool have_total = false;
    std::string_view line;
    while (next_line(text, line)) {
        if (!starts_with(line, "cpu")) break;  // the cpu lines come first; the rest is not needed
        std::string_view rest = line.substr(3);
        if (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) {
            if (!parse_cpu_fields(rest, total)) return false;
            have_total = true;
            continue;
        }
        std::uint64_t cpu = 0;
        const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), cpu);
        if (error != std::errc{}) return false;
        rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
        CoreTimes core;
        core.cpu = static_cast<int>(cpu);
        if (!parse_cpu_fields(rest, core.times)) return false;
        cores.push_back(core);
    }
    return have_total;
}

double cpu_percent(const CpuTimes& previous, const CpuTimes& current) {
    // Counters can step back (iowait is known to on some kernels): clamp instead of wrapping.
    const std::uint64_t total = saturating_difference(current.total, previous.total);
    const std::uint64_t busy = saturating_difference(current.busy, previous.busy);
    if (total == 0) return 0.0;
    return std::min(100.0, 100.0 * static_cast<double>(busy) / static_cast<double>(total));
}

bool parse_loadavg(std::string_view text, std::array<double, 3>& load) {
    for (double& value : load) {
        if (!take_double(text, value)) return false;
    }
    return true;
}

bool parse_meminfo(std::string_view text, MemoryInfo& info) {
    info = MemoryInfo{};
    std::optional<std::uint64_t> available;
    std::uint64_t free_bytes = 0, buffers_bytes = 0, cached_bytes = 0;
    bool have_total = false;
    std::string_view line;
    while (next_line(text, line)) {
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view key = line.substr(0, colon);
        std::string_view rest = line.substr(colon + 1);
        std::uint64_t value = 0;
        if (!take_unsigned(rest, value)) continue;
        skip_blanks(rest);
        if (starts_with(rest, "kB")) value *= 1024;
        if (key == "MemTotal") {
            info.total_bytes = value;
            have_total = true;
        } else if (key == "MemAvailable") {
            available = value;
        } else if (key == "MemFree") {
            free_bytes = value;
        } else if (key == "Buffers") {
            buffers_bytes = value;
        } else if (key == "Cached") {
            cached_bytes = value;
        } else if (key == "SwapTotal") {
            info.swap_total_bytes = value;
        } else if (key == "SwapFree") {
            info.swap_free_bytes = value;
        }
    }
    info.available_bytes = std::min(info.total_bytes, available.value_or(free_bytes + buffers_bytes + cached_bytes));
    return have_total;
}

std::optional<std::uint32_t> parse_status_uid(std::string_view text) {
    std::string_view line;
    while (next_line(text, line)) {
        if (!starts_with(line, "Uid:")) continue;
        std::string_view rest = line.substr(4);
        std::uint64_t uid = 0;
        if (!take_unsigned(rest, uid) || uid > 0xffffffffu) return std::nullopt;
        return static_cast<std::uint32_t>(uid);
    }
    return std::nullopt;
}

std::string format_cmdline(std::string_view raw) {
    while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
    std::string command(raw);
    std::replace(command.begin(), command.end(), '\0', ' ');
    return command;
}

std::string user_name(std::uint32_t uid) {
    long suggested = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::string buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 16384, '\0');
    for (;;) {
        passwd entry{};
        passwd* found = nullptr;
        const int error = ::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found);
        if (error == ERANGE && buffer.size() < (1u << 20)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (error == 0 && found != nullptr && found->pw_name != nullptr) return found->pw_name;
        return std::to_string(uid);
    }
}

ProcessInfoCache::ProcessInfoCache(std::filesystem::path proc_root) : proc_root_(std::move(proc_root)) {}

void ProcessInfoCache::begin_round() { ++round_; }

const ProcessInfoCache::Info& ProcessInfoCache::lookup(std::uint32_t pid) {
    auto [position, inserted] = entries_.try_emplace(pid);
    Entry& entry = position->second;
    entry.round = round_;
    if (!inserted) return entry.info;

    const std::filesystem::path folder = proc_root_ / std::to_string(pid);
    if (core::read_pseudo_file(folder / "status", buffer_)) {
        if (const auto uid = parse_status_uid(buffer_)) {
            auto [user, added] = users_.try_emplace(*uid);
            if (added) user->second = user_name(*uid);
            entry.info.user = user->second;
        }
    }
    if (core::read_pseudo_file(folder / "cmdline", buffer_)) {
        std::string command = format_cmdline(buffer_);
        if (!command.empty()) entry.info.command = std::move(command);
    }
    return entry.info;
}

void ProcessInfoCache::end_round() {
    std::erase_if(entries_, [this](const auto& item) { return item.second.round != round_; });
}

}  // namespace ailab::sys
