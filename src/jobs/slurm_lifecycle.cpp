// The Slurm executor on the job service's thread (README.md "Slurm"): queued jobs become sbatch
// submissions, one poll of squeue answers for all of them, and Slurm's states become AI Lab's.
// Slurm queues and places; nothing here schedules on top of it.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>

#include "core/file.hpp"
#include "jobs/job_folder.hpp"
#include "jobs/service_impl.hpp"
#include "jobs/slurm/batch.hpp"

namespace ailab::jobs {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto first_backoff = std::chrono::seconds(2);
constexpr auto last_backoff = std::chrono::seconds(60);
constexpr auto submit_slice = std::chrono::milliseconds(250);

// The exit code the batch script recorded (batch.hpp exit_file); nullopt when it wrote none.
std::optional<int> recorded_exit(const std::filesystem::path& folder) {
    auto text = core::read_small_file(folder / slurm::exit_file, 4096);
    if (!text) return std::nullopt;
    boost::system::error_code error;
    auto document = boost::json::parse(*text, error);
    const auto* object = error ? nullptr : document.if_object();
    const auto* code = object != nullptr ? object->if_contains("exit_code") : nullptr;
    if (code == nullptr || !code->is_int64()) return std::nullopt;
    return static_cast<int>(code->get_int64());
}

bool cancel_requested(const Job& job) { return job.reason.rfind("cancelled by", 0) == 0; }

}  // namespace

Clock::time_point JobService::Impl::slurm_wake_at() const {
    auto at = slurm_next_poll;
    if (!slurm_unreachable.empty()) at = std::min(at, slurm_retry_at);
    return at;
}

void JobService::Impl::slurm_unreachable_now(const std::string& message) {
    slurm_backoff = slurm_backoff.count() == 0 ? first_backoff : std::min(slurm_backoff * 2, last_backoff);
    slurm_retry_at = Clock::now() + slurm_backoff;
    if (slurm_unreachable != message) spdlog::warn("jobs: Slurm cannot be reached: {}", message);
    slurm_unreachable = message;
}

void JobService::Impl::slurm_tick() {
    const auto now = Clock::now();
    if (!slurm_unreachable.empty() && now >= slurm_retry_at) dirty = true;  // the submissions again
    if (now < slurm_next_poll) return;
    slurm_poll();
    // Counted from the poll's end, and never sooner than the poll took: squeue on a cluster with
    // thousands of jobs answers in a second or more, and back-to-back polls would leave this
    // thread no time to submit.
    const auto polled = Clock::now();
    slurm_next_poll = polled + std::max<Clock::duration>(settings.slurm->poll, polled - now);
    // The partitions for the Jobs page, at most every 10 s (they change slowly).
    if (now >= slurm_next_sinfo) {
        slurm_next_sinfo = now + std::max<Clock::duration>(settings.slurm->poll, std::chrono::seconds(10));
        auto partitions = slurm_client->partitions();
        std::lock_guard lock(state_mutex);
        if (partitions) {
            cluster.partitions = std::move(*partitions);
            cluster.error.clear();
        } else {
            cluster.error = partitions.error().message;
        }
        cluster.updated_at = now_seconds();
    }
}

void JobService::Impl::slurm_round() {
    if (!slurm_unreachable.empty() && Clock::now() < slurm_retry_at) return;
    // `active` is read here without state_mutex: only this thread writes it.
    std::vector<JobId> queued;
    for (const auto& [id, job] : active)
        if (job.state == JobState::queued && job.slurm_id.empty()) queued.push_back(id);
    if (queued.empty()) return;

    // Submissions whose fate is unknown (a crash, a timeout) are looked for by their marker first,
    // so that none is ever submitted twice.
    std::map<std::string, std::string> by_marker;
    if (std::any_of(queued.begin(), queued.end(), [&](JobId id) { return slurm_check_marker.contains(id); })) {
        auto known = slurm_client->jobs();
        if (!known) {
            slurm_unreachable_now(known.error().message);
            return;
        }
        for (const auto& [id, found] : *known)
            if (found.comment.rfind("ailab:" + slurm_tag + ":", 0) == 0) by_marker[found.comment] = id;
    }

    // Slurm ids reach the store a slice at a time, in one transaction without waiting for the disk:
    // an id lost with a power cut is found again by its marker (recover() looks for every queued
    // job without one before submitting). A slice ends after submit_slice, so that a big sweep
    // (an sbatch is ~15 ms) never holds a cancel or a submit waiting on this thread.
    const auto slice_started = Clock::now();
    std::vector<Job> submitted;
    auto store_submitted = [&] {
        if (submitted.empty()) return;
        std::vector<const Job*> rows;
        rows.reserve(submitted.size());
        for (const auto& job : submitted) rows.push_back(&job);
        if (auto stored = store.update_all(rows, JobStore::Durability::relaxed); !stored)
            spdlog::error("jobs: cannot store the Slurm ids of {} jobs: {}", rows.size(), stored.error().message);
        for (const auto& job : submitted) changed(job);
        submitted.clear();
    };
    for (JobId id : queued) {
        if (Clock::now() - slice_started > submit_slice) {
            dirty = true;  // the rest after the events that waited
            break;
        }
        auto current = active.find(id);
        if (current == active.end() || current->second.state != JobState::queued || !current->second.slurm_id.empty())
            continue;  // ended or submitted meanwhile (a failed dependency, a cancel)
        Job job = current->second;
        // Dependencies: done ones are met, failed ones fail the job, submitted ones become
        // afterok, the others wait for their own submission.
        std::vector<std::string> after;
        std::string waits_for;
        std::string failed_dependency;
        for (JobId dependency : job.after) {
            if (auto ended = finished.find(dependency); ended != finished.end()) {
                if (ended->second != JobState::done)
                    failed_dependency =
                        "dependency " + std::to_string(dependency) + " ended " + std::string(state_name(ended->second));
                continue;
            }
            std::lock_guard lock(state_mutex);
            auto found = active.find(dependency);
            if (found == active.end() || found->second.slurm_id.empty())
                waits_for = std::to_string(dependency);
            else
                after.push_back(found->second.slurm_id);
        }
        if (!failed_dependency.empty()) {
            finish(job, JobState::failed, failed_dependency);
            continue;
        }
        if (!waits_for.empty()) continue;  // submitted once the dependency is

        const auto folder = owner.job_folder(job.id);
        job.executor = "slurm";
        if (slurm_check_marker.contains(job.id)) {
            if (auto found = by_marker.find(slurm::marker(slurm_tag, job.id)); found != by_marker.end()) {
                spdlog::info("job {}: found in Slurm as {} (not submitted again)", job.id, found->second);
                job.slurm_id = found->second;
            }
        }
        if (job.slurm_id.empty()) {
            // Only a snapshot's copy is made here; without one the batch script makes the folder
            // on the node, so that a submit creates no inode on the shared file system.
            if (auto why = job.snapshot.empty() ? std::string() : prepare_folder(job, folder); !why.empty()) {
                finish(job, JobState::failed, "could not be submitted: " + why);
                continue;
            }
            slurm::BatchInput input{&job, folder, owner.output_file(job.id), settings.results, slurm_tag, after};
            const auto script = slurm::batch_script(input, *settings.slurm);
            auto submitted = slurm_client->submit(script);
            if (submitted.id.empty() && submitted.unreachable) {
                // It may have reached Slurm all the same: look for the marker before the next try.
                slurm_check_marker.insert(job.id);
                slurm_unreachable_now(submitted.message);
                const auto reason = "Slurm cannot be reached (" + submitted.message + "); trying again in " +
                                    std::to_string(slurm_backoff.count()) + " s";
                std::vector<Job> waiting;
                {
                    std::lock_guard lock(state_mutex);
                    for (auto& [id, other] : active) {
                        if (other.state != JobState::queued || !other.slurm_id.empty()) continue;
                        other.waiting_for = WaitReason::submit_retry;
                        other.reason = reason;
                        waiting.push_back(other);
                    }
                }
                for (const auto& other : waiting) changed(other);
                store_submitted();
                return;
            }
            if (submitted.id.empty()) {
                finish(job, JobState::failed, "sbatch refused it: " + submitted.message);
                continue;
            }
            job.slurm_id = submitted.id;
        }
        slurm_check_marker.erase(job.id);
        slurm_unreachable.clear();
        slurm_backoff = std::chrono::seconds(0);
        job.waiting_for = WaitReason::slurm;
        job.slurm_reason = "submitted";
        job.reason = "submitted to Slurm as job " + job.slurm_id;
        {
            std::lock_guard lock(state_mutex);
            active[job.id] = job;  // at once: a later job of this round may depend on it (afterok)
        }
        submitted.push_back(job);
    }
    store_submitted();
}

void JobService::Impl::slurm_poll() {
    // `active` is read here without state_mutex: only this thread writes it.
    if (std::none_of(active.begin(), active.end(), [](const auto& entry) { return !entry.second.slurm_id.empty(); }))
        return;
    auto known = slurm_client->jobs();
    if (!known) {
        // slurmctld down: every job keeps its state; the next poll asks again.
        if (slurm_unreachable.empty()) spdlog::warn("jobs: cannot poll Slurm: {}", known.error().message);
        return;
    }
    // Most polls change nothing: only the jobs whose state, reason or nodes moved are copied.
    std::vector<std::pair<JobId, const slurm::SlurmJob*>> moved;
    std::vector<JobId> missing;
    for (const auto& [id, job] : active) {
        if (job.slurm_id.empty()) continue;
        auto found = known->find(job.slurm_id);
        if (found == known->end() || found->second.comment != slurm::marker(slurm_tag, id))
            missing.push_back(id);
        else if (slurm_moved(job, found->second))
            moved.emplace_back(id, &found->second);
    }
    for (const auto& [id, found] : moved) slurm_apply(active.at(id), *found);
    if (missing.empty()) return;
    // Older than the controller's MinJobAge: the accounting database knows how they ended.
    std::vector<std::string> ids;
    ids.reserve(missing.size());
    for (JobId id : missing) ids.push_back(active.at(id).slurm_id);
    auto accounted = slurm_client->accounted(ids);
    for (JobId id : missing) {
        Job job = active.at(id);
        if (accounted) {
            if (auto found = accounted->find(job.slurm_id); found != accounted->end()) {
                slurm_apply(std::move(job), found->second);
                continue;
            }
        }
        slurm_lost(std::move(job));
    }
}

bool JobService::Impl::slurm_moved(const Job& job, const slurm::SlurmJob& found) const {
    const auto outcome = slurm::map_state(found);
    if (!outcome) return true;  // slurm_apply says that the state is unknown
    if (outcome->state != job.state) return true;
    if (!found.nodes.empty() && found.nodes != job.nodes) return true;
    return job.state == JobState::queued &&
           (job.waiting_for != WaitReason::slurm || job.slurm_reason != outcome->reason);
}

void JobService::Impl::slurm_apply(Job job, const slurm::SlurmJob& found) {
    const auto outcome = slurm::map_state(found);
    if (!outcome) {
        spdlog::warn("job {}: Slurm job {} is in state {}, which AI Lab does not know; kept as it was", job.id,
                     job.slurm_id, found.state);
        return;
    }
    const Job before = job;
    if (!found.nodes.empty()) job.nodes = found.nodes;
    if (found.start_time > 0 && outcome->state != JobState::queued) job.started_at = found.start_time;
    switch (outcome->state) {
    case JobState::queued:
        if (outcome->reason == "DependencyNeverSatisfied") {
            // An afterok dependency failed: Slurm would hold it for ever.
            (void)slurm_client->cancel(job.slurm_id);
            std::string which;
            for (JobId dependency : job.after)
                if (auto ended = finished.find(dependency); ended != finished.end() && ended->second != JobState::done)
                    which =
                        "dependency " + std::to_string(dependency) + " ended " + std::string(state_name(ended->second));
            finish(job, JobState::failed, which.empty() ? "a dependency did not end done" : which);
            return;
        }
        job.state = JobState::queued;
        job.waiting_for = WaitReason::slurm;
        job.slurm_reason = outcome->reason;
        if (!cancel_requested(job)) job.reason = "waiting in Slurm: " + outcome->reason;
        break;
    case JobState::running:
        job.state = JobState::running;
        job.waiting_for = WaitReason::none;
        job.slurm_reason.clear();
        if (!job.started_at) job.started_at = now_seconds();
        if (!cancel_requested(job)) job.reason.clear();
        break;
    default: {
        job.exit_code = found.exit_code;
        job.signal = found.signal;
        if (!job.exit_code && !job.signal) job.exit_code = recorded_exit(owner.job_folder(job.id));
        job.ended_at = found.end_time > 0 ? found.end_time : now_seconds();
        auto state = outcome->state;
        auto reason = outcome->reason;
        if (cancel_requested(job) && state != JobState::done) {
            state = JobState::cancelled;
            reason = job.reason;
        }
        finish(job, state, reason);
        return;
    }
    }
    const bool state_changed = job.state != before.state || job.nodes != before.nodes;
    if (!state_changed && job.reason == before.reason && job.slurm_reason == before.slurm_reason) return;
    if (state_changed) {
        if (auto stored = store.update(job); !stored)
            spdlog::error("job {}: cannot store its Slurm state: {}", job.id, stored.error().message);
    }
    {
        std::lock_guard lock(state_mutex);
        active[job.id] = job;
    }
    changed(job);
}

void JobService::Impl::slurm_lost(Job job) {
    const auto code = recorded_exit(owner.job_folder(job.id));
    if (code) {
        job.exit_code = code;
        finish(job, *code == 0 ? JobState::done : JobState::failed,
               *code == 0 ? "" : "exit code " + std::to_string(*code));
        return;
    }
    finish(job, JobState::failed,
           "lost: Slurm no longer knows job " + job.slurm_id +
               " (older than its MinJobAge) and has no accounting record of it");
}

}  // namespace ailab::jobs
