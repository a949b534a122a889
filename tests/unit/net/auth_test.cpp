// Passwords, tokens (persisted, hashed, expiring, revocable) and the login rate limit.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "net/auth.hpp"

using namespace ailab::net;

namespace {

struct TempFolder {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("ailab-auth-" + std::to_string(getpid()) + "-" + std::to_string(rand()));
    TempFolder() { std::filesystem::create_directories(path); }
    ~TempFolder() { std::filesystem::remove_all(path); }
};

ailab::core::Config config_with(std::string password) {
    ailab::core::Config config;
    config.users["admin"] = std::move(password);
    return config;
}

}  // namespace

TEST(Passwords, HashAndVerify) {
    auto hash = hash_password("correct horse");
    EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
    EXPECT_TRUE(verify_password(hash, "correct horse"));
    EXPECT_FALSE(verify_password(hash, "correct horsE"));
    EXPECT_TRUE(verify_password("plain-text", "plain-text"));
    EXPECT_FALSE(verify_password("plain-text", "plain-tex"));
    EXPECT_FALSE(verify_password("plain-text", ""));
}

TEST(Auth, LoginVerifyLogout) {
    TempFolder folder;
    Auth auth(config_with(hash_password("pw-1234")), folder.path);
    EXPECT_EQ(auth.login("admin", "wrong", "10.0.0.1").status, LoginStatus::bad_credentials);
    EXPECT_EQ(auth.login("nobody", "pw-1234", "10.0.0.1").status, LoginStatus::bad_credentials);
    auto result = auth.login("admin", "pw-1234", "10.0.0.1");
    ASSERT_EQ(result.status, LoginStatus::ok);
    EXPECT_EQ(result.token.size(), 64u);  // 256 bits, hex
    EXPECT_GT(result.expires_at, Clock::now() + std::chrono::hours(24 * 6));
    EXPECT_EQ(auth.verify(result.token), "admin");
    EXPECT_FALSE(auth.verify(std::string(64, 'a')).has_value());
    EXPECT_FALSE(auth.verify("short").has_value());
    EXPECT_TRUE(auth.logout(result.token));
    EXPECT_FALSE(auth.verify(result.token).has_value());
}

TEST(Auth, TokensSurviveARestartAndAreStoredHashed) {
    TempFolder folder;
    std::string token;
    {
        Auth auth(config_with("pw"), folder.path);
        token = auth.login("admin", "pw", "127.0.0.1").token;
    }
    Auth again(config_with("pw"), folder.path);
    EXPECT_EQ(again.verify(token), "admin");
    // The database holds no raw token.
    sqlite3* database = nullptr;
    ASSERT_EQ(sqlite3_open((folder.path / "ailab.db").c_str(), &database), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(database, "SELECT hash FROM tokens", -1, &statement, nullptr);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    std::string stored(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
    EXPECT_NE(stored, token);
    EXPECT_EQ(stored.size(), 64u);
    sqlite3_finalize(statement);
    sqlite3_close(database);
}

TEST(Auth, ExpiredTokensAreRefused) {
    TempFolder folder;
    std::string token;
    {
        Auth auth(config_with("pw"), folder.path);
        token = auth.login("admin", "pw", "127.0.0.1").token;
    }
    // Age every stored token past its expiry, as time passing would.
    sqlite3* database = nullptr;
    sqlite3_open((folder.path / "ailab.db").c_str(), &database);
    sqlite3_exec(database, "UPDATE tokens SET expires_at = 1", nullptr, nullptr, nullptr);
    sqlite3_close(database);
    Auth again(config_with("pw"), folder.path);
    EXPECT_FALSE(again.verify(token).has_value());
    EXPECT_EQ(again.token_count(), 0u);
}

TEST(Auth, TokensOfRemovedUsersAreDropped) {
    TempFolder folder;
    std::string token;
    {
        Auth auth(config_with("pw"), folder.path);
        token = auth.login("admin", "pw", "127.0.0.1").token;
    }
    ailab::core::Config other;
    other.users["bob"] = "pw";
    Auth again(other, folder.path);
    EXPECT_FALSE(again.verify(token).has_value());
}

TEST(LoginRateLimiter, BacksOffThenRecovers) {
    LoginRateLimiter limiter(3);
    auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(limiter.wait_for("a", now).count(), 0);
        limiter.record_failure("a", now);
    }
    EXPECT_EQ(limiter.wait_for("a", now).count(), 0);  // three free failures
    limiter.record_failure("a", now);
    EXPECT_EQ(limiter.wait_for("a", now).count(), 1);
    EXPECT_EQ(limiter.wait_for("b", now).count(), 0);  // per address
    limiter.record_failure("a", now + std::chrono::seconds(1));
    EXPECT_EQ(limiter.wait_for("a", now + std::chrono::seconds(1)).count(), 2);  // grows
    EXPECT_EQ(limiter.wait_for("a", now + std::chrono::seconds(3)).count(), 0);  // and passes
    limiter.record_success("a");
    limiter.record_failure("a", now);
    EXPECT_EQ(limiter.wait_for("a", now).count(), 0);
}

TEST(Auth, RateLimitedLoginsAreRefusedEvenWithTheRightPassword) {
    TempFolder folder;
    Auth auth(config_with("pw"), folder.path);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(auth.login("admin", "bad", "10.1.1.1").status, LoginStatus::bad_credentials);
    auto sixth = auth.login("admin", "bad", "10.1.1.1");
    EXPECT_EQ(sixth.status, LoginStatus::bad_credentials);
    auto limited = auth.login("admin", "pw", "10.1.1.1");
    EXPECT_EQ(limited.status, LoginStatus::rate_limited);
    EXPECT_GE(limited.retry_after.count(), 1);
    EXPECT_EQ(auth.login("admin", "pw", "10.1.1.2").status, LoginStatus::ok);
}
