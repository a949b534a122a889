// The job store on SQLite (see store.hpp; the tables and the row mapping are in job_rows.hpp).

#include "jobs/store.hpp"

#include <string_view>

#include "jobs/job_rows.hpp"

namespace ailab::jobs {
namespace {

// Steps `statement` to the end, appending every row as a job.
core::Status read_jobs(core::Statement& statement, std::vector<Job>& jobs) {
    for (;;) {
        auto step = statement.step();
        if (!step) return step.error();
        if (*step == core::Step::done) return {};
        auto job = rows::read_job(statement);
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
        if (found_version > rows::schema_version) return {};  // refused below, outside the transaction
        if (found_version == rows::schema_version) return {};
        if (found_version == 0) {
            if (auto created = database->exec(rows::schema()); !created) return created;
        }
        // One step at a time, in the same transaction: a file is at one version or the next.
        if (found_version < 2) {
            if (auto migrated = database->exec(rows::migration_to_v2()); !migrated) return migrated;
        }
        return database->exec("PRAGMA user_version = " + std::to_string(rows::schema_version));
    };
    // Read and created in one transaction, so two servers starting on one file create it once.
    if (auto done = database->transaction(migrate); !done) return core::Error::from(done.error(), what);
    if (found_version > rows::schema_version)
        return core::Error{boost::system::errc::make_error_code(boost::system::errc::not_supported),
                           what + ": its schema version is " + std::to_string(found_version) +
                               ", newer than this ailab knows (" + std::to_string(rows::schema_version) +
                               "); run a newer ailab or use another queue folder"};
    return JobStore(std::move(*database));
}

core::Status JobStore::insert_all(std::span<Job> jobs) {
    std::vector<std::int64_t> ids;
    ids.reserve(jobs.size());
    auto done = database_.transaction([&]() -> core::Status {
        auto cached = database_.cached(rows::insert_job());
        if (!cached) return cached.error();
        auto& statement = **cached;
        for (const auto& job : jobs) {
            rows::bind_job(statement, job);
            if (auto ran = statement.run(); !ran) return ran;
            ids.push_back(database_.last_insert_rowid());
        }
        return {};
    });
    if (!done) return store_error(done.error(), jobs.size() == 1 ? "cannot store the job" : "cannot store the jobs");
    for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].id = ids[i];
    return {};
}

core::Status JobStore::update(const Job& job) { return update_all({&job}); }

core::Status JobStore::update_all(const std::vector<const Job*>& jobs, Durability durability) {
    if (jobs.empty()) return {};
    if (durability == Durability::relaxed) {
        if (auto set = database_.exec_cached("PRAGMA synchronous = NORMAL"); !set) return set;
    }
    struct Restore {
        core::Database& database;
        bool active;
        ~Restore() {
            if (active) (void)database.exec_cached("PRAGMA synchronous = FULL");
        }
    } restore{database_, durability == Durability::relaxed};
    auto done = database_.transaction([&]() -> core::Status {
        auto cached = database_.cached(rows::update_job());
        if (!cached) return cached.error();
        auto& statement = **cached;
        for (const Job* job : jobs) {
            rows::bind_job(statement, *job);
            statement.bind(rows::update_id_parameter(), job->id);
            if (auto ran = statement.run(); !ran) return ran;
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
    auto statement = database_.prepare(rows::select_jobs() + " WHERE id = ?1");
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
    std::string sql = rows::select_jobs() + " WHERE 1";
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
    auto statement = database_.prepare(rows::select_jobs() + " WHERE state IN ('queued', 'running') ORDER BY id");
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
    statement->bind(1, rows::ids_json(ids));
    for (;;) {
        auto step = statement->step();
        if (!step) return store_error(step.error(), "cannot read the dependencies");
        if (*step == core::Step::done) break;
        const JobId id = statement->column_int64(0);
        auto state = parse_state(statement->column_text(1));
        if (!state) return rows::bad_column(id, "state");
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
