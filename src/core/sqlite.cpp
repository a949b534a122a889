#include "core/sqlite.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace ailab::core {
namespace {

class SqliteCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sqlite"; }
    std::string message(int value) const override { return sqlite3_errstr(value); }
};

// "<what>: <SQLite's message>", coded with the extended result code.
Error sqlite_error(sqlite3* connection, int result, std::string_view what) {
    if (connection == nullptr)
        return Error{boost::system::error_code(result, sqlite_category()),
                     std::string(what) + ": " + sqlite3_errstr(result)};
    return Error{boost::system::error_code(sqlite3_extended_errcode(connection), sqlite_category()),
                 std::string(what) + ": " + sqlite3_errmsg(connection)};
}

std::string quoted_sql(std::string_view sql) {
    constexpr std::size_t shown = 80;
    std::string text(sql.substr(0, shown));
    if (sql.size() > shown) text += "...";
    return "\"" + text + "\"";
}

}  // namespace

const boost::system::error_category& sqlite_category() {
    static const SqliteCategory category;
    return category;
}

// ---------------------------------------------------------------------------------------------
// Statement

void Statement::Finalizer::operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }

Result<Statement> Statement::prepare(Database& database, std::string_view sql) {
    sqlite3* connection = database.handle();
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int result = sqlite3_prepare_v3(connection, sql.data(), static_cast<int>(sql.size()), 0, &raw, &tail);
    Statement statement(raw);  // owns raw from here on, whatever happens next
    if (result != SQLITE_OK) return sqlite_error(connection, result, "cannot prepare " + quoted_sql(sql));
    if (raw == nullptr) throw std::logic_error("no SQL statement in " + quoted_sql(sql));
    std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos)
        throw std::logic_error("more than one SQL statement given to prepare: " + quoted_sql(sql));
    return statement;
}

Statement::Statement(Statement&& other) noexcept = default;
Statement& Statement::operator=(Statement&& other) noexcept = default;
Statement::~Statement() = default;

Error Statement::error(int result, std::string_view what) const {
    return sqlite_error(sqlite3_db_handle(statement_.get()), result, std::string(what) + " " + quoted_sql(sql()));
}

void Statement::check_bind(int result, int index) const {
    if (result == SQLITE_OK) return;
    throw std::logic_error("cannot bind parameter " + std::to_string(index) + " of " + quoted_sql(sql()) + ": " +
                           sqlite3_errstr(result));
}

void Statement::check_column(int index) const {
    if (index < 0 || index >= sqlite3_data_count(statement_.get()))
        throw std::logic_error("no column " + std::to_string(index) + " in the current row of " + quoted_sql(sql()));
}

Statement& Statement::bind(int index, std::int64_t value) {
    check_bind(sqlite3_bind_int64(statement_.get(), index, value), index);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    check_bind(sqlite3_bind_double(statement_.get(), index, value), index);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    check_bind(sqlite3_bind_text64(statement_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
               index);
    return *this;
}

Statement& Statement::bind_null(int index) {
    check_bind(sqlite3_bind_null(statement_.get(), index), index);
    return *this;
}

Statement& Statement::bind_blob(int index, const void* data, std::size_t size) {
    check_bind(sqlite3_bind_blob64(statement_.get(), index, data, size, SQLITE_TRANSIENT), index);
    return *this;
}

Result<Step> Statement::step() {
    int result = sqlite3_step(statement_.get());
    if (result == SQLITE_ROW) return Step::row;
    if (result == SQLITE_DONE) return Step::done;
    return error(result, "cannot run");
}

Status Statement::run() {
    Result<Step> result = Step::row;
    while (result && *result == Step::row) result = step();
    reset();
    if (!result) return result.error();
    return {};
}

void Statement::reset() {
    // sqlite3_reset repeats the last step's error, which step() has reported already.
    sqlite3_reset(statement_.get());
}

void Statement::clear_bindings() { sqlite3_clear_bindings(statement_.get()); }

int Statement::column_count() const { return sqlite3_column_count(statement_.get()); }

bool Statement::column_is_null(int index) const {
    check_column(index);
    return sqlite3_column_type(statement_.get(), index) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int index) const {
    check_column(index);
    return sqlite3_column_int64(statement_.get(), index);
}

double Statement::column_double(int index) const {
    check_column(index);
    return sqlite3_column_double(statement_.get(), index);
}

std::string Statement::column_text(int index) const {
    check_column(index);
    const auto* text = sqlite3_column_text(statement_.get(), index);
    int size = sqlite3_column_bytes(statement_.get(), index);
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::string_view Statement::sql() const {
    const char* text = sqlite3_sql(statement_.get());
    return text != nullptr ? std::string_view(text) : std::string_view();
}

// ---------------------------------------------------------------------------------------------
// Database

void Database::Closer::operator()(sqlite3* connection) const { sqlite3_close_v2(connection); }

Result<Database> Database::open(const std::filesystem::path& file, const DatabaseOptions& options) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
    if (options.creation == DatabaseOptions::Creation::create_if_missing) flags |= SQLITE_OPEN_CREATE;
    sqlite3* raw = nullptr;
    int result = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
    Database database(raw, file);  // owns raw even when the open failed (SQLite asks for a close)
    std::string what = "cannot open the database " + file.filename().string();
    if (result != SQLITE_OK) return sqlite_error(raw, result, what);
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
    {
        // journal_mode answers with a row, so it goes through a statement to check what it says.
        auto journal = database.prepare("PRAGMA journal_mode=WAL");
        if (!journal) return Error::from(journal.error(), what);
        auto row = journal->step();
        if (!row) return Error::from(row.error(), what);
        if (*row != Step::row || journal->column_text(0) != "wal")
            return Error{boost::system::error_code(SQLITE_ERROR, sqlite_category()),
                         what + ": the journal cannot be switched to WAL"};
    }
    if (auto keys = database.exec("PRAGMA foreign_keys=ON"); !keys) return Error::from(keys.error(), what);
    return database;
}

Status Database::exec(std::string_view sql) {
    std::string text(sql);
    char* message = nullptr;
    int result = sqlite3_exec(connection_.get(), text.c_str(), nullptr, nullptr, &message);
    if (result == SQLITE_OK) return {};
    std::string detail = message != nullptr ? message : sqlite3_errstr(result);
    sqlite3_free(message);
    return Error{boost::system::error_code(sqlite3_extended_errcode(connection_.get()), sqlite_category()),
                 "cannot run " + quoted_sql(sql) + ": " + detail};
}

Result<Statement*> Database::cached(std::string_view sql) {
    auto found = statements_.find(sql);
    if (found == statements_.end()) {
        auto prepared = prepare(sql);
        if (!prepared) return prepared.error();
        found = statements_.emplace(std::string(sql), std::move(*prepared)).first;
    } else {
        found->second.reset();
        found->second.clear_bindings();
    }
    return &found->second;
}

Status Database::exec_cached(std::string_view sql) {
    auto statement = cached(sql);
    if (!statement) return statement.error();
    return (*statement)->run();
}

Status Database::begin() {
    if (sqlite3_get_autocommit(connection_.get()) == 0) throw std::logic_error("transactions do not nest");
    return exec_cached("BEGIN IMMEDIATE");
}

Status Database::commit() { return exec_cached("COMMIT"); }

void Database::rollback() noexcept {
    // After some errors SQLite has rolled back already; then there is nothing to do.
    if (sqlite3_get_autocommit(connection_.get()) == 0)
        sqlite3_exec(connection_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(connection_.get()); }

std::int64_t Database::changes() const { return sqlite3_changes64(connection_.get()); }

}  // namespace ailab::core
