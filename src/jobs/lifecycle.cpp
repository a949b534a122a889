// The job service's thread: scheduling rounds, starting jobs, collecting their exits, recovering
// after a restart (see service.hpp for the rules).

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <fstream>

#include "core/fd.hpp"
#include "core/file.hpp"
#include "jobs/json.hpp"
#include "jobs/service_impl.hpp"
#include "jobs/snapshots.hpp"
#include "system/service.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere else

namespace ailab::jobs {
namespace {

std::int64_t size_of(const std::filesystem::path& file) {
    struct stat info {};
    return ::stat(file.c_str(), &info) == 0 ? static_cast<std::int64_t>(info.st_size) : 0;
}

// The command's pid from pid.json (its session id, since it runs setsid()); 0 when unknown.
pid_t read_job_pid(const std::filesystem::path& folder) {
    auto text = core::read_small_file(folder / "pid.json", std::size_t{64} * 1024);
    if (!text) return 0;
    boost::system::error_code error;
    auto document = boost::json::parse(*text, error);
    if (error || !document.is_object()) return 0;
    const auto* pid = document.as_object().if_contains("job_pid");
    return pid != nullptr && pid->is_int64() ? static_cast<pid_t>(pid->as_int64()) : 0;
}

std::string signal_text(int number) {
    const char* name = sigabbrev_np(number);
    return "killed by signal " + std::to_string(number) + (name ? std::string(" (SIG") + name + ")" : "");
}

std::string duration_text(std::int64_t seconds) {
    if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + " h";
    if (seconds % 60 == 0) return std::to_string(seconds / 60) + " min";
    return std::to_string(seconds) + " s";
}

}  // namespace

void JobService::Impl::publish(std::string_view type, const Job& job) {
    for (const auto& listener : listeners) listener(job);
    if (hub.subscriber_count("jobs") > 0) hub.publish("jobs", job_event(type, job));
}

void JobService::Impl::changed(const Job& job) { publish("jobs.updated", job); }

void JobService::Impl::publish_lanes() {
    if (hub.subscriber_count("jobs") > 0) hub.publish("jobs", lanes_event(lanes));
}

core::Result<std::vector<Job>> JobService::Impl::insert(std::vector<Job> jobs) {
    for (auto& job : jobs) {
        // Dependencies must exist; they can only name jobs that exist already, so no loop can form.
        for (JobId dependency : job.after) {
            bool known = false;
            {
                std::lock_guard lock(state_mutex);
                known = active.contains(dependency);
            }
            if (!known && !finished.contains(dependency)) {
                auto found = store.get(dependency);
                if (!found) return found.error();
                if (!*found)
                    return refusal(Refusal::bad_request,
                                   "\"after\" names job " + std::to_string(dependency) + ", which does not exist");
                finished[dependency] = (*found)->state;
            }
        }
    }
    for (auto& job : jobs) {
        if (job.sync && job.project.empty()) {
            if (auto upload = uploads.find(job.snapshot); upload != uploads.end()) {
                job.sync = upload->second;
                uploads.erase(upload);  // the next job of the same snapshot uploaded nothing
            }
        }
        job.state = JobState::queued;
        job.submitted_at = now_seconds();
    }
    if (auto stored = store.insert_all(jobs); !stored) {
        return refusal(
            stored.error().is(boost::system::errc::no_space_on_device) ? Refusal::no_space : Refusal::conflict,
            (jobs.size() == 1 ? "the job could not be stored: " : "the jobs could not be stored: ") +
                stored.error().message);
    }
    {
        std::lock_guard lock(state_mutex);
        for (const auto& job : jobs) active.emplace(job.id, job);
    }
    for (const auto& job : jobs) publish("jobs.added", job);
    // Schedule now, so the answer says what happened: running, or waiting and why.
    dirty = false;
    round();
    for (auto& job : jobs) {
        {
            std::lock_guard lock(state_mutex);
            if (auto found = active.find(job.id); found != active.end()) {
                job = found->second;
                continue;
            }
        }
        auto stored = store.get(job.id);
        if (stored && *stored) job = std::move(**stored);
    }
    return jobs;
}

core::Result<Job> JobService::Impl::insert_one(Job job) {
    std::vector<Job> jobs;
    jobs.push_back(std::move(job));
    auto stored = insert(std::move(jobs));
    if (!stored) return stored.error();
    return std::move(stored->front());
}

core::Result<Job> JobService::Impl::cancel(JobId id, const std::string& user) {
    Job job;
    {
        std::lock_guard lock(state_mutex);
        auto found = active.find(id);
        if (found == active.end()) {
            auto stored = store.get(id);
            if (!stored) return stored.error();
            if (!*stored) return refusal(Refusal::not_found, "no job " + std::to_string(id));
            return refusal(Refusal::conflict, "job " + std::to_string(id) + " has ended already (" +
                                                  std::string(state_name((*stored)->state)) + ")");
        }
        job = found->second;
    }
    if (job.user != user && !settings.is_admin(user))
        return refusal(Refusal::forbidden, "job " + std::to_string(id) + " is " + job.user +
                                               "'s; only its owner or an admin may cancel it");
    if (!job.slurm_id.empty()) {
        // In Slurm: scancel first; a running job is seen cancelled by the next poll.
        if (auto sent = slurm_client->cancel(job.slurm_id); !sent) return sent.error();
        slurm_next_poll = std::chrono::steady_clock::now();
    }
    if (job.state == JobState::queued) {
        finish(job, JobState::cancelled, "cancelled by " + user + " while queued");
        dirty = true;
        return job;
    }
    job.reason = "cancelled by " + user;
    if (job.process) {
        if (auto sent = request_cancel(*job.process); !sent) return sent.error();
    }
    if (auto stored = store.update(job); !stored)
        spdlog::warn("job {}: cannot store the cancel: {}", id, stored.error().message);
    {
        std::lock_guard lock(state_mutex);
        active[id] = job;
    }
    changed(job);
    return job;
}

void JobService::Impl::finish(Job& job, JobState state, std::string reason) {
    job.state = state;
    job.reason = std::move(reason);
    job.waiting_for = WaitReason::none;
    if (!job.ended_at) job.ended_at = now_seconds();
    job.output_bytes = size_of(owner.output_file(job.id));
    const double now = now_seconds();
    for (int gpu : job.gpus) released_at[gpu] = now;
    if (auto stored = store.update(job); !stored)
        spdlog::error("job {}: cannot store its end ({}): {}", job.id, state_name(state), stored.error().message);
    finished[job.id] = state;
    sessions.erase(job.id);
    {
        std::lock_guard lock(state_mutex);
        active.erase(job.id);
    }
    changed(job);
    dirty = true;
}

void JobService::Impl::collect(JobId id) {
    Job job;
    {
        std::lock_guard lock(state_mutex);
        auto found = active.find(id);
        if (found == active.end() || found->second.state != JobState::running) return;
        job = found->second;
    }
    const auto folder = owner.job_folder(id);
    auto record = read_exit(folder);
    if (record && *record) {
        const auto& exit = **record;
        job.exit_code = exit.exit_code;
        job.signal = exit.signal;
        job.ended_at = exit.ended_at > 0 ? exit.ended_at : now_seconds();
        switch (exit.reason) {
        case EndReason::cancelled:
            finish(job, JobState::cancelled, job.reason.empty() ? "cancelled" : job.reason);
            return;
        case EndReason::time_limit:
            finish(job, JobState::failed, "time limit of " + duration_text(job.time_limit_s.value_or(0)) + " reached");
            return;
        case EndReason::start_failed: finish(job, JobState::failed, exit.message); return;
        case EndReason::signaled: finish(job, JobState::failed, signal_text(exit.signal.value_or(0))); return;
        case EndReason::exited:
            if (exit.exit_code.value_or(1) == 0) {
                finish(job, JobState::done, "");
            } else {
                finish(job, JobState::failed, "exit code " + std::to_string(exit.exit_code.value_or(1)));
            }
            return;
        }
    }
    switch (probe(folder)) {
    case Liveness::running: {
        // The watcher saw a process end that was not this job's supervisor (a reused pid
        // after a restart): watch the real one again.
        auto process = read_process(folder);
        if (process && *process) {
            job.process = **process;
            (void)watcher->watch(id, job.process.value());
        }
        return;
    }
    case Liveness::never_started:
        if (job.reason.rfind("cancelled by", 0) == 0) {
            finish(job, JobState::cancelled, job.reason + " before it started");
            return;
        }
        // The command never ran: queue it again rather than lose it.
        job.state = JobState::queued;
        job.started_at.reset();
        job.gpus.clear();
        job.process.reset();
        (void)store.update(job);
        {
            std::lock_guard lock(state_mutex);
            active[id] = job;
        }
        changed(job);
        dirty = true;
        return;
    case Liveness::ended:
    case Liveness::vanished:
        finish(job, JobState::failed,
               record ? "lost: its supervisor ended without recording an exit status (machine restart?)"
                      : "lost: its exit status cannot be read: " + record.error().message);
        return;
    }
}

void JobService::Impl::recover() {
    auto jobs = store.active();
    if (!jobs) throw std::runtime_error("the job store cannot be read: " + jobs.error().message);
    std::vector<JobId> running;
    std::vector<JobId> dependencies;
    {
        std::lock_guard lock(state_mutex);
        for (auto& job : *jobs) {
            for (JobId dependency : job.after) dependencies.push_back(dependency);
            if (job.state == JobState::running) running.push_back(job.id);
            active.emplace(job.id, std::move(job));
        }
    }
    if (auto states = store.finished_states(dependencies)) finished = std::move(*states);
    std::size_t adopted = 0;
    if (settings.slurm) {
        // Slurm's jobs are found again by the first poll (their Slurm ids are in the store); a
        // queued job without one may have been submitted just before a crash: its marker is
        // looked for in Slurm before it is submitted again.
        std::lock_guard lock(state_mutex);
        for (const auto& [id, job] : active)
            if (job.slurm_id.empty()) slurm_check_marker.insert(id);
        running.clear();
        slurm_next_poll = std::chrono::steady_clock::now();
    }
    for (JobId id : running) {
        const auto folder = owner.job_folder(id);
        if (probe(folder) == Liveness::running) {
            auto process = read_process(folder);
            if (process && *process) {
                std::lock_guard lock(state_mutex);
                active[id].process = **process;
            }
            if (process && *process && watcher->watch(id, **process)) {
                ++adopted;
                continue;
            }
        }
        collect(id);  // ended, never started or vanished: decided from the folder
    }
    if (!jobs->empty())
        spdlog::info("jobs: {} queued or running at start; {} running jobs re-adopted", jobs->size(), adopted);
}

std::vector<std::string> JobService::Impl::environment(const Job& job) const {
    std::map<std::string, std::string> variables;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string_view::npos)
            variables[std::string(text.substr(0, equals))] = std::string(text.substr(equals + 1));
    }
    variables.erase("AILAB_LOG_LEVEL");
    variables["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID";  // our GPU ids are in PCI bus order
    variables["PYTHONUNBUFFERED"] = "1";
    for (const auto& [key, value] : job.env) variables[key] = value;
    std::string devices;
    for (int gpu : job.gpus) devices += (devices.empty() ? "" : ",") + std::to_string(gpu);
    variables["CUDA_VISIBLE_DEVICES"] = devices;
    variables["AILAB_JOB_ID"] = std::to_string(job.id);
    variables["AILAB_RESULTS"] = settings.results.string();
    std::vector<std::string> list;
    list.reserve(variables.size());
    for (const auto& [key, value] : variables) list.push_back(key + "=" + value);
    return list;
}

std::string JobService::Impl::prepare_folder(const Job& job, const std::filesystem::path& folder) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) return "cannot create its folder " + folder.string() + ": " + error.message();
    if (!job.snapshot.empty()) {
        auto record = store.snapshot(job.snapshot);
        if (!record || !*record) return "its snapshot " + job.snapshot + " is missing from the store";
        sync::ManifestError why;
        sync::Limits unlimited{INT64_MAX, INT64_MAX, INT64_MAX};
        auto manifest = sync::parse_manifest((*record)->manifest_json, unlimited, why);
        if (!manifest) return "its snapshot cannot be read: " + why.message;
        if (!std::filesystem::exists(folder / "work")) {
            if (auto copied = materialize(owner.blobs(), *manifest, folder / "work"); !copied)
                return copied.error().message;
        }
    } else {
        std::filesystem::create_directories(folder / "work", error);
        if (error) return "cannot create its working folder: " + error.message();
    }
    return "";
}

void JobService::Impl::round() {
    if (settings.slurm)
        slurm_round();
    else
        schedule_round();
}

void JobService::Impl::start_job(JobId id) {
    Job job;
    {
        std::lock_guard lock(state_mutex);
        job = active.at(id);
    }
    const auto folder = owner.job_folder(id);
    auto fail = [&](const std::string& why) {
        spdlog::warn("job {} could not start: {}", id, why);
        finish(job, JobState::failed, "could not start: " + why);
    };
    if (auto why = prepare_folder(job, folder); !why.empty()) return fail(why);
    JobSpec spec;
    spec.argv = job.shell.empty() ? job.command : std::vector<std::string>{"/bin/sh", "-c", job.shell};
    spec.env = environment(job);
    spec.working_folder = folder / "work";
    spec.time_limit_s = job.time_limit_s;
    spec.cancel_grace_s = settings.cancel_grace_s;
    if (auto written = write_spec(folder, spec); !written) return fail(written.error().message);
    // The output file exists before the job is seen running, so a stream can follow it at once.
    core::OwnedFd output(::open((folder / "output.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!output) return fail("cannot create output.log: " + std::string(std::strerror(errno)));
    output.reset();
    auto process = launcher.launch(folder);
    if (!process) return fail(process.error().message);
    job.process = *process;
    if (auto stored = store.update_all({&job}, JobStore::Durability::relaxed); !stored)
        spdlog::error("job {}: cannot store its process: {}", id, stored.error().message);
    {
        std::lock_guard lock(state_mutex);
        active[id] = job;
    }
    if (auto watched = watcher->watch(id, *process); !watched)
        spdlog::error("job {}: cannot watch its supervisor: {}", id, watched.error().message);
    changed(job);
}

std::optional<sys::SystemSample> JobService::Impl::latest_sample() const {
    return system != nullptr ? system->latest() : std::nullopt;
}

std::string JobService::Impl::gpu_signature(const std::optional<sys::SystemSample>& sample) const {
    if (!sample || sample->gpu_status != sys::GpuStatus::ok) return "";
    std::string signature;
    for (const auto& gpu : sample->gpus) {
        if (!std::binary_search(settings.gpus.begin(), settings.gpus.end(), gpu.id)) continue;
        const bool busy = gpu.memory_used_bytes.value_or(0) >= settings.busy_memory_bytes;
        signature += std::to_string(gpu.id) + (busy ? "b" : "f");
        for (const auto& process : gpu.processes) signature += "," + std::to_string(process.pid);
        signature += ";";
    }
    return signature;
}

void JobService::Impl::schedule_round() {
    // One copy of the latest sample serves the signature and the GPU views.
    const std::optional<sys::SystemSample> sample = latest_sample();
    last_gpu_signature = gpu_signature(sample);
    std::vector<const Job*> queued;
    std::vector<const Job*> running;
    GpuViewInputs inputs;
    inputs.configured = settings.gpus;
    inputs.busy_memory_bytes = settings.busy_memory_bytes;
    inputs.released_at = released_at;
    const bool nvml = sample && sample->gpu_status == sys::GpuStatus::ok;
    if (nvml) {
        inputs.sampled = &sample->gpus;
        inputs.sampled_at = sample->time;
    }
    std::unique_lock lock(state_mutex);
    for (const auto& [id, job] : active) {
        if (job.state == JobState::queued) {
            queued.push_back(&job);
        } else {
            running.push_back(&job);
            for (int gpu : job.gpus) inputs.held[gpu] = id;
            auto session = sessions.find(id);
            if (session == sessions.end() || session->second == 0) {
                session = sessions.insert_or_assign(id, read_job_pid(owner.job_folder(id))).first;
            }
            if (session->second != 0) inputs.job_sessions.insert(session->second);
        }
    }
    SchedulerInput input;
    input.queued = std::move(queued);
    input.running = std::move(running);
    input.gpus = make_gpu_views(inputs);
    input.group_limits = settings.group_limits;
    input.finished = &finished;
    const auto decision = schedule(input);

    // Lanes for the GUI.
    std::vector<GpuLane> new_lanes;
    for (const auto& view : input.gpus) {
        GpuLane lane;
        lane.id = view.id;
        lane.job = view.held_by;
        if (auto held = decision.held_for.find(view.id); held != decision.held_for.end()) lane.held_for = held->second;
        if (nvml) {
            for (const auto& gpu : sample->gpus) {
                if (gpu.id != view.id) continue;
                lane.memory_used_bytes = gpu.memory_used_bytes;
                for (const auto& process : gpu.processes) {
                    auto session = session_of(static_cast<pid_t>(process.pid));
                    if (!session || inputs.job_sessions.contains(*session)) continue;
                    lane.foreign.push_back(
                        {process.pid, process.user.value_or("?"), process.command.value_or(""), process.memory_bytes});
                }
            }
        }
        lane.free = !view.held_by && !view.foreign_process && !view.memory_busy;
        new_lanes.push_back(std::move(lane));
    }
    const bool lanes_changed = new_lanes != lanes;
    if (lanes_changed) lanes = std::move(new_lanes);

    // Waiting reasons live in memory; only changes are published.
    std::vector<Job> waits_changed;
    for (const auto& wait : decision.waits) {
        auto& job = active.at(wait.job);
        if (job.waiting_for == wait.why && job.reason == wait.reason && job.nvml_checked == nvml) continue;
        job.waiting_for = wait.why;
        job.reason = wait.reason;
        job.nvml_checked = nvml;
        waits_changed.push_back(job);
    }
    std::vector<Job> failing;
    for (const auto& fail : decision.fails) {
        failing.push_back(active.at(fail.job));
        failing.back().reason = fail.reason;
    }
    std::vector<JobId> starting;
    std::vector<const Job*> to_store;
    const double now = now_seconds();
    for (const auto& start : decision.starts) {
        auto& job = active.at(start.job);
        job.state = JobState::running;
        job.gpus = start.gpus;
        job.started_at = now;
        job.waiting_for = WaitReason::none;
        job.reason.clear();
        job.nvml_checked = nvml || job.gpus.empty();
        for (int gpu : job.gpus) released_at.erase(gpu);
        starting.push_back(start.job);
        to_store.push_back(&job);
    }
    // Committed as running before any supervisor exists: a crash in between is recovered as
    // "never started" and the job is queued again.
    if (!to_store.empty()) {
        if (auto stored = store.update_all(to_store, JobStore::Durability::relaxed); !stored)
            spdlog::error("jobs: cannot store the starts: {}", stored.error().message);
    }
    lock.unlock();

    if (lanes_changed) publish_lanes();
    for (const auto& job : waits_changed) changed(job);
    for (auto& job : failing) {
        const auto reason = job.reason;
        finish(job, JobState::failed, reason);
    }
    for (JobId id : starting) start_job(id);
}

}  // namespace ailab::jobs
