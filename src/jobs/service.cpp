#include "jobs/service.hpp"

#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <regex>

#include "core/strings.hpp"
#include "jobs/json.hpp"
#include "jobs/service_impl.hpp"
#include "jobs/slurm/batch.hpp"
#include "jobs/snapshots.hpp"

namespace ailab::jobs {

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

core::Error refusal(Refusal kind, std::string message) {
    using boost::system::errc::errc_t;
    errc_t code = errc_t::invalid_argument;
    switch (kind) {
    case Refusal::bad_request: code = errc_t::invalid_argument; break;
    case Refusal::forbidden: code = errc_t::permission_denied; break;
    case Refusal::not_found: code = errc_t::no_such_file_or_directory; break;
    case Refusal::conflict: code = errc_t::device_or_resource_busy; break;
    case Refusal::no_space: code = errc_t::no_space_on_device; break;
    }
    return core::Error{boost::system::errc::make_error_code(code), std::move(message)};
}

int status_of(const core::Error& error) {
    using boost::system::errc::errc_t;
    if (error.is(errc_t::invalid_argument)) return 400;
    if (error.is(errc_t::permission_denied)) return 403;
    if (error.is(errc_t::no_such_file_or_directory)) return 404;
    if (error.is(errc_t::device_or_resource_busy)) return 409;
    if (error.is(errc_t::file_too_large)) return 413;
    if (error.is(errc_t::no_space_on_device)) return 507;
    return 500;
}

namespace {

JobStore open_store(const std::filesystem::path& file) {
    auto store = JobStore::open(file);
    if (!store)
        throw std::runtime_error("the job store " + file.string() + " cannot be opened: " + store.error().message);
    return std::move(*store);
}

std::string list_text(const std::vector<int>& ids) {
    std::string text;
    for (int id : ids) text += (text.empty() ? "" : ", ") + std::to_string(id);
    return "[" + text + "]";
}

}  // namespace

JobService::Impl::Impl(JobService& owner_in, net::Hub& hub_in, sys::SystemService* system_in,
                       std::filesystem::path self_in, JobStore writer, JobStore reader_in)
    : owner(owner_in),
      settings(owner_in.settings_),
      hub(hub_in),
      system(system_in),
      self(std::move(self_in)),
      store(std::move(writer)),
      reader(std::move(reader_in)) {}

JobService::JobService(Settings settings, net::Hub& hub, sys::SystemService* system, std::filesystem::path self_exe)
    : settings_(std::move(settings)), blobs_(settings_.queue / "blobs") {
    std::filesystem::create_directories(settings_.queue / "jobs");
    auto writer = open_store(settings_.queue / "jobs.db");
    auto reader = open_store(settings_.queue / "jobs.db");
    impl_ = std::make_unique<Impl>(*this, hub, system, std::move(self_exe), std::move(writer), std::move(reader));
}

JobService::~JobService() { stop(); }

void JobService::start() {
    if (impl_->thread.joinable()) return;
    impl_->watcher = std::make_unique<ExitWatcher>(
        [impl = impl_.get()](JobId id) { impl->post([impl, id] { impl->collect(id); }); });
    // Supervisors are forked by the launcher and orphaned at once; as the subreaper the server gets
    // them back as children, so the exit watcher reaps them (an init that does not reap, as in some
    // containers, would otherwise collect zombies). After the server is gone they go to init.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) spdlog::warn("jobs: cannot become the subreaper of supervisors");
    if (auto started = impl_->launcher.start(impl_->self); !started)
        spdlog::warn("jobs: {}; supervisors start with posix_spawn", started.error().message);
    if (settings_.slurm) {
        impl_->slurm_client = std::make_unique<slurm::SlurmClient>(*settings_.slurm);
        std::array<char, 256> host{};
        ::gethostname(host.data(), host.size() - 1);
        impl_->slurm_tag = slurm::server_tag(settings_.queue, host.data());
    }
    impl_->recover();
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

void JobService::stop() {
    if (!impl_) return;
    {
        std::lock_guard lock(impl_->queue_mutex);
        impl_->stopping = true;
    }
    impl_->wake.notify_all();
    if (impl_->thread.joinable()) impl_->thread.join();
    impl_->watcher.reset();  // joins its thread; supervisors keep running
    impl_->launcher.stop();
}

void JobService::gpus_changed() {
    // A round only when what the scheduler reads of the GPUs changed (a process came or went, a
    // GPU crossed the busy line): a server with 10,000 queued jobs stays idle between samples.
    impl_->post([impl = impl_.get()] {
        if (impl->gpu_signature(impl->latest_sample()) != impl->last_gpu_signature) impl->dirty = true;
    });
}

void JobService::on_change(std::function<void(const Job&)> listener) {
    impl_->listeners.push_back(std::move(listener));
}

std::filesystem::path JobService::job_folder(JobId id) const {
    // With Slurm, in the shared folder every node sees (snapshot, script, output).
    const auto& base = settings_.slurm ? settings_.slurm->shared_dir : settings_.queue;
    return base / "jobs" / std::to_string(id);
}

std::filesystem::path JobService::output_file(JobId id) const {
    if (settings_.slurm) return settings_.slurm->shared_dir / "jobs" / (std::to_string(id) + ".output.log");
    return job_folder(id) / "output.log";
}

void JobService::Impl::post(std::function<void()> event) {
    {
        std::lock_guard lock(queue_mutex);
        if (stopping) return;
        events.push_back(std::move(event));
    }
    wake.notify_one();
}

void JobService::Impl::run() {
    for (;;) {
        std::deque<std::function<void()>> batch;
        {
            std::unique_lock lock(queue_mutex);
            auto ready = [&] { return stopping || !events.empty() || dirty; };
            if (settings.slurm)
                wake.wait_until(lock, slurm_wake_at(), ready);  // polls and retries are due by time
            else
                wake.wait(lock, ready);
            if (stopping) break;
            batch.swap(events);
        }
        for (auto& event : batch) event();
        if (settings.slurm) slurm_tick();
        // Events posted meanwhile join the next batch; one round per batch.
        if (dirty) {
            dirty = false;
            round();
        }
    }
    // Fail the callers still waiting, so no route thread blocks on a stopped service.
    std::lock_guard lock(queue_mutex);
    events.clear();
}

core::Result<Job> JobService::submit(SubmitRequest request, const std::string& user) {
    auto job = make_job(std::move(request), user);
    if (!job) return job.error();
    return impl_->call<core::Result<Job>>(
        [this, job = std::move(*job)]() mutable { return impl_->insert_one(std::move(job)); });
}

core::Result<std::vector<Job>> JobService::submit_all(std::vector<SubmitRequest> requests, const std::string& user) {
    std::vector<Job> jobs;
    jobs.reserve(requests.size());
    ProjectSnapshots projects;
    for (std::size_t i = 0; i < requests.size(); ++i) {
        auto job = make_job(std::move(requests[i]), user, &projects);
        if (!job) return core::Error::from(job.error(), "jobs[" + std::to_string(i) + "]");
        jobs.push_back(std::move(*job));
    }
    return impl_->call<core::Result<std::vector<Job>>>(
        [this, jobs = std::move(jobs)]() mutable { return impl_->insert(std::move(jobs)); });
}

core::Result<Job> JobService::make_job(SubmitRequest request, const std::string& user, ProjectSnapshots* projects) {
    const bool has_command = !request.command.empty();
    if (has_command == !request.shell.empty())
        return refusal(Refusal::bad_request, has_command
                                                 ? "give \"command\" or \"shell\", not both"
                                                 : "the command is empty: give \"command\" (argv) or \"shell\"");
    if (has_command && request.command.front().empty())
        return refusal(Refusal::bad_request, "the program name (command[0]) is empty");
    if (!request.project.empty() && !request.snapshot.empty())
        return refusal(Refusal::bad_request, "give \"project\" or \"snapshot\", not both");

    Job job;
    job.user = user;
    job.command = std::move(request.command);
    job.shell = std::move(request.shell);
    job.name = request.name.empty()
                   ? (job.command.empty() ? std::string("shell")
                                          : std::filesystem::path(job.command.front()).filename().string())
                   : request.name.substr(0, 200);
    job.priority = request.priority;
    job.time_limit_s = request.time_limit_s;

    // GPUs: specific ids, or a count, against the config's list.
    const auto& configured = settings_.gpus;
    if (settings_.slurm) {
        // Slurm places the job: a count (--gres=gpu:N), never this machine's ids; CPU by default.
        if (!request.gpu_ids.empty())
            return refusal(Refusal::bad_request,
                           "\"gpu_ids\" names this machine's GPUs; with the Slurm executor ask for a count (\"gpus\")");
        job.gpus_requested = request.gpus.value_or(0);
        job.executor = "slurm";
    } else if (!request.gpu_ids.empty()) {
        auto ids = request.gpu_ids;
        std::sort(ids.begin(), ids.end());
        if (std::adjacent_find(ids.begin(), ids.end()) != ids.end())
            return refusal(Refusal::bad_request, "\"gpu_ids\" names a GPU twice");
        for (int id : ids)
            if (!std::binary_search(configured.begin(), configured.end(), id))
                return refusal(Refusal::bad_request, "GPU " + std::to_string(id) +
                                                         " is not one of this server's GPUs (config \"gpus\": " +
                                                         list_text(configured) + ")");
        if (request.gpus && *request.gpus != static_cast<int>(ids.size()))
            return refusal(Refusal::bad_request, "\"gpus\" and \"gpu_ids\" disagree");
        job.gpu_ids_requested = ids;
        job.gpus_requested = static_cast<int>(ids.size());
    } else {
        job.gpus_requested = request.gpus.value_or(configured.empty() ? 0 : 1);
        if (job.gpus_requested > static_cast<int>(configured.size()))
            return refusal(Refusal::bad_request, "the job asks for " + std::to_string(job.gpus_requested) +
                                                     " GPUs; this server's config lists " +
                                                     std::to_string(configured.size()) +
                                                     " (\"gpus\": " + list_text(configured) + ")");
    }
    if (!request.group.empty() && !settings_.group_limits.contains(request.group)) {
        std::string known;
        for (const auto& [name, limit] : settings_.group_limits) known += (known.empty() ? "" : ", ") + name;
        return refusal(Refusal::bad_request, "unknown group \"" + request.group + "\" (config \"job_groups\": " +
                                                 (known.empty() ? "none" : known) + ")");
    }
    job.group = std::move(request.group);
    for (const auto& [key, value] : request.env) {
        if (!core::is_variable_name(key))
            return refusal(Refusal::bad_request, "env name \"" + key + "\" is not a valid variable name");
        if (key == "CUDA_VISIBLE_DEVICES" || key == "AILAB_JOB_ID")
            return refusal(Refusal::bad_request,
                           "env " + key + " is set by AI Lab; ask for GPUs with \"gpus\"/\"gpu_ids\"");
        if (value.find('\0') != std::string::npos)
            return refusal(Refusal::bad_request, "env " + key + " holds a NUL character");
    }
    job.env = std::move(request.env);
    std::sort(request.after.begin(), request.after.end());
    request.after.erase(std::unique(request.after.begin(), request.after.end()), request.after.end());
    job.after = std::move(request.after);

    // Code: a synced snapshot, or a server-side project snapshotted now (outside the service
    // thread: hashing a project takes a while).
    if (!request.snapshot.empty()) {
        std::unique_lock lock(impl_->reader_mutex);
        auto snapshot = impl_->reader.snapshot(request.snapshot);
        lock.unlock();
        if (!snapshot) return snapshot.error();
        if (!*snapshot)
            return refusal(Refusal::bad_request, "unknown snapshot \"" + request.snapshot + "\" (sync first)");
        job.snapshot = request.snapshot;
        job.git = (*snapshot)->git;
        job.sync = SyncStats{(*snapshot)->files, 0, 0};
    } else if (!request.project.empty()) {
        job.project = request.project;
        if (projects != nullptr) {
            if (auto made = projects->find(request.project); made != projects->end()) {
                // The same project earlier in this batch: its snapshot, and nothing stored again.
                job.snapshot = made->second.id;
                job.sync = SyncStats{made->second.files, 0, 0};
                return job;
            }
        }
        std::filesystem::path folder;
        if (project_finder_) {
            auto found = project_finder_(request.project);
            if (!found) return refusal(Refusal::bad_request, "unknown project \"" + request.project + "\"");
            folder = *found;
        } else if (auto found = settings_.projects.find(request.project); found != settings_.projects.end()) {
            folder = found->second;
        } else if (settings_.auto_detect_projects && request.project.find('/') == std::string::npos &&
                   request.project != "." && request.project != ".." && !settings_.workspace.empty() &&
                   std::filesystem::is_directory(settings_.workspace / request.project)) {
            folder = settings_.workspace / request.project;
        } else {
            return refusal(Refusal::bad_request, "unknown project \"" + request.project + "\"");
        }
        auto snapshot = snapshot_folder(blobs_, folder, settings_.limits);
        if (!snapshot) return core::Error::from(snapshot.error(), "project \"" + request.project + "\"");
        auto id = create_snapshot(snapshot->manifest, std::nullopt, SyncStats{});
        if (!id) return id.error();
        job.snapshot = *id;
        job.sync = SyncStats{static_cast<std::int64_t>(snapshot->manifest.files.size()), snapshot->stored_files,
                             snapshot->stored_bytes};
        if (projects != nullptr) projects->emplace(request.project, ProjectSnapshot{*id, job.sync->files});
    }
    return job;
}

core::Result<Job> JobService::cancel(JobId id, const std::string& user) {
    return impl_->call<core::Result<Job>>([this, id, user] { return impl_->cancel(id, user); });
}

core::Result<Job> JobService::restart(JobId id, const std::string& user) {
    auto found = get(id);
    if (!found) return found.error();
    if (!*found) return refusal(Refusal::not_found, "no job " + std::to_string(id));
    const Job& old = **found;
    if (old.user != user && !settings_.is_admin(user))
        return refusal(Refusal::forbidden, "job " + std::to_string(id) + " is " + old.user +
                                               "'s; only its owner or an admin may restart it");
    Job job;
    job.user = user;
    job.name = old.name;
    job.command = old.command;
    job.shell = old.shell;
    job.project = old.project;
    job.snapshot = old.snapshot;
    job.gpus_requested = old.gpus_requested;
    job.gpu_ids_requested = old.gpu_ids_requested;
    job.group = old.group;
    job.priority = old.priority;
    job.env = old.env;
    job.time_limit_s = old.time_limit_s;
    job.git = old.git;
    if (old.sync) job.sync = SyncStats{old.sync->files, 0, 0};
    job.restarted_from = id;
    return impl_->call<core::Result<Job>>(
        [this, job = std::move(job)]() mutable { return impl_->insert_one(std::move(job)); });
}

core::Result<std::optional<Job>> JobService::get(JobId id) {
    {
        std::lock_guard lock(impl_->state_mutex);
        if (auto found = impl_->active.find(id); found != impl_->active.end()) return std::optional<Job>(found->second);
    }
    std::lock_guard lock(impl_->reader_mutex);
    return impl_->reader.get(id);
}

core::Result<std::optional<SnapshotRecord>> JobService::snapshot(const std::string& id) {
    std::lock_guard lock(impl_->reader_mutex);
    return impl_->reader.snapshot(id);
}

core::Result<JobList> JobService::list(const JobFilter& filter) {
    JobList list;
    {
        std::lock_guard lock(impl_->reader_mutex);
        auto jobs = impl_->reader.list(filter);
        if (!jobs) return jobs.error();
        auto counts = impl_->reader.counts();
        if (!counts) return counts.error();
        list.jobs = std::move(*jobs);
        list.counts = std::move(*counts);
    }
    // Queued and running jobs: what the service holds now (waiting reasons live in memory only).
    {
        std::lock_guard lock(impl_->state_mutex);
        for (auto& job : list.jobs)
            if (auto found = impl_->active.find(job.id); found != impl_->active.end()) job = found->second;
    }
    if (static_cast<int>(list.jobs.size()) == filter.limit && !list.jobs.empty())
        list.next_before = list.jobs.back().id;
    return list;
}

std::pair<std::int64_t, std::int64_t> JobService::active_counts() const {
    std::lock_guard lock(impl_->state_mutex);
    std::int64_t queued = 0;
    for (const auto& [id, job] : impl_->active) queued += job.state == JobState::queued ? 1 : 0;
    return {queued, static_cast<std::int64_t>(impl_->active.size()) - queued};
}

std::optional<ClusterState> JobService::cluster() const {
    if (!settings_.slurm) return std::nullopt;
    std::lock_guard lock(impl_->state_mutex);
    return impl_->cluster;
}

std::vector<GpuLane> JobService::lanes() const {
    std::lock_guard lock(impl_->state_mutex);
    return impl_->lanes;
}

core::Result<std::string> JobService::create_snapshot(const sync::Manifest& manifest, std::optional<GitState> git,
                                                      SyncStats uploads) {
    SnapshotRecord record;
    record.id = snapshot_id(manifest);
    record.created_at = now_seconds();
    record.files = static_cast<std::int64_t>(manifest.files.size());
    record.bytes = manifest.total_bytes();
    record.manifest_json = sync::to_json(manifest);
    record.git = std::move(git);
    uploads.files = record.files;
    if (auto synced = blobs_.sync(); !synced) return synced.error();
    return impl_->call<core::Result<std::string>>(
        [this, record = std::move(record), uploads]() -> core::Result<std::string> {
            if (auto stored = impl_->store.insert_snapshot(record); !stored) return stored.error();
            impl_->uploads[record.id] = uploads;
            return record.id;
        });
}

}  // namespace ailab::jobs
