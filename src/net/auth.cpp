#include "net/auth.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <array>
#include <stdexcept>

#include "net/json.hpp"

namespace ailab::net {
namespace {

void ensure_sodium() {
    static const int ready = sodium_init();
    if (ready < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string to_hex(const unsigned char* data, std::size_t size) {
    std::string hex(size * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), data, size);
    hex.pop_back();
    return hex;
}

std::string token_hash(std::string_view token) {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()), token.size());
    return to_hex(digest.data(), digest.size());
}

std::int64_t to_unix(Clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

// A hash to verify against when the user does not exist, so timing does not reveal user names.
// A constant (the hash of a random string nobody knows): computing one costs ~70 ms at start-up.
constexpr std::string_view dummy_hash =
    "$argon2id$v=19$m=65536,t=2,p=1$wLnhUn+4N27u5P2X0YGBAg$MkSlR1ob2KY4KvvvZcS9UQhSlHv7P8xpqMgkWps7WSI";

}  // namespace

std::string hash_password(std::string_view password) {
    ensure_sodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw std::runtime_error("out of memory while hashing the password");
    return std::string(out.data());
}

bool verify_password(std::string_view stored, std::string_view password) {
    ensure_sodium();
    if (stored.rfind("$argon2id$", 0) == 0) {
        std::string hash(stored);
        return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
    }
    // Plain text: compare digests so neither content nor length leaks through timing.
    std::array<unsigned char, crypto_hash_sha256_BYTES> a{}, b{};
    crypto_hash_sha256(a.data(), reinterpret_cast<const unsigned char*>(stored.data()), stored.size());
    crypto_hash_sha256(b.data(), reinterpret_cast<const unsigned char*>(password.data()), password.size());
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::chrono::seconds LoginRateLimiter::wait_for(const std::string& address, std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(address);
    if (it == entries_.end() || it->second.locked_until <= now) return std::chrono::seconds(0);
    auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
    return std::max(left, std::chrono::seconds(1));
}

void LoginRateLimiter::record_failure(const std::string& address, std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (entries_.size() > 100'000) {
        // Bound memory under a spray of addresses: forget entries idle for an hour.
        std::erase_if(entries_, [now](const auto& item) {
            return item.second.locked_until < now && now - item.second.last_failure > std::chrono::hours(1);
        });
    }
    auto& entry = entries_[address];
    // Failures older than an hour are forgiven.
    if (entry.failures > 0 && now - entry.last_failure > std::chrono::hours(1)) entry.failures = 0;
    ++entry.failures;
    entry.last_failure = now;
    int over = entry.failures - free_attempts_;
    if (over > 0) {
        auto wait = std::chrono::seconds(1LL << std::min(over - 1, 10));
        entry.locked_until = now + std::min<std::chrono::seconds>(wait, std::chrono::minutes(15));
    }
}

void LoginRateLimiter::record_success(const std::string& address) {
    std::lock_guard lock(mutex_);
    entries_.erase(address);
}

void Auth::DatabaseCloser::operator()(sqlite3* database) const { sqlite3_close_v2(database); }

Auth::Auth(const core::Config& config, const std::filesystem::path& state_folder)
    : users_(config.users), lifetime_(std::chrono::duration_cast<std::chrono::seconds>(config.token_lifetime)) {
    ensure_sodium();
    std::filesystem::create_directories(state_folder);
    auto path = (state_folder / "ailab.db").string();
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             nullptr);
    database_.reset(raw);
    if (rc != SQLITE_OK) throw std::runtime_error("cannot open " + path + ": " + sqlite3_errstr(rc));
    sqlite3_busy_timeout(raw, 5000);
    execute("PRAGMA journal_mode=WAL");
    execute(
        "CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, user TEXT NOT NULL, "
        "created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)");
    auto now = to_unix(Clock::now());
    execute(("DELETE FROM tokens WHERE expires_at <= " + std::to_string(now)).c_str());
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(raw, "SELECT hash, user, expires_at FROM tokens", -1, &statement, nullptr);
    while (statement && sqlite3_step(statement) == SQLITE_ROW) {
        std::string hash(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
        std::string user(reinterpret_cast<const char*>(sqlite3_column_text(statement, 1)));
        auto expires = Clock::time_point(std::chrono::seconds(sqlite3_column_int64(statement, 2)));
        if (users_.contains(user)) tokens_.emplace(std::move(hash), TokenRecord{std::move(user), expires});
    }
    sqlite3_finalize(statement);
}

Auth::~Auth() = default;

void Auth::execute(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(database_.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        throw std::runtime_error(std::string("token store: ") + text);
    }
}

LoginResult Auth::login(const std::string& user, std::string_view password, const std::string& remote_address) {
    LoginResult result;
    auto now = std::chrono::steady_clock::now();
    if (auto wait = limiter_.wait_for(remote_address, now); wait.count() > 0) {
        result.status = LoginStatus::rate_limited;
        result.retry_after = wait;
        return result;
    }
    auto it = users_.find(user);
    bool ok =
        verify_password(it == users_.end() ? dummy_hash : std::string_view(it->second), password) && it != users_.end();
    if (!ok) {
        limiter_.record_failure(remote_address, std::chrono::steady_clock::now());
        spdlog::warn("login failed for user \"{}\" from {}", user.size() > 64 ? user.substr(0, 64) : user,
                     remote_address);
        return result;
    }
    limiter_.record_success(remote_address);
    std::array<unsigned char, 32> random{};
    randombytes_buf(random.data(), random.size());
    result.token = to_hex(random.data(), random.size());
    result.expires_at = Clock::now() + lifetime_;
    result.status = LoginStatus::ok;
    auto hash = token_hash(result.token);
    std::lock_guard lock(mutex_);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(database_.get(),
                       "INSERT OR REPLACE INTO tokens (hash, user, created_at, expires_at) VALUES (?, ?, ?, ?)", -1,
                       &statement, nullptr);
    sqlite3_bind_text(statement, 1, hash.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(statement, 2, user.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(statement, 3, to_unix(Clock::now()));
    sqlite3_bind_int64(statement, 4, to_unix(result.expires_at));
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) spdlog::error("token store: cannot save a token: {}", sqlite3_errmsg(database_.get()));
    tokens_[hash] = TokenRecord{user, result.expires_at};
    spdlog::info("user \"{}\" logged in from {}", user, remote_address);
    return result;
}

std::optional<std::string> Auth::verify(std::string_view token) {
    if (token.size() != 64) return std::nullopt;
    auto hash = token_hash(token);
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(hash);
    if (it == tokens_.end()) return std::nullopt;
    if (sodium_memcmp(it->first.data(), hash.data(), hash.size()) != 0) return std::nullopt;
    if (it->second.expires_at <= Clock::now()) {
        tokens_.erase(it);
        return std::nullopt;
    }
    return it->second.user;
}

bool Auth::logout(std::string_view token) {
    auto hash = token_hash(token);
    std::lock_guard lock(mutex_);
    bool known = tokens_.erase(hash) > 0;
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(database_.get(), "DELETE FROM tokens WHERE hash = ?", -1, &statement, nullptr);
    sqlite3_bind_text(statement, 1, hash.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(statement);
    sqlite3_finalize(statement);
    return known;
}

std::size_t Auth::token_count() {
    std::lock_guard lock(mutex_);
    return tokens_.size();
}

void register_auth_routes(Router& router, Auth& auth) {
    router.add(Method::post, "/api/v1/login", Access::public_route, [&auth](Request& request) {
        auto body = parse_json_object(request.body);
        auto user = require_string(body, "user");
        auto password = require_string(body, "password");
        auto result = auth.login(user, password, request.remote_address);
        if (result.status == LoginStatus::rate_limited) {
            auto response = Response::error(429, "too many failed logins from this address; try again in " +
                                                     std::to_string(result.retry_after.count()) + " s");
            response.set_header("Retry-After", std::to_string(result.retry_after.count()));
            return response;
        }
        if (result.status != LoginStatus::ok) return Response::error(401, "wrong user name or password");
        boost::json::object out;
        out["token"] = result.token;
        out["expires_at"] = to_unix(result.expires_at);
        out["user"] = user;
        return json_response(out);
    });
    router.add(Method::post, "/api/v1/logout", Access::token_required, [&auth](Request& request) {
        auth.logout(request.token);
        return json_response(boost::json::object{{"ok", true}});
    });
}

}  // namespace ailab::net
