// The server's side of a job's supervisor: the folder's JSON files, launch, probe and cancel.
// ExitWatcher lives in jobs/exit_watcher.cpp.
#include "jobs/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cerrno>

#include "core/fd.hpp"
#include "core/file.hpp"
#include "core/json_writer.hpp"
#include "jobs/job_folder.hpp"
#include "jobs/supervisor.hpp"

namespace ailab::jobs {
namespace {

constexpr std::size_t max_spec_bytes = std::size_t{16} << 20;

core::Result<boost::json::object> parse_object(const std::filesystem::path& job_folder, const char* name) {
    auto text = core::read_small_file(job_folder / name, max_spec_bytes);
    if (!text) return text.error();
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(*text, error);
    if (error) return core::Error::invalid(std::string(name) + " is not valid JSON: " + error.message());
    if (!value.is_object()) return core::Error::invalid(std::string(name) + " is not a JSON object");
    return std::move(value.as_object());
}

core::Result<std::vector<std::string>> string_array(const boost::json::object& object, const char* key) {
    const auto* value = object.if_contains(key);
    const auto* array = value ? value->if_array() : nullptr;
    if (!array) return core::Error::invalid(std::string("spec.json: \"") + key + "\" must be an array of strings");
    std::vector<std::string> strings;
    strings.reserve(array->size());
    for (const auto& item : *array) {
        const auto* text = item.if_string();
        if (!text) return core::Error::invalid(std::string("spec.json: \"") + key + "\" must be an array of strings");
        strings.emplace_back(*text);
    }
    return strings;
}

// An integer field that may be absent or null.
core::Result<std::optional<std::int64_t>> optional_integer(const boost::json::object& object, const char* key,
                                                           std::string_view file) {
    const auto* value = object.if_contains(key);
    if (!value || value->is_null()) return std::optional<std::int64_t>();
    boost::system::error_code error;
    const auto number = value->to_number<std::int64_t>(error);
    if (error) return core::Error::invalid(std::string(file) + ": \"" + key + "\" must be an integer");
    return std::optional<std::int64_t>(number);
}

}  // namespace

core::Status write_spec(const std::filesystem::path& job_folder, const JobSpec& spec) {
    std::string text;
    core::JsonWriter writer(text);
    writer.begin_object();
    writer.key("argv");
    writer.begin_array();
    for (const auto& argument : spec.argv) writer.string(argument);
    writer.end_array();
    writer.key("env");
    writer.begin_array();
    for (const auto& entry : spec.env) writer.string(entry);
    writer.end_array();
    writer.field("working_folder", spec.working_folder.string());
    writer.key("time_limit_s");
    spec.time_limit_s ? writer.integer(*spec.time_limit_s) : writer.null();
    writer.field("cancel_grace_s", spec.cancel_grace_s);
    writer.end_object();
    text.push_back('\n');
    // Atomic but not fsynced: an fsync of the file and the folder took ~8 ms here, on the path from
    // POST to a running job. The store holds the job durably; after a power loss no job runs and one
    // that never started gets its spec.json written again before its next launch.
    return folder::write_file_atomically(job_folder, folder::spec_file, text, folder::Durability::renamed);
}

core::Result<JobSpec> read_spec(const std::filesystem::path& job_folder) {
    auto object = parse_object(job_folder, folder::spec_file);
    if (!object) return object.error();
    JobSpec spec;
    auto argv = string_array(*object, "argv");
    if (!argv) return argv.error();
    if (argv->empty() || argv->front().empty()) return core::Error::invalid("spec.json: \"argv\" is empty");
    spec.argv = std::move(*argv);
    auto env = string_array(*object, "env");
    if (!env) return env.error();
    spec.env = std::move(*env);
    const auto* working_folder = object->if_contains("working_folder");
    if (!working_folder || !working_folder->is_string() || working_folder->as_string().empty())
        return core::Error::invalid("spec.json: \"working_folder\" must be a path");
    spec.working_folder = std::string(working_folder->as_string());
    auto time_limit = optional_integer(*object, "time_limit_s", folder::spec_file);
    if (!time_limit) return time_limit.error();
    spec.time_limit_s = *time_limit;
    auto grace = optional_integer(*object, "cancel_grace_s", folder::spec_file);
    if (!grace) return grace.error();
    if (*grace) spec.cancel_grace_s = std::max<std::int64_t>(0, **grace);
    return spec;
}

std::string_view end_reason_name(EndReason reason) {
    switch (reason) {
    case EndReason::exited: return "exited";
    case EndReason::signaled: return "signaled";
    case EndReason::cancelled: return "cancelled";
    case EndReason::time_limit: return "time_limit";
    case EndReason::start_failed: return "start_failed";
    }
    return "exited";
}

core::Status write_exit(const std::filesystem::path& job_folder, const ExitRecord& record) {
    std::string text;
    core::JsonWriter writer(text);
    writer.begin_object();
    writer.field("exit_code", record.exit_code);
    writer.field("signal", record.signal);
    writer.field("reason", end_reason_name(record.reason));
    writer.field("message", record.message);
    writer.field("ended_at", record.ended_at);
    writer.end_object();
    text.push_back('\n');
    return folder::write_file_atomically(job_folder, folder::status_file, text, folder::Durability::synced);
}

core::Result<std::optional<ExitRecord>> read_exit(const std::filesystem::path& job_folder) {
    auto object = parse_object(job_folder, folder::status_file);
    if (!object) {
        if (object.error().is(boost::system::errc::no_such_file_or_directory)) return std::optional<ExitRecord>();
        return object.error();
    }
    ExitRecord record;
    auto exit_code = optional_integer(*object, "exit_code", folder::status_file);
    if (!exit_code) return exit_code.error();
    if (*exit_code) record.exit_code = static_cast<int>(**exit_code);
    auto signal = optional_integer(*object, "signal", folder::status_file);
    if (!signal) return signal.error();
    if (*signal) record.signal = static_cast<int>(**signal);
    const auto* reason = object->if_contains("reason");
    const auto* reason_text = reason ? reason->if_string() : nullptr;
    bool known = false;
    for (auto candidate : {EndReason::exited, EndReason::signaled, EndReason::cancelled, EndReason::time_limit,
                           EndReason::start_failed}) {
        if (reason_text && end_reason_name(candidate) == std::string_view(*reason_text)) {
            record.reason = candidate;
            known = true;
        }
    }
    if (!known) return core::Error::invalid("status.json: unknown \"reason\"");
    if (const auto* message = object->if_contains("message"); message && message->is_string())
        record.message = std::string(message->as_string());
    if (const auto* ended_at = object->if_contains("ended_at"); ended_at && ended_at->is_number()) {
        boost::system::error_code error;
        record.ended_at = ended_at->to_number<double>(error);
    }
    return std::optional<ExitRecord>(std::move(record));
}

// The supervisor must inherit no descriptor of the server's (sockets, the store, other jobs' logs):
// posix_spawn_file_actions_addclosefrom_np(3) closes every one above stderr in the child (glibc uses
// close_range there), so this holds whether or not each was opened with O_CLOEXEC. stdin, stdout and
// stderr are /dev/null; the job's output goes to output.log, opened by the supervisor. Signal mask
// and dispositions are reset, so a server that ignores SIGPIPE or blocks signals passes nothing on.
core::Result<ProcessRecord> launch(const std::filesystem::path& self, const std::filesystem::path& job_folder) {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    if (int error = posix_spawnattr_init(&attributes); error != 0)
        return core::Error::from_errno(error, "cannot start the supervisor");
    if (int error = posix_spawn_file_actions_init(&actions); error != 0) {
        posix_spawnattr_destroy(&attributes);
        return core::Error::from_errno(error, "cannot start the supervisor");
    }
    // SIGTERM (cancel) starts blocked: a cancel sent before the supervisor reached main() stays
    // pending until it waits for signals, instead of killing it before it recorded anything.
    sigset_t cancel_only;
    sigset_t all_signals;
    sigemptyset(&cancel_only);
    sigaddset(&cancel_only, SIGTERM);
    sigfillset(&all_signals);
    int error =
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (error == 0) error = posix_spawnattr_setsigmask(&attributes, &cancel_only);
    if (error == 0) error = posix_spawnattr_setsigdefault(&attributes, &all_signals);
    if (error == 0) error = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (error == 0) error = posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (error == 0) error = posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (error == 0) error = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t pid = 0;
    if (error == 0) {
        const std::string program = self.string();
        const std::string folder_text = job_folder.string();
        char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>(supervise_argument),
                        const_cast<char*>(folder_text.c_str()), nullptr};
        error = posix_spawn(&pid, program.c_str(), &actions, &attributes, argv, environ);
    }
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) return core::Error::from_errno(error, "cannot start the supervisor " + self.string());
    // The child is not reaped before the caller waits for it, so its /proc entry is there (a zombie
    // at worst) and its start ticks can be read.
    const auto ticks = folder::read_start_ticks(pid);
    if (!ticks)
        return core::Error::from_errno(ESRCH, "cannot read the start time of supervisor " + std::to_string(pid));
    return ProcessRecord{static_cast<std::int32_t>(pid), *ticks};
}

// A supervisor holds the lock for its whole life, so a lock that can be taken means none runs. The
// lock is held here for a few microseconds only; a supervisor that starts in that moment retries
// (jobs/supervisor.cpp), so probing never makes a job fail to start.
Liveness probe(const std::filesystem::path& job_folder) {
    core::OwnedFd lock(::open((job_folder / folder::lock_file).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (lock) {
        int result;
        do result = ::flock(lock.get(), LOCK_EX | LOCK_NB);
        while (result != 0 && errno == EINTR);
        if (result != 0 && errno == EWOULDBLOCK) return Liveness::running;
        lock.reset();  // closing releases it
    }
    if (folder::file_exists(job_folder, folder::status_file)) return Liveness::ended;
    if (!folder::file_exists(job_folder, folder::pid_file)) return Liveness::never_started;
    return Liveness::vanished;
}

core::Result<std::optional<ProcessRecord>> read_process(const std::filesystem::path& job_folder) {
    auto record = folder::read_pid_file(job_folder);
    if (!record) return record.error();
    if (!*record) return std::optional<ProcessRecord>();
    return std::optional<ProcessRecord>(ProcessRecord{(*record)->supervisor_pid, (*record)->supervisor_start_ticks});
}

// Through a pidfd: once it is open and the start ticks match, the signal reaches that process even
// if the pid were reused in between.
core::Status request_cancel(const ProcessRecord& record) {
    if (record.supervisor_pid <= 0) return core::Error::invalid("no supervisor pid");
    core::OwnedFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, record.supervisor_pid, 0)));
    if (!pidfd) {
        if (errno == ESRCH) return {};
        return core::Error::from_errno(errno, "cannot reach supervisor " + std::to_string(record.supervisor_pid));
    }
    const auto ticks = folder::read_start_ticks(record.supervisor_pid);
    if (!ticks || *ticks != record.supervisor_start_ticks) return {};  // another process has that pid now
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGTERM, nullptr, 0) != 0 && errno != ESRCH)
        return core::Error::from_errno(errno, "cannot signal supervisor " + std::to_string(record.supervisor_pid));
    return {};
}

}  // namespace ailab::jobs
