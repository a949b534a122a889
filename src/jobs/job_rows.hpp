#pragma once
// The job store's tables (used by store.cpp only): the schema, and how a Job maps to a row of
// `jobs` and back.
//
// Schema version 1 (PRAGMA user_version): one row per job in `jobs`, one per snapshot in
// `snapshots`. Lists and maps (command, GPU ids, after, env) are JSON text columns; `search_text`
// holds the command as one line (argv joined by spaces, or the shell text) for the `q` filter. The
// id is an AUTOINCREMENT rowid, so ids only grow and are never reused, even after a rollback.
// Indexes: (state, id) for the state filter and active(), (user, id) for the user filter; the list
// order is the rowid itself.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/sqlite.hpp"
#include "jobs/job.hpp"

namespace ailab::jobs::rows {

inline constexpr std::int64_t schema_version = 2;
// Creates every table and index of version 1 (run on an empty file, in a transaction); the
// migrations then bring it to schema_version.
std::string_view schema();
// Version 1 -> 2: the Slurm executor's columns (executor, slurm_job_id, nodes).
std::string_view migration_to_v2();

// "SELECT id, <every column> FROM jobs", to be completed with WHERE/ORDER BY.
const std::string& select_jobs();
// INSERT of every column but id (binds ?1..), and UPDATE of every column (binds ?1.., the id
// as update_id_parameter()).
const std::string& insert_job();
const std::string& update_job();
int update_id_parameter();

// Binds every column of `job` but the id to a statement made from insert_job() or update_job().
void bind_job(core::Statement& statement, const Job& job);
// Reads the current row of a statement made from select_jobs(). A column that does not parse (a
// file edited by hand) is an error naming the job and the column.
core::Result<Job> read_job(const core::Statement& row);

// "[1,2,3]"
std::string ids_json(const std::vector<JobId>& ids);
// "the job store is damaged: job 12 has an unreadable env column"
core::Error bad_column(JobId id, std::string_view column);

}  // namespace ailab::jobs::rows
