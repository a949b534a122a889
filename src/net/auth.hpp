#pragma once
// Users, passwords and bearer tokens.
//
// Tokens are 256 random bits (hex). Only their SHA-256 is stored: in memory for lookups and in
// the state folder's SQLite file (ailab.db) so they survive a restart. A token is looked up by its
// hash, then the hash is compared in constant time. Passwords are never logged.
//
// Every login attempt costs one argon2id verification, whatever the config holds: plain-text
// passwords are hashed once at start-up and an unknown user is checked against a dummy hash with
// the same parameters, so timing tells nothing about which user names exist. Failed logins are
// rate-limited per address and per target user (see LoginRateLimiter).

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/config.hpp"
#include "core/sqlite.hpp"
#include "net/router.hpp"

namespace ailab::core {
class ConfigReader;
}

namespace ailab::net {

using Clock = std::chrono::system_clock;

// argon2id hash in libsodium's string format ("$argon2id$v=19$m=...").
std::string hash_password(std::string_view password);
// Checks a password against the config's entry: an argon2id hash or plain text (constant time).
bool verify_password(std::string_view stored, std::string_view password);

enum class LoginStatus { ok, bad_credentials, rate_limited };

struct LoginResult {
    LoginStatus status = LoginStatus::bad_credentials;
    std::string token;
    Clock::time_point expires_at;
    std::chrono::seconds retry_after{0};
};

// How many failures are free before the back-off starts.
struct LoginLimits {
    int free_failures_per_address = 5;
    // Higher than per address: this limit also locks the account's owner out, so an attacker
    // must spend more guesses to do that, while one address is stopped by its own limit first.
    int free_failures_per_user = 10;
};

// One login attempt: where it came from and which account it was for.
struct LoginAttempt {
    std::string_view address;
    std::string_view user;
};

// Grows the wait after repeated failures: failures are counted per address and per target user
// (a lock on either refuses the attempt). The first free failures cost nothing, then each further
// one doubles the lock-out (1 s, 2 s, 4 s, ... up to 15 min). Failures older than an hour are
// forgiven. A success forgives only the failures it explains: those of the same address on the
// same account (its owner mistyping), never guesses from that address at other accounts nor
// guesses at that account from other addresses. Thread-safe.
class LoginRateLimiter {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    explicit LoginRateLimiter(LoginLimits limits = {}) : limits_(limits) {}
    // Seconds the attempt must still wait, 0 when it may try now.
    std::chrono::seconds wait_for(const LoginAttempt& attempt, TimePoint now);
    void record_failure(const LoginAttempt& attempt, TimePoint now);
    void record_success(const LoginAttempt& attempt, TimePoint now);

private:
    struct Counter {
        int failures = 0;
        TimePoint locked_until{};
        TimePoint last_failure{};
    };
    using Table = std::unordered_map<std::string, Counter>;
    static void count_failure(Table& table, const std::string& key, int free_failures, TimePoint now);
    static std::chrono::seconds wait_in(const Table& table, const std::string& key, TimePoint now);
    static void forgive(Table& table, const std::string& key, int failures);

    LoginLimits limits_;
    std::mutex mutex_;  // guards the three tables
    Table by_address_;
    Table by_user_;
    Table by_pair_;  // key: address '\n' user; what a success from that address to that user forgives
};

// The auth feature's own config keys.
struct AuthSettings {
    std::chrono::hours token_lifetime{24 * 7};  // "token_lifetime_hours", 1 .. 24 * 366
    LoginLimits login_limits;                   // not in the config file

    // Reads the keys above (defaults when reader is null); throws core::ConfigError naming the key
    // on a bad value.
    static AuthSettings read(core::ConfigReader* reader);
};

class Auth {
public:
    // Opens (creating if needed) state_folder/ailab.db and loads the unexpired tokens; hashes the
    // config's plain-text passwords (about 70 ms each). Throws on a database it cannot open.
    Auth(const core::Config& config, const AuthSettings& settings, const std::filesystem::path& state_folder);
    // The same with the settings read from config.settings (defaults for a config built in code).
    // FIXME: for app.cpp until the auth feature passes AuthSettings::read(&context.settings).
    Auth(const core::Config& config, const std::filesystem::path& state_folder);
    ~Auth();
    Auth(const Auth&) = delete;
    Auth& operator=(const Auth&) = delete;

    LoginResult login(const std::string& user, std::string_view password, const std::string& remote_address);
    // The user a token belongs to, when it is known and unexpired. Thread-safe.
    std::optional<std::string> verify(std::string_view token);
    bool logout(std::string_view token);
    std::size_t token_count();

private:
    struct TokenRecord {
        std::string user;
        Clock::time_point expires_at;
    };

    // user -> argon2id hash (plain text hashed at start-up); read-only after construction.
    std::map<std::string, std::string> users_;
    std::chrono::seconds lifetime_;
    LoginRateLimiter limiter_;
    std::mutex mutex_;                                     // guards tokens_, database_ and the statements
    std::unordered_map<std::string, TokenRecord> tokens_;  // key: hex SHA-256 of the token
    core::Database database_;
    core::Statement insert_token_;
    core::Statement delete_token_;
};

// POST /api/v1/login, POST /api/v1/logout.
void register_auth_routes(Router& router, Auth& auth);

}  // namespace ailab::net
