#pragma once
// An RAII wrapper of SQLite for the server's own state (tokens now, the job store next).
//
//     auto database = core::Database::open(state / "ailab.db").value();   // throws at start-up
//     auto insert = database.prepare("INSERT INTO tokens (hash, user) VALUES (?, ?)").value();
//     insert.bind(1, hash).bind(2, user);
//     if (auto done = insert.run(); !done) log(done.error().message);
//
// Ownership: a Database owns its connection, a Statement its prepared statement; both are
// move-only and release what they own exactly once. A Statement may outlive its Database (SQLite
// then closes the connection when the last statement goes), but must not be used after it.
//
// Errors: what the database or the disk can cause (busy, constraint, I/O, a failed prepare) is a
// core::Error whose code is in sqlite_category() (the SQLite result code) and whose message
// holds SQLite's own explanation. Bugs throw std::logic_error: a bind or column index out of
// range, more than one statement given to prepare(), a nested transaction().
//
// Threads: the connection is opened in SQLite's serialized mode, so no call corrupts memory,
// but a Statement (and a transaction) is one thread's at a time: callers hold their own mutex.
// sqlite3.h stays out of this header.

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ailab::core {

// The category of SQLite result codes (value: the extended result code, message: sqlite3_errstr).
const boost::system::error_category& sqlite_category();

// What a step found: a row to read, or the end of the statement.
enum class Step { row, done };

class Database;

class Statement {
public:
    // Prepares exactly one statement of `sql`. An error in the SQL is returned (the schema may
    // not be what the caller expected); trailing text after the first statement is a bug (throws).
    static Result<Statement> prepare(Database& database, std::string_view sql);

    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Binds parameter `index` (1-based, as in SQL). Text and blobs are copied. Throws
    // std::logic_error for an index out of range or a statement that is running (reset() first).
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
    Statement& bind_null(int index);
    Statement& bind_blob(int index, const void* data, std::size_t size);

    // One step: a row (read it with the column getters) or done.
    Result<Step> step();
    // Steps to the end, for statements that return no rows; then resets, keeping the bindings.
    Status run();
    // Back to the start so it can run again; the bindings are kept (clear_bindings() drops them).
    void reset();
    void clear_bindings();

    // Columns of the current row, 0-based; an index out of range throws std::logic_error. SQLite
    // converts between types (a NULL reads as 0 or "").
    int column_count() const;
    bool column_is_null(int index) const;
    std::int64_t column_int64(int index) const;
    double column_double(int index) const;
    std::string column_text(int index) const;

    // The SQL it was prepared from.
    std::string_view sql() const;

private:
    struct Finalizer {
        void operator()(sqlite3_stmt* statement) const;
    };
    explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
    void check_bind(int result, int index) const;
    void check_column(int index) const;
    Error error(int result, std::string_view what) const;

    std::unique_ptr<sqlite3_stmt, Finalizer> statement_;
};

struct DatabaseOptions {
    enum class Creation { create_if_missing, must_exist };
    Creation creation = Creation::create_if_missing;
    // How long a call waits for another connection's lock before it fails with SQLITE_BUSY.
    std::chrono::milliseconds busy_timeout{5000};
};

class Database {
public:
    // Opens (or creates) `file` in WAL journal mode, with foreign keys enforced and the busy
    // timeout set.
    static Result<Database> open(const std::filesystem::path& file, const DatabaseOptions& options = {});

    Database(Database&& other) noexcept = default;
    Database& operator=(Database&& other) noexcept = default;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database() = default;

    // Runs SQL without parameters (one or several statements: schema, pragmas).
    Status exec(std::string_view sql);
    Result<Statement> prepare(std::string_view sql) { return Statement::prepare(*this, sql); }
    // The statement for `sql`, prepared on its first use and kept by this connection for the
    // next ones (parsing is most of a small write's user time): reset, its bindings cleared. The
    // pointer stays valid while the Database lives. Not for two threads at once, like the
    // connection's other statements. Meant for writes, which run() to the end: a SELECT stopped
    // before its last row would hold its read snapshot open until the next use.
    Result<Statement*> cached(std::string_view sql);
    // exec() for one statement without parameters or rows (BEGIN, COMMIT, a pragma) through cached().
    Status exec_cached(std::string_view sql);

    // Runs `function` (returning core::Status) inside BEGIN IMMEDIATE ... COMMIT. An error it
    // returns, or an exception it throws, rolls back (the exception is then rethrown); a failed
    // COMMIT rolls back and is returned. Transactions do not nest (a nested call throws).
    template <class Function>
    Status transaction(Function&& function) {
        if (auto begun = begin(); !begun) return begun;
        Status outcome;
        try {
            outcome = std::forward<Function>(function)();
        } catch (...) {
            rollback();
            throw;
        }
        if (!outcome) {
            rollback();
            return outcome;
        }
        if (auto committed = commit(); !committed) {
            rollback();
            return committed;
        }
        return {};
    }

    std::int64_t last_insert_rowid() const;
    // Rows changed by the last INSERT, UPDATE or DELETE.
    std::int64_t changes() const;
    // The raw connection, for what this wrapper does not offer (owned by this object).
    sqlite3* handle() const { return connection_.get(); }
    const std::filesystem::path& file() const { return file_; }

private:
    struct Closer {
        void operator()(sqlite3* connection) const;
    };
    Database(sqlite3* connection, std::filesystem::path file) : connection_(connection), file_(std::move(file)) {}
    Status begin();
    Status commit();
    void rollback() noexcept;

    std::unique_ptr<sqlite3, Closer> connection_;
    std::filesystem::path file_;
    // After connection_, so that they are finalized before it closes.
    std::map<std::string, Statement, std::less<>> statements_;
};

}  // namespace ailab::core
