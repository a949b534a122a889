#include "jobs/job_folder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <string>

#include "core/fd.hpp"
#include "core/file.hpp"
#include "core/json_writer.hpp"

namespace ailab::jobs::folder {
namespace {

core::Status write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t count = ::write(fd, text.data(), text.size());
        if (count < 0) {
            if (errno == EINTR) continue;
            return core::Error::from_errno(errno, "cannot write");
        }
        text.remove_prefix(static_cast<std::size_t>(count));
    }
    return {};
}

}  // namespace

core::Status write_file_atomically(const std::filesystem::path& folder, std::string_view name, std::string_view text,
                                   Durability durability) {
    const std::string target = (folder / name).string();
    const std::string temporary =
        (folder / ("." + std::string(name) + "." + std::to_string(::getpid()) + ".tmp")).string();
    core::OwnedFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) return core::Error::from_errno(errno, "cannot create " + temporary);
    auto written = write_all(fd.get(), text);
    if (written && durability == Durability::synced && ::fsync(fd.get()) != 0)
        written = core::Error::from_errno(errno, "cannot fsync");
    if (!written || ::close(fd.release()) != 0) {
        const core::Error error = written ? core::Error::from_errno(errno, "cannot close") : written.error();
        ::unlink(temporary.c_str());
        return core::Error::from(error, temporary);
    }
    if (::rename(temporary.c_str(), target.c_str()) != 0) {
        const int error_number = errno;
        ::unlink(temporary.c_str());
        return core::Error::from_errno(error_number, "cannot rename to " + target);
    }
    if (durability == Durability::synced) {
        core::OwnedFd directory(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!directory || ::fsync(directory.get()) != 0)
            return core::Error::from_errno(errno, "cannot fsync the folder " + folder.string());
    }
    return {};
}

bool file_exists(const std::filesystem::path& folder, const char* name) {
    struct stat status {};
    return ::stat((folder / name).c_str(), &status) == 0;
}

std::optional<std::uint64_t> read_start_ticks(pid_t pid) {
    char path[64];
    if (pid == 0)
        std::strcpy(path, "/proc/self/stat");
    else
        std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    core::OwnedFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    char buffer[1024];
    ssize_t length;
    do length = ::read(fd.get(), buffer, sizeof buffer - 1);
    while (length < 0 && errno == EINTR);
    if (length <= 0) return std::nullopt;
    std::string_view line(buffer, static_cast<std::size_t>(length));
    // Field 2 is "(comm)" and comm may hold spaces and parentheses: count from the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string_view::npos) return std::nullopt;
    line.remove_prefix(close + 1);
    // After ')' come fields 3, 4, …: field 22 is the 20th.
    for (int field = 3; field < 22; ++field) {
        const auto space = line.find(' ', 1);
        if (space == std::string_view::npos) return std::nullopt;
        line.remove_prefix(space);
    }
    line.remove_prefix(1);
    std::uint64_t ticks = 0;
    const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), ticks);
    if (error != std::errc() || end == line.data()) return std::nullopt;
    return ticks;
}

core::Status write_pid_file(const std::filesystem::path& job_folder, const PidFile& record) {
    std::string text;
    core::JsonWriter writer(text);
    writer.begin_object();
    writer.field("supervisor_pid", static_cast<std::int64_t>(record.supervisor_pid));
    writer.key("supervisor_start_ticks");
    writer.raw(std::to_string(record.supervisor_start_ticks));
    writer.field("job_pid", static_cast<std::int64_t>(record.job_pid));
    writer.field("started_at", record.started_at);
    writer.end_object();
    text.push_back('\n');
    // Not fsynced: pid.json matters only while the machine is up (after a reboot no job runs), and
    // an fsync here would delay every job's start.
    return write_file_atomically(job_folder, pid_file, text, Durability::renamed);
}

core::Result<std::optional<PidFile>> read_pid_file(const std::filesystem::path& job_folder) {
    auto text = core::read_small_file(job_folder / pid_file, std::size_t{64} * 1024);
    if (!text) {
        if (text.error().is(boost::system::errc::no_such_file_or_directory)) return std::optional<PidFile>();
        return text.error();
    }
    boost::system::error_code error;
    const boost::json::value value = boost::json::parse(*text, error);
    const auto* object = value.if_object();
    if (error || !object) return core::Error::invalid("pid.json is not a JSON object");
    PidFile record;
    const auto* supervisor_pid = object->if_contains("supervisor_pid");
    const auto* ticks = object->if_contains("supervisor_start_ticks");
    const auto* job_pid = object->if_contains("job_pid");
    const auto* started_at = object->if_contains("started_at");
    if (!supervisor_pid || !ticks || !job_pid || !started_at)
        return core::Error::invalid("pid.json lacks supervisor_pid, supervisor_start_ticks, job_pid or started_at");
    record.supervisor_pid = supervisor_pid->to_number<std::int32_t>(error);
    if (!error) record.supervisor_start_ticks = ticks->to_number<std::uint64_t>(error);
    if (!error) record.job_pid = job_pid->to_number<std::int32_t>(error);
    if (!error) record.started_at = started_at->to_number<double>(error);
    if (error || record.supervisor_pid <= 0) return core::Error::invalid("pid.json holds a bad number");
    return std::optional<PidFile>(record);
}

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace ailab::jobs::folder
