// The job store's tables: the schema and the row mapping (see job_rows.hpp).

#include "jobs/job_rows.hpp"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/json_writer.hpp"

namespace ailab::jobs::rows {
namespace {

constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  user TEXT NOT NULL,
  state TEXT NOT NULL,
  command TEXT NOT NULL,
  shell TEXT NOT NULL,
  search_text TEXT NOT NULL,
  project TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  gpus_requested INTEGER NOT NULL,
  gpu_ids_requested TEXT NOT NULL,
  gpus TEXT NOT NULL,
  job_group TEXT NOT NULL,
  priority INTEGER NOT NULL,
  after_ids TEXT NOT NULL,
  env TEXT NOT NULL,
  time_limit_s INTEGER,
  exit_code INTEGER,
  signal INTEGER,
  reason TEXT NOT NULL,
  submitted_at REAL NOT NULL,
  started_at REAL,
  ended_at REAL,
  output_bytes INTEGER NOT NULL,
  sync_files INTEGER,
  sync_uploaded_files INTEGER,
  sync_uploaded_bytes INTEGER,
  git_commit TEXT,
  git_branch TEXT,
  git_dirty INTEGER,
  git_diff TEXT,
  restarted_from INTEGER,
  supervisor_pid INTEGER,
  supervisor_start_ticks INTEGER,
  waiting_for TEXT NOT NULL,
  nvml_checked INTEGER NOT NULL
);
CREATE INDEX jobs_by_state ON jobs (state, id);
CREATE INDEX jobs_by_user ON jobs (user, id);
CREATE TABLE snapshots (
  id TEXT PRIMARY KEY,
  created_at REAL NOT NULL,
  files INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  manifest TEXT NOT NULL,
  git_commit TEXT,
  git_branch TEXT,
  git_dirty INTEGER,
  git_diff TEXT
);
)sql";

// Version 2: the Slurm executor's columns.
constexpr std::string_view migrate_v2 = R"sql(
ALTER TABLE jobs ADD COLUMN executor TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN slurm_job_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN nodes TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_by_slurm_id ON jobs (slurm_job_id) WHERE slurm_job_id != '';
)sql";

// The job columns after `id`, in the order bind_job() binds and read_job() reads them.
constexpr std::array<std::string_view, 38> job_columns = {"name",
                                                          "user",
                                                          "state",
                                                          "command",
                                                          "shell",
                                                          "search_text",
                                                          "project",
                                                          "snapshot",
                                                          "gpus_requested",
                                                          "gpu_ids_requested",
                                                          "gpus",
                                                          "job_group",
                                                          "priority",
                                                          "after_ids",
                                                          "env",
                                                          "time_limit_s",
                                                          "exit_code",
                                                          "signal",
                                                          "reason",
                                                          "submitted_at",
                                                          "started_at",
                                                          "ended_at",
                                                          "output_bytes",
                                                          "sync_files",
                                                          "sync_uploaded_files",
                                                          "sync_uploaded_bytes",
                                                          "git_commit",
                                                          "git_branch",
                                                          "git_dirty",
                                                          "git_diff",
                                                          "restarted_from",
                                                          "supervisor_pid",
                                                          "supervisor_start_ticks",
                                                          "waiting_for",
                                                          "nvml_checked",
                                                          "executor",
                                                          "slurm_job_id",
                                                          "nodes"};

struct JobSql {
    std::string select;  // "SELECT id, name, ... FROM jobs"
    std::string insert;  // binds ?1..?35
    std::string update;  // binds ?1..?35, id as ?36
};

const JobSql& job_sql() {
    static const JobSql sql = [] {
        JobSql built;
        std::string names;
        std::string values;
        std::string assignments;
        for (std::size_t i = 0; i < job_columns.size(); ++i) {
            const std::string number = std::to_string(i + 1);
            if (i > 0) {
                names += ", ";
                values += ", ";
                assignments += ", ";
            }
            names += job_columns[i];
            values += "?" + number;
            assignments += std::string(job_columns[i]) + " = ?" + number;
        }
        built.select = "SELECT id, " + names + " FROM jobs";
        built.insert = "INSERT INTO jobs (" + names + ") VALUES (" + values + ")";
        built.update = "UPDATE jobs SET " + assignments + " WHERE id = ?" + std::to_string(job_columns.size() + 1);
        return built;
    }();
    return sql;
}

// ---------------------------------------------------------------------------------------------
// JSON text columns.

std::string strings_json(const std::vector<std::string>& values) {
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_array();
    for (const auto& value : values) writer.string(value);
    writer.end_array();
    return out;
}

template <class Integer>
std::string integers_json(const std::vector<Integer>& values) {
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_array();
    for (auto value : values) writer.integer(value);
    writer.end_array();
    return out;
}

std::string env_json(const std::map<std::string, std::string>& env) {
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    for (const auto& [name, value] : env) writer.field(name, value);
    writer.end_object();
    return out;
}

const boost::json::array* parse_array(std::string_view text, boost::json::value& holder) {
    boost::system::error_code error;
    holder = boost::json::parse(text, error);
    return error ? nullptr : holder.if_array();
}

bool parse_strings(std::string_view text, std::vector<std::string>& out) {
    boost::json::value holder;
    const auto* array = parse_array(text, holder);
    if (array == nullptr) return false;
    out.clear();
    out.reserve(array->size());
    for (const auto& item : *array) {
        if (!item.is_string()) return false;
        out.emplace_back(item.get_string());
    }
    return true;
}

template <class Integer>
bool parse_integers(std::string_view text, std::vector<Integer>& out) {
    boost::json::value holder;
    const auto* array = parse_array(text, holder);
    if (array == nullptr) return false;
    out.clear();
    out.reserve(array->size());
    for (const auto& item : *array) {
        if (!item.is_int64()) return false;
        out.push_back(static_cast<Integer>(item.get_int64()));
    }
    return true;
}

bool parse_env(std::string_view text, std::map<std::string, std::string>& out) {
    boost::system::error_code error;
    boost::json::value holder = boost::json::parse(text, error);
    const auto* object = error ? nullptr : holder.if_object();
    if (object == nullptr) return false;
    out.clear();
    for (const auto& [name, value] : *object) {
        if (!value.is_string()) return false;
        out.emplace(std::string(name), std::string(value.get_string()));
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Rows.

std::string search_text(const Job& job) {
    if (!job.shell.empty()) return job.shell;
    std::string text;
    for (const auto& argument : job.command) {
        if (!text.empty()) text += ' ';
        text += argument;
    }
    return text;
}

template <class Value>
void bind_optional(core::Statement& statement, int index, const std::optional<Value>& value) {
    if (value)
        statement.bind(index, *value);
    else
        statement.bind_null(index);
}

void bind_optional_integer(core::Statement& statement, int index, std::optional<std::int64_t> value) {
    bind_optional(statement, index, value);
}

std::optional<WaitReason> parse_wait_reason(std::string_view name) {
    for (auto reason : {WaitReason::none, WaitReason::gpu, WaitReason::dependency, WaitReason::group_limit,
                        WaitReason::slurm, WaitReason::submit_retry})
        if (wait_reason_name(reason) == name) return reason;
    return std::nullopt;
}

}  // namespace

std::string_view schema() { return schema_v1; }
std::string_view migration_to_v2() { return migrate_v2; }
const std::string& select_jobs() { return job_sql().select; }
const std::string& insert_job() { return job_sql().insert; }
const std::string& update_job() { return job_sql().update; }
int update_id_parameter() { return static_cast<int>(job_columns.size()) + 1; }

std::string ids_json(const std::vector<JobId>& ids) { return integers_json(ids); }

core::Error bad_column(JobId id, std::string_view column) {
    return core::Error::invalid("the job store is damaged: job " + std::to_string(id) + " has an unreadable " +
                                std::string(column) + " column");
}

void bind_job(core::Statement& statement, const Job& job) {
    int index = 0;
    statement.bind(++index, job.name);
    statement.bind(++index, job.user);
    statement.bind(++index, state_name(job.state));
    statement.bind(++index, strings_json(job.command));
    statement.bind(++index, job.shell);
    statement.bind(++index, search_text(job));
    statement.bind(++index, job.project);
    statement.bind(++index, job.snapshot);
    statement.bind(++index, job.gpus_requested);
    statement.bind(++index, integers_json(job.gpu_ids_requested));
    statement.bind(++index, integers_json(job.gpus));
    statement.bind(++index, job.group);
    statement.bind(++index, job.priority);
    statement.bind(++index, integers_json(job.after));
    statement.bind(++index, env_json(job.env));
    bind_optional(statement, ++index, job.time_limit_s);
    bind_optional(statement, ++index, job.exit_code);
    bind_optional(statement, ++index, job.signal);
    statement.bind(++index, job.reason);
    statement.bind(++index, job.submitted_at);
    bind_optional(statement, ++index, job.started_at);
    bind_optional(statement, ++index, job.ended_at);
    statement.bind(++index, job.output_bytes);
    bind_optional_integer(statement, ++index, job.sync ? std::optional(job.sync->files) : std::nullopt);
    bind_optional_integer(statement, ++index, job.sync ? std::optional(job.sync->uploaded_files) : std::nullopt);
    bind_optional_integer(statement, ++index, job.sync ? std::optional(job.sync->uploaded_bytes) : std::nullopt);
    if (job.git) {
        statement.bind(++index, job.git->commit);
        statement.bind(++index, job.git->branch);
        statement.bind(++index, job.git->dirty ? 1 : 0);
        statement.bind(++index, job.git->diff);
    } else {
        for (int i = 0; i < 4; ++i) statement.bind_null(++index);
    }
    bind_optional(statement, ++index, job.restarted_from);
    if (job.process) {
        statement.bind(++index, job.process->supervisor_pid);
        // The 64-bit tick count is kept bit for bit in SQLite's signed integer.
        statement.bind(++index, static_cast<std::int64_t>(job.process->supervisor_start_ticks));
    } else {
        statement.bind_null(++index);
        statement.bind_null(++index);
    }
    statement.bind(++index, wait_reason_name(job.waiting_for));
    statement.bind(++index, job.nvml_checked ? 1 : 0);
    statement.bind(++index, job.executor);
    statement.bind(++index, job.slurm_id);
    statement.bind(++index, job.nodes);
}

core::Result<Job> read_job(const core::Statement& row) {
    Job job;
    int index = 0;
    job.id = row.column_int64(index);
    auto text = [&](int column) { return row.column_text(column); };
    auto optional_int64 = [&](int column) {
        return row.column_is_null(column) ? std::nullopt : std::optional(row.column_int64(column));
    };
    auto optional_int = [&](int column) {
        return row.column_is_null(column) ? std::nullopt : std::optional(static_cast<int>(row.column_int64(column)));
    };
    auto optional_double = [&](int column) {
        return row.column_is_null(column) ? std::nullopt : std::optional(row.column_double(column));
    };

    job.name = text(++index);
    job.user = text(++index);
    auto state = parse_state(text(++index));
    if (!state) return bad_column(job.id, "state");
    job.state = *state;
    if (!parse_strings(text(++index), job.command)) return bad_column(job.id, "command");
    job.shell = text(++index);
    ++index;  // search_text: derived from the command
    job.project = text(++index);
    job.snapshot = text(++index);
    job.gpus_requested = static_cast<int>(row.column_int64(++index));
    if (!parse_integers(text(++index), job.gpu_ids_requested)) return bad_column(job.id, "gpu_ids_requested");
    if (!parse_integers(text(++index), job.gpus)) return bad_column(job.id, "gpus");
    job.group = text(++index);
    job.priority = static_cast<int>(row.column_int64(++index));
    if (!parse_integers(text(++index), job.after)) return bad_column(job.id, "after_ids");
    if (!parse_env(text(++index), job.env)) return bad_column(job.id, "env");
    job.time_limit_s = optional_int64(++index);
    job.exit_code = optional_int(++index);
    job.signal = optional_int(++index);
    job.reason = text(++index);
    job.submitted_at = row.column_double(++index);
    job.started_at = optional_double(++index);
    job.ended_at = optional_double(++index);
    job.output_bytes = row.column_int64(++index);
    if (!row.column_is_null(++index)) {
        job.sync = SyncStats{row.column_int64(index), row.column_int64(index + 1), row.column_int64(index + 2)};
    }
    index += 2;
    if (!row.column_is_null(index + 3)) {  // git_dirty is NULL exactly when there is no git state
        job.git = GitState{text(index + 1), text(index + 2), row.column_int64(index + 3) != 0, text(index + 4)};
    }
    index += 4;
    job.restarted_from = optional_int64(++index);
    if (!row.column_is_null(++index)) {
        job.process = ProcessRecord{static_cast<std::int32_t>(row.column_int64(index)),
                                    static_cast<std::uint64_t>(row.column_int64(index + 1))};
    }
    ++index;
    auto waiting = parse_wait_reason(text(++index));
    if (!waiting) return bad_column(job.id, "waiting_for");
    job.waiting_for = *waiting;
    job.nvml_checked = row.column_int64(++index) != 0;
    job.executor = text(++index);
    job.slurm_id = text(++index);
    job.nodes = text(++index);
    return job;
}

}  // namespace ailab::jobs::rows
