#include "jobs/settings.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "core/config_reader.hpp"

namespace ailab::jobs {
namespace {

std::string text_field(core::ConfigReader& reader, const boost::json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (value == nullptr) return "";
    if (!value->is_string() || value->get_string().find_first_of("\n\r") != boost::json::string::npos)
        reader.fail("executor",
                    "\"" + std::string(key) + "\" must be a one-line string, got " + core::describe_json(*value));
    return std::string(value->get_string());
}

// Whether `folder` takes a file: created if missing, then a probe written and removed.
std::string unwritable(const std::filesystem::path& folder) {
    std::error_code error;
    std::filesystem::create_directories(folder / "jobs", error);
    if (error) return "cannot create " + (folder / "jobs").string() + ": " + error.message();
    const auto probe = folder / (".ailab-write-probe-" + std::to_string(::getpid()));
    {
        std::ofstream out(probe);
        out << "probe\n";
        if (!out.flush()) return "cannot write " + probe.string();
    }
    std::filesystem::remove(probe, error);
    return "";
}

std::optional<SlurmSettings> read_executor(core::ConfigReader& reader) {
    const auto* executor = reader.find("executor");
    const auto poll = std::chrono::seconds(reader.integer("slurm_poll_s", 5, 1, 3600));
    if (executor == nullptr || (executor->is_string() && executor->get_string() == "local")) return std::nullopt;
    if (!executor->is_object())
        reader.fail("executor", "must be \"local\" or {\"type\":\"slurm\", \"shared_dir\": ...}, got " +
                                    core::describe_json(*executor));
    const auto& object = executor->get_object();
    for (const auto& [key, value] : object) {
        static const std::set<std::string, std::less<>> known = {"type", "partition",  "account",
                                                                 "qos",  "extra_args", "shared_dir"};
        if (!known.contains(key)) reader.fail("executor", "has no key \"" + std::string(key) + "\"");
    }
    if (text_field(reader, object, "type") != "slurm")
        reader.fail("executor", "\"type\" must be \"slurm\" (or give \"executor\": \"local\")");
    SlurmSettings slurm;
    slurm.poll = poll;
    slurm.partition = text_field(reader, object, "partition");
    slurm.account = text_field(reader, object, "account");
    slurm.qos = text_field(reader, object, "qos");
    if (const auto* extra = object.if_contains("extra_args")) {
        if (!extra->is_array()) reader.fail("executor", "\"extra_args\" must be a list of strings");
        for (const auto& item : extra->get_array()) {
            if (!item.is_string() || item.get_string().empty())
                reader.fail("executor",
                            "\"extra_args\" must be a list of non-empty strings, got " + core::describe_json(item));
            slurm.extra_args.emplace_back(item.get_string());
        }
    }
    const auto shared = reader.expand(text_field(reader, object, "shared_dir"), "executor");
    if (shared.empty() || shared.front() != '/')
        reader.fail("executor",
                    "\"shared_dir\" must be an absolute folder that every node sees, got \"" + shared + "\"");
    slurm.shared_dir = std::filesystem::path(shared).lexically_normal();
    if (auto why = unwritable(slurm.shared_dir); !why.empty())
        reader.fail("executor", "\"shared_dir\" " + slurm.shared_dir.string() + " is not writable: " + why);
    return slurm;
}

}  // namespace

Settings Settings::read(const core::Config& config, core::ConfigReader* reader) {
    Settings settings;
    settings.gpus = config.gpus;
    std::sort(settings.gpus.begin(), settings.gpus.end());
    settings.gpus.erase(std::unique(settings.gpus.begin(), settings.gpus.end()), settings.gpus.end());
    settings.queue = config.queue;
    settings.results = config.results;
    settings.workspace = config.workspace;
    settings.projects = config.projects;
    settings.auto_detect_projects = config.auto_detect_experiments;
    if (!reader) return settings;

    if (const auto* groups = reader->find("job_groups")) {
        if (!groups->is_object())
            reader->fail("job_groups",
                         "must be an object of group name to parallel limit, got " + core::describe_json(*groups));
        for (const auto& [name, limit] : groups->as_object()) {
            if (name.empty() || !limit.is_int64() || limit.as_int64() < 1 || limit.as_int64() > 1000)
                reader->fail("job_groups", "group \"" + std::string(name) +
                                               "\" needs a name and a parallel limit from 1 to 1000, got " +
                                               core::describe_json(limit));
            settings.group_limits[std::string(name)] = static_cast<int>(limit.as_int64());
        }
    }
    settings.busy_memory_bytes = static_cast<std::uint64_t>(reader->integer("gpu_busy_memory_mib", 1024, 0, 1 << 20))
                                 << 20;
    settings.cancel_grace_s = reader->integer("cancel_grace_s", settings.cancel_grace_s, 0, 3600);
    settings.admins = core::read_admins(*reader, config);
    settings.limits.max_total_bytes = reader->integer("sync_max_total_mib", 2048, 1, 1 << 24) << 20;
    settings.limits.max_files = reader->integer("sync_max_files", 100'000, 1, 10'000'000);
    settings.limits.max_file_bytes = reader->integer("sync_max_file_mib", 256, 1, 4096) << 20;
    settings.slurm = read_executor(*reader);
    return settings;
}

}  // namespace ailab::jobs
