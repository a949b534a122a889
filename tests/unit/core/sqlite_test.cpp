// The SQLite wrapper on a real temporary file: WAL, foreign keys, checked prepare/bind/step,
// transactions that commit or roll back, errors as values and bugs as exceptions.
#include "core/sqlite.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

using namespace ailab::core;
namespace fs = std::filesystem;

namespace {

class TempDatabase : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "ailab-sqlite-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        folder_ = pattern;
        auto opened = Database::open(file());
        ASSERT_TRUE(opened) << opened.error().message;
        database_.emplace(std::move(*opened));
        ASSERT_TRUE(
            db().exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL);"
                      "CREATE TABLE tokens (hash TEXT PRIMARY KEY, user INTEGER NOT NULL REFERENCES users(id));"));
    }
    void TearDown() override {
        database_.reset();
        std::error_code error;
        fs::remove_all(folder_, error);
    }
    fs::path file() const { return folder_ / "test.db"; }
    Database& db() { return *database_; }
    std::int64_t count(const char* table) {
        auto statement = db().prepare(std::string("SELECT count(*) FROM ") + table).value();
        EXPECT_EQ(statement.step().value(), Step::row);
        return statement.column_int64(0);
    }

    fs::path folder_;
    std::optional<Database> database_;
};

TEST_F(TempDatabase, OpensInWalModeWithForeignKeys) {
    auto journal = db().prepare("PRAGMA journal_mode").value();
    ASSERT_EQ(journal.step().value(), Step::row);
    EXPECT_EQ(journal.column_text(0), "wal");
    auto keys = db().prepare("PRAGMA foreign_keys").value();
    ASSERT_EQ(keys.step().value(), Step::row);
    EXPECT_EQ(keys.column_int64(0), 1);
    auto timeout = db().prepare("PRAGMA busy_timeout").value();
    ASSERT_EQ(timeout.step().value(), Step::row);
    EXPECT_EQ(timeout.column_int64(0), 5000);
    // Enforced: a token of a user that does not exist is refused.
    auto orphan = db().exec("INSERT INTO tokens VALUES ('h', 42)");
    ASSERT_FALSE(orphan);
    EXPECT_EQ(orphan.error().code.value(), SQLITE_CONSTRAINT_FOREIGNKEY);
    EXPECT_EQ(&orphan.error().code.category(), &sqlite_category());
    EXPECT_NE(orphan.error().message.find("FOREIGN KEY"), std::string::npos) << orphan.error().message;
}

TEST_F(TempDatabase, BindsStepsAndReadsTypedColumns) {
    auto insert = db().prepare("INSERT INTO users (name, score) VALUES (?, ?)").value();
    ASSERT_TRUE(insert.bind(1, "alice").bind(2, 1.5).run());
    EXPECT_EQ(db().last_insert_rowid(), 1);
    ASSERT_TRUE(insert.bind(1, std::string("bob")).bind_null(2).run());  // reused after run() reset it
    EXPECT_EQ(db().changes(), 1);
    std::string with_nul("c\0d", 3);
    ASSERT_TRUE(insert.bind(1, std::string_view(with_nul)).bind(2, 7).run());

    auto select = db().prepare("SELECT id, name, score FROM users WHERE id >= ? ORDER BY id").value();
    select.bind(1, std::int64_t{1});
    ASSERT_EQ(select.column_count(), 3);
    ASSERT_EQ(select.step().value(), Step::row);
    EXPECT_EQ(select.column_int64(0), 1);
    EXPECT_EQ(select.column_text(1), "alice");
    EXPECT_DOUBLE_EQ(select.column_double(2), 1.5);
    ASSERT_EQ(select.step().value(), Step::row);
    EXPECT_EQ(select.column_text(1), "bob");
    EXPECT_TRUE(select.column_is_null(2));
    ASSERT_EQ(select.step().value(), Step::row);
    EXPECT_EQ(select.column_text(1), with_nul);  // the length is kept, not cut at the NUL
    EXPECT_EQ(select.step().value(), Step::done);
    select.reset();
    ASSERT_EQ(select.step().value(), Step::row);  // again from the start, bindings kept
    EXPECT_EQ(select.column_int64(0), 1);
    EXPECT_EQ(select.sql(), "SELECT id, name, score FROM users WHERE id >= ? ORDER BY id");
}

TEST_F(TempDatabase, FailuresAreErrorsAndBugsAreExceptions) {
    auto bad_sql = db().prepare("SELEKT 1");
    ASSERT_FALSE(bad_sql);
    EXPECT_EQ(bad_sql.error().code.value(), SQLITE_ERROR);
    EXPECT_NE(bad_sql.error().message.find("SELEKT"), std::string::npos) << bad_sql.error().message;
    auto missing_table = db().prepare("SELECT * FROM nowhere");
    ASSERT_FALSE(missing_table);
    EXPECT_NE(missing_table.error().message.find("no such table"), std::string::npos);

    auto insert = db().prepare("INSERT INTO users (name) VALUES (?)").value();
    ASSERT_TRUE(insert.bind(1, "alice").run());
    auto duplicate = insert.run();  // UNIQUE constraint
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error().code.value(), SQLITE_CONSTRAINT_UNIQUE);
    EXPECT_TRUE(insert.bind(1, "carol").run());  // usable again after the failure

    EXPECT_THROW(insert.bind(2, "x"), std::logic_error);  // no parameter 2
    EXPECT_THROW(insert.bind(0, "x"), std::logic_error);
    EXPECT_THROW((void)db().prepare("SELECT 1; SELECT 2"), std::logic_error);
    EXPECT_THROW((void)db().prepare("  -- nothing"), std::logic_error);
    auto select = db().prepare("SELECT name FROM users").value();
    EXPECT_THROW((void)select.column_text(0), std::logic_error);  // no row yet
    ASSERT_EQ(select.step().value(), Step::row);
    EXPECT_THROW((void)select.column_text(1), std::logic_error);
    EXPECT_NO_THROW((void)db().prepare("SELECT 1;  ").value());  // a trailing ';' is fine
}

TEST_F(TempDatabase, TransactionsCommitOrRollBack) {
    auto insert = db().prepare("INSERT INTO users (name) VALUES (?)").value();
    ASSERT_TRUE(db().transaction([&]() -> Status {
        if (auto done = insert.bind(1, "a").run(); !done) return done;
        return insert.bind(1, "b").run();
    }));
    EXPECT_EQ(count("users"), 2);

    // An error returned from inside rolls everything back and comes out.
    auto failed = db().transaction([&]() -> Status {
        if (auto done = insert.bind(1, "c").run(); !done) return done;
        return insert.bind(1, "a").run();  // duplicate
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code.value(), SQLITE_CONSTRAINT_UNIQUE);
    EXPECT_EQ(count("users"), 2);  // "c" is gone too

    // An exception rolls back and is rethrown.
    EXPECT_THROW((void)db().transaction([&]() -> Status {
        (void)insert.bind(1, "d").run();
        throw std::runtime_error("boom");
    }),
                 std::runtime_error);
    EXPECT_EQ(count("users"), 2);

    // Transactions do not nest; the outer one still rolls back.
    EXPECT_THROW((void)db().transaction([&]() -> Status { return db().transaction([] { return Status{}; }); }),
                 std::logic_error);
    EXPECT_TRUE(db().transaction([] { return Status{}; }));  // and the connection is usable again
}

TEST_F(TempDatabase, CachedStatementsArePreparedOnceAndComeBackCleared) {
    auto first = db().cached("INSERT INTO users (name, score) VALUES (?1, ?2)");
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE((*first)->bind(1, "a").bind(2, 1.5).run());
    auto again = db().cached("INSERT INTO users (name, score) VALUES (?1, ?2)");
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *first);  // the same statement, not a new one
    // Its bindings were cleared: a forgotten one is NULL, never the last call's value.
    ASSERT_TRUE((*again)->bind(1, "b").run());
    auto score = db().prepare("SELECT score IS NULL FROM users WHERE name = 'b'").value();
    ASSERT_EQ(score.step().value(), Step::row);
    EXPECT_EQ(score.column_int64(0), 1);
    // A failed step leaves it usable; bad SQL is an error and nothing is cached for it.
    EXPECT_FALSE((*again)->bind(1, "a").run());  // duplicate name
    EXPECT_TRUE(db().cached("INSERT INTO users (name, score) VALUES (?1, ?2)").value()->bind(1, "c").run());
    EXPECT_FALSE(db().cached("INSERT INTO nowhere VALUES (1)"));
    EXPECT_FALSE(db().cached("INSERT INTO nowhere VALUES (1)"));
    EXPECT_EQ(count("users"), 3);
    // Transactions (their BEGIN and COMMIT are cached too) still commit and roll back.
    EXPECT_FALSE(db().transaction([&]() -> Status {
        if (auto done = db().cached("INSERT INTO users (name) VALUES (?1)").value()->bind(1, "d").run(); !done)
            return done;
        return Error::invalid("no");
    }));
    EXPECT_TRUE(db().transaction(
        [&]() -> Status { return db().cached("INSERT INTO users (name) VALUES (?1)").value()->bind(1, "e").run(); }));
    EXPECT_EQ(count("users"), 4);
}

TEST_F(TempDatabase, DataSurvivesReopeningAndAStatementMayOutliveItsDatabase) {
    ASSERT_TRUE(db().exec("INSERT INTO users (name) VALUES ('kept')"));
    {
        auto statement = db().prepare("SELECT name FROM users").value();
        database_.reset();  // closed when the statement goes too; nothing leaks or crashes
    }
    auto again = Database::open(file()).value();
    auto select = again.prepare("SELECT name FROM users").value();
    ASSERT_EQ(select.step().value(), Step::row);
    EXPECT_EQ(select.column_text(0), "kept");
}

TEST(Database, OpenFailuresAreErrors) {
    auto missing = Database::open("/nonexistent/ailab/test.db");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code.value() & 0xff, SQLITE_CANTOPEN);
    EXPECT_NE(missing.error().message.find("test.db"), std::string::npos);
    DatabaseOptions options;
    options.creation = DatabaseOptions::Creation::must_exist;
    auto not_created = Database::open(fs::temp_directory_path() / "ailab-sqlite-never-created.db", options);
    EXPECT_FALSE(not_created);
    EXPECT_FALSE(fs::exists(fs::temp_directory_path() / "ailab-sqlite-never-created.db"));
}

}  // namespace
