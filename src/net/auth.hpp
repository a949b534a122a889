#pragma once
// Users, passwords and bearer tokens.
//
// Tokens are 256 random bits (hex). Only their SHA-256 is stored: in memory for lookups and in
// the state folder's SQLite file (ailab.db) so they survive a restart. A token is looked up by its
// hash, then the hash is compared in constant time. Failed logins are rate-limited per address
// with a growing back-off. Passwords are never logged.

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
#include "net/router.hpp"

struct sqlite3;

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

// Grows the wait after repeated failures from one address: the first `free_attempts` failures
// cost nothing, then each further one doubles the lock-out (1 s, 2 s, 4 s, ... up to 15 min).
class LoginRateLimiter {
public:
    explicit LoginRateLimiter(int free_attempts = 5) : free_attempts_(free_attempts) {}
    // Seconds the address must still wait, 0 when it may try now.
    std::chrono::seconds wait_for(const std::string& address, std::chrono::steady_clock::time_point now);
    void record_failure(const std::string& address, std::chrono::steady_clock::time_point now);
    void record_success(const std::string& address);

private:
    struct Entry {
        int failures = 0;
        std::chrono::steady_clock::time_point locked_until{};
        std::chrono::steady_clock::time_point last_failure{};
    };
    int free_attempts_;
    std::mutex mutex_;  // guards entries_
    std::unordered_map<std::string, Entry> entries_;
};

class Auth {
public:
    // Opens (creating if needed) state_folder/ailab.db and loads the unexpired tokens.
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
    void execute(const char* sql);

    std::map<std::string, std::string> users_;  // user -> stored password (read-only after construction)
    std::chrono::seconds lifetime_;
    LoginRateLimiter limiter_;
    std::mutex mutex_;                                     // guards tokens_ and database_
    std::unordered_map<std::string, TokenRecord> tokens_;  // key: hex SHA-256 of the token
    struct DatabaseCloser {
        void operator()(sqlite3* database) const;
    };
    std::unique_ptr<sqlite3, DatabaseCloser> database_;
};

// POST /api/v1/login, POST /api/v1/logout.
void register_auth_routes(Router& router, Auth& auth);

}  // namespace ailab::net
