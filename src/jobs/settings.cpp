#include "jobs/settings.hpp"

#include <algorithm>

#include "core/config_reader.hpp"

namespace ailab::jobs {

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
    return settings;
}

}  // namespace ailab::jobs
