#pragma once
// The job store: one SQLite file (queue/jobs.db) through core::Database, WAL. Every write is one
// transaction, committed before the caller answers (a job exists once insert() returned). History
// is kept: nothing is deleted. Thread-compatible: one owner (the job service's thread) at a time;
// list()/get() may be called from other threads through their own JobStore opened on the same file
// (SQLite WAL allows concurrent readers).

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/sqlite.hpp"
#include "jobs/job.hpp"

namespace ailab::jobs {

struct JobFilter {
    std::vector<JobState> states;  // empty: every state
    std::string user;              // "" any
    std::string text;              // substring of name or command ("" any)
    int limit = 100;
    std::optional<JobId> before;  // only ids < before (paging, newest first)
};

struct SnapshotRecord {
    std::string id;  // "s-" + hex
    double created_at = 0;
    std::int64_t files = 0;
    std::int64_t bytes = 0;
    std::string manifest_json;  // the canonical manifest (sync/manifest.hpp)
    std::optional<GitState> git;
};

class JobStore {
public:
    // Opens or creates the file and its schema (versioned by PRAGMA user_version; a newer version
    // than this binary knows is an error naming both). Error when the file is unusable.
    static core::Result<JobStore> open(const std::filesystem::path& file);

    // Assigns job.id (increasing, never reused) and writes it. One transaction.
    core::Status insert(Job& job) { return insert_all({&job, 1}); }
    // Several jobs in one transaction (one synced commit): all stored, each given its id, or none.
    core::Status insert_all(std::span<Job> jobs);
    // Writes every field of an existing job. One transaction.
    core::Status update(const Job& job);
    // Several updates in one transaction (a scheduling round). `relaxed`: committed to the WAL
    // without waiting for the disk (survives a crash of the server, not a power loss), for writes
    // that are on the path to a job's start and that recovery can redo (a start that was lost is
    // "never started": the job is queued again).
    enum class Durability { synced, relaxed };
    core::Status update_all(const std::vector<const Job*>& jobs, Durability durability = Durability::synced);

    core::Result<std::optional<Job>> get(JobId id);
    // Newest first.
    core::Result<std::vector<Job>> list(const JobFilter& filter);
    // Every queued or running job (what the service keeps in memory), id order.
    core::Result<std::vector<Job>> active();
    // The final state of finished jobs among ids (for dependencies).
    core::Result<FinishedStates> finished_states(const std::vector<JobId>& ids);
    // Jobs per state.
    core::Result<std::map<JobState, std::int64_t>> counts();

    core::Status insert_snapshot(const SnapshotRecord& snapshot);  // ignores an existing id
    core::Result<std::optional<SnapshotRecord>> snapshot(const std::string& id);

private:
    explicit JobStore(core::Database database);
    core::Database database_;
};

}  // namespace ailab::jobs
