// The job store on SQLite (see store.hpp).
//
// Schema version 1 (PRAGMA user_version): one row per job in `jobs`, one per snapshot in
// `snapshots`. Lists and maps (command, GPU ids, after, env) are JSON text columns; `search_text`
// holds the command as one line (argv joined by spaces, or the shell text) for the `q` filter.
// The id is an AUTOINCREMENT rowid, so ids only grow and are never reused, even after a
// rollback. Indexes: (state, id) for the state filter and active(), (user, id) for the user filter;
// the list order is the rowid itself. A column that does not parse (a file edited by hand) is an
// error naming the job and the column, never a crash.

#include "jobs/store.hpp"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string_view>

#include "core/json_writer.hpp"

namespace ailab::jobs {
namespace {

constexpr std::int64_t schema_version = 1;

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

// The job columns after `id`, in the order bind_job() binds and read_job() reads them.
constexpr std::array<std::string_view, 35> job_columns = {"name",
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
                                                          "nvml_checked"};

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
}

std::optional<WaitReason> parse_wait_reason(std::string_view name) {
    for (auto reason : {WaitReason::none, WaitReason::gpu, WaitReason::dependency, WaitReason::group_limit})
        if (wait_reason_name(reason) == name) return reason;
    return std::nullopt;
}

core::Error bad_column(JobId id, std::string_view column) {
    return core::Error::invalid("the job store is damaged: job " + std::to_string(id) + " has an unreadable " +
                                std::string(column) + " column");
}

// Reads the current row of a statement made from job_sql().select.
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
    return job;
}

// Steps `statement` to the end, appending every row as a job.
core::Status read_jobs(core::Statement& statement, std::vector<Job>& jobs) {
    for (;;) {
        auto step = statement.step();
        if (!step) return step.error();
        if (*step == core::Step::done) return {};
        auto job = read_job(statement);
        if (!job) return job.error();
        jobs.push_back(std::move(*job));
    }
}

// "%", "_" and "\" are literal in the `q` filter.
std::string like_pattern(std::string_view text) {
    std::string pattern = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') pattern += '\\';
        pattern += c;
    }
    pattern += '%';
    return pattern;
}

core::Error store_error(const core::Error& cause, std::string_view what) { return core::Error::from(cause, what); }

}  // namespace

// ---------------------------------------------------------------------------------------------

JobStore::JobStore(core::Database database) : database_(std::move(database)) {}

core::Result<JobStore> JobStore::open(const std::filesystem::path& file) {
    const std::string what = "cannot open the job store " + file.string();
    auto database = core::Database::open(file);
    if (!database) return core::Error::from(database.error(), what);

    std::int64_t found_version = 0;
    auto migrate = [&]() -> core::Status {
        auto version = database->prepare("PRAGMA user_version");
        if (!version) return version.error();
        auto step = version->step();
        if (!step) return step.error();
        found_version = *step == core::Step::row ? version->column_int64(0) : 0;
        if (found_version > schema_version) return {};  // refused below, outside the transaction
        if (found_version == 0) {
            if (auto created = database->exec(schema_v1); !created) return created;
            if (auto set = database->exec("PRAGMA user_version = " + std::to_string(schema_version)); !set) return set;
        }
        // Later versions migrate here, one step at a time: if (found_version < 2) ...
        return {};
    };
    // Read and created in one transaction, so two servers starting on one file create it once.
    if (auto done = database->transaction(migrate); !done) return core::Error::from(done.error(), what);
    if (found_version > schema_version)
        return core::Error{boost::system::errc::make_error_code(boost::system::errc::not_supported),
                           what + ": its schema version is " + std::to_string(found_version) +
                               ", newer than this ailab knows (" + std::to_string(schema_version) +
                               "); run a newer ailab or use another queue folder"};
    return JobStore(std::move(*database));
}

core::Status JobStore::insert(Job& job) {
    std::int64_t id = 0;
    auto done = database_.transaction([&]() -> core::Status {
        auto statement = database_.prepare(job_sql().insert);
        if (!statement) return statement.error();
        bind_job(*statement, job);
        if (auto ran = statement->run(); !ran) return ran;
        id = database_.last_insert_rowid();
        return {};
    });
    if (!done) return store_error(done.error(), "cannot store the job");
    job.id = id;
    return {};
}

core::Status JobStore::update(const Job& job) { return update_all({&job}); }

core::Status JobStore::update_all(const std::vector<const Job*>& jobs) {
    if (jobs.empty()) return {};
    auto done = database_.transaction([&]() -> core::Status {
        auto statement = database_.prepare(job_sql().update);
        if (!statement) return statement.error();
        for (const Job* job : jobs) {
            bind_job(*statement, *job);
            statement->bind(static_cast<int>(job_columns.size()) + 1, job->id);
            if (auto ran = statement->run(); !ran) return ran;
            if (database_.changes() != 1)
                return core::Error{boost::system::errc::make_error_code(boost::system::errc::no_such_file_or_directory),
                                   "no job " + std::to_string(job->id)};
        }
        return {};
    });
    if (!done) return store_error(done.error(), jobs.size() == 1 ? "cannot update the job" : "cannot update the jobs");
    return {};
}

core::Result<std::optional<Job>> JobStore::get(JobId id) {
    auto statement = database_.prepare(job_sql().select + " WHERE id = ?1");
    if (!statement) return store_error(statement.error(), "cannot read the job");
    statement->bind(1, id);
    std::vector<Job> jobs;
    if (auto read = read_jobs(*statement, jobs); !read) return store_error(read.error(), "cannot read the job");
    if (jobs.empty()) return std::optional<Job>();
    return std::optional<Job>(std::move(jobs.front()));
}

core::Result<std::vector<Job>> JobStore::list(const JobFilter& filter) {
    std::vector<Job> jobs;
    if (filter.limit <= 0) return jobs;
    // Every parameter is numbered, because the text pattern is used twice.
    std::string sql = job_sql().select + " WHERE 1";
    int parameters = 0;
    auto next = [&] {
        std::string name = std::to_string(++parameters);
        name.insert(name.begin(), '?');
        return name;
    };
    if (!filter.states.empty()) {
        sql += " AND state IN (";
        for (std::size_t i = 0; i < filter.states.size(); ++i) sql += (i == 0 ? "" : ", ") + next();
        sql += ")";
    }
    if (!filter.user.empty()) sql += " AND user = " + next();
    if (!filter.text.empty()) {
        const std::string pattern = next();
        sql += " AND (name LIKE " + pattern + " ESCAPE '\\' OR search_text LIKE " + pattern + " ESCAPE '\\')";
    }
    if (filter.before) sql += " AND id < " + next();
    sql += " ORDER BY id DESC LIMIT " + next();

    auto statement = database_.prepare(sql);
    if (!statement) return store_error(statement.error(), "cannot list jobs");
    int parameter = 0;
    for (JobState state : filter.states) statement->bind(++parameter, state_name(state));
    if (!filter.user.empty()) statement->bind(++parameter, filter.user);
    if (!filter.text.empty()) statement->bind(++parameter, like_pattern(filter.text));
    if (filter.before) statement->bind(++parameter, *filter.before);
    statement->bind(++parameter, filter.limit);
    jobs.reserve(static_cast<std::size_t>(std::min(filter.limit, 1000)));
    if (auto read = read_jobs(*statement, jobs); !read) return store_error(read.error(), "cannot list jobs");
    return jobs;
}

core::Result<std::vector<Job>> JobStore::active() {
    auto statement = database_.prepare(job_sql().select + " WHERE state IN ('queued', 'running') ORDER BY id");
    if (!statement) return store_error(statement.error(), "cannot read the active jobs");
    std::vector<Job> jobs;
    if (auto read = read_jobs(*statement, jobs); !read) return store_error(read.error(), "cannot read the active jobs");
    return jobs;
}

core::Result<FinishedStates> JobStore::finished_states(const std::vector<JobId>& ids) {
    FinishedStates states;
    if (ids.empty()) return states;
    auto statement = database_.prepare(
        "SELECT id, state FROM jobs WHERE id IN (SELECT value FROM json_each(?1)) "
        "AND state IN ('done', 'failed', 'cancelled')");
    if (!statement) return store_error(statement.error(), "cannot read the dependencies");
    statement->bind(1, integers_json(ids));
    for (;;) {
        auto step = statement->step();
        if (!step) return store_error(step.error(), "cannot read the dependencies");
        if (*step == core::Step::done) break;
        const JobId id = statement->column_int64(0);
        auto state = parse_state(statement->column_text(1));
        if (!state) return bad_column(id, "state");
        states.emplace(id, *state);
    }
    return states;
}

core::Result<std::map<JobState, std::int64_t>> JobStore::counts() {
    auto statement = database_.prepare("SELECT state, count(*) FROM jobs GROUP BY state");
    if (!statement) return store_error(statement.error(), "cannot count jobs");
    std::map<JobState, std::int64_t> counts;
    for (;;) {
        auto step = statement->step();
        if (!step) return store_error(step.error(), "cannot count jobs");
        if (*step == core::Step::done) break;
        auto state = parse_state(statement->column_text(0));
        if (!state) return core::Error::invalid("the job store is damaged: unknown state " + statement->column_text(0));
        counts[*state] = statement->column_int64(1);
    }
    return counts;
}

core::Status JobStore::insert_snapshot(const SnapshotRecord& snapshot) {
    auto done = database_.transaction([&]() -> core::Status {
        auto statement = database_.prepare(
            "INSERT OR IGNORE INTO snapshots (id, created_at, files, bytes, manifest, git_commit, git_branch, "
            "git_dirty, git_diff) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        if (!statement) return statement.error();
        statement->bind(1, snapshot.id).bind(2, snapshot.created_at).bind(3, snapshot.files).bind(4, snapshot.bytes);
        statement->bind(5, snapshot.manifest_json);
        if (snapshot.git) {
            statement->bind(6, snapshot.git->commit).bind(7, snapshot.git->branch);
            statement->bind(8, snapshot.git->dirty ? 1 : 0).bind(9, snapshot.git->diff);
        } else {
            for (int index = 6; index <= 9; ++index) statement->bind_null(index);
        }
        return statement->run();
    });
    if (!done) return store_error(done.error(), "cannot store the snapshot " + snapshot.id);
    return {};
}

core::Result<std::optional<SnapshotRecord>> JobStore::snapshot(const std::string& id) {
    auto statement = database_.prepare(
        "SELECT id, created_at, files, bytes, manifest, git_commit, git_branch, git_dirty, git_diff "
        "FROM snapshots WHERE id = ?1");
    if (!statement) return store_error(statement.error(), "cannot read the snapshot " + id);
    statement->bind(1, id);
    auto step = statement->step();
    if (!step) return store_error(step.error(), "cannot read the snapshot " + id);
    if (*step == core::Step::done) return std::optional<SnapshotRecord>();
    SnapshotRecord record;
    record.id = statement->column_text(0);
    record.created_at = statement->column_double(1);
    record.files = statement->column_int64(2);
    record.bytes = statement->column_int64(3);
    record.manifest_json = statement->column_text(4);
    if (!statement->column_is_null(7))
        record.git = GitState{statement->column_text(5), statement->column_text(6), statement->column_int64(7) != 0,
                              statement->column_text(8)};
    return std::optional<SnapshotRecord>(std::move(record));
}

}  // namespace ailab::jobs
