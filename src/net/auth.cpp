#include "net/auth.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

#include "core/config_reader.hpp"
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
// Its parameters (m=64 MiB, t=2, p=1) are hash_password's, which also hashes the config's
// plain-text passwords, so an unknown user costs what a known one does.
constexpr std::string_view dummy_hash =
    "$argon2id$v=19$m=65536,t=2,p=1$wLnhUn+4N27u5P2X0YGBAg$MkSlR1ob2KY4KvvvZcS9UQhSlHv7P8xpqMgkWps7WSI";

bool is_argon2id(std::string_view stored) { return stored.rfind("$argon2id$", 0) == 0; }

// The config's users with every password as an argon2id hash: plain text is hashed here, once.
std::map<std::string, std::string> hashed_users(const core::Config& config) {
    std::map<std::string, std::string> users;
    for (const auto& [user, stored] : config.users)
        users.emplace(user, is_argon2id(stored) ? stored : hash_password(stored));
    return users;
}

core::Database open_token_store(const std::filesystem::path& state_folder) {
    std::filesystem::create_directories(state_folder);
    auto database = core::Database::open(state_folder / "ailab.db");
    if (!database) throw std::runtime_error("token store: " + database.error().message);
    auto schema = database->exec(
        "CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, user TEXT NOT NULL, "
        "created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)");
    if (!schema) throw std::runtime_error("token store: " + schema.error().message);
    return std::move(*database);
}

core::Statement prepare_or_throw(core::Database& database, std::string_view sql) {
    auto statement = database.prepare(sql);
    if (!statement) throw std::runtime_error("token store: " + statement.error().message);
    return std::move(*statement);
}

constexpr std::size_t max_table_entries = 100'000;
constexpr auto forgive_after = std::chrono::hours(1);

// Keys for the limiter's tables; a user name is cut so a huge one cannot fill memory.
std::string user_key(std::string_view user) { return std::string(user.substr(0, 128)); }
std::string pair_key(const LoginAttempt& attempt) {
    return std::string(attempt.address) + '\n' + user_key(attempt.user);
}

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

std::chrono::seconds LoginRateLimiter::wait_in(const Table& table, const std::string& key, TimePoint now) {
    auto it = table.find(key);
    if (it == table.end() || it->second.locked_until <= now) return std::chrono::seconds(0);
    auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
    return std::max(left, std::chrono::seconds(1));
}

void LoginRateLimiter::count_failure(Table& table, const std::string& key, int free_failures, TimePoint now) {
    if (table.size() > max_table_entries) {
        // Bound memory under a spray of addresses or names: forget idle entries, then any unlocked.
        std::erase_if(table, [now](const auto& item) {
            return item.second.locked_until < now && now - item.second.last_failure > forgive_after;
        });
        if (table.size() > max_table_entries)
            std::erase_if(table, [now](const auto& item) { return item.second.locked_until < now; });
    }
    auto& counter = table[key];
    if (counter.failures > 0 && now - counter.last_failure > forgive_after) counter.failures = 0;
    ++counter.failures;
    counter.last_failure = now;
    int over = counter.failures - free_failures;
    if (over > 0) {
        auto wait = std::chrono::seconds(1LL << std::min(over - 1, 10));
        counter.locked_until = now + std::min<std::chrono::seconds>(wait, std::chrono::minutes(15));
    }
}

void LoginRateLimiter::forgive(Table& table, const std::string& key, int failures) {
    auto it = table.find(key);
    if (it == table.end()) return;
    it->second.failures -= std::min(failures, it->second.failures);
    if (it->second.failures == 0) table.erase(it);
}

std::chrono::seconds LoginRateLimiter::wait_for(const LoginAttempt& attempt, TimePoint now) {
    std::lock_guard lock(mutex_);
    return std::max(wait_in(by_address_, std::string(attempt.address), now),
                    wait_in(by_user_, user_key(attempt.user), now));
}

void LoginRateLimiter::record_failure(const LoginAttempt& attempt, TimePoint now) {
    std::lock_guard lock(mutex_);
    count_failure(by_address_, std::string(attempt.address), limits_.free_failures_per_address, now);
    count_failure(by_user_, user_key(attempt.user), limits_.free_failures_per_user, now);
    count_failure(by_pair_, pair_key(attempt), std::numeric_limits<int>::max(), now);
}

void LoginRateLimiter::record_success(const LoginAttempt& attempt, TimePoint now) {
    std::lock_guard lock(mutex_);
    auto it = by_pair_.find(pair_key(attempt));
    if (it == by_pair_.end()) return;  // no failures of this address on this account: nothing to forgive
    // Stale pair failures were forgiven in the other tables already (their last failure is at
    // least as recent as the pair's).
    int failures = now - it->second.last_failure > forgive_after ? 0 : it->second.failures;
    by_pair_.erase(it);
    forgive(by_address_, std::string(attempt.address), failures);
    forgive(by_user_, user_key(attempt.user), failures);
}

AuthSettings AuthSettings::read(core::ConfigReader* reader) {
    AuthSettings settings;
    if (reader == nullptr) return settings;
    settings.token_lifetime =
        std::chrono::hours(reader->integer("token_lifetime_hours", std::int64_t{24} * 7, 1, std::int64_t{24} * 366));
    return settings;
}

Auth::Auth(const core::Config& config, const std::filesystem::path& state_folder)
    : Auth(config, AuthSettings::read(config.settings.get()), state_folder) {}

Auth::Auth(const core::Config& config, const AuthSettings& settings, const std::filesystem::path& state_folder)
    : users_(hashed_users(config)),
      lifetime_(std::chrono::duration_cast<std::chrono::seconds>(settings.token_lifetime)),
      limiter_(settings.login_limits),
      database_(open_token_store(state_folder)),
      insert_token_(prepare_or_throw(
          database_, "INSERT OR REPLACE INTO tokens (hash, user, created_at, expires_at) VALUES (?, ?, ?, ?)")),
      delete_token_(prepare_or_throw(database_, "DELETE FROM tokens WHERE hash = ?")) {
    ensure_sodium();
    auto expired = prepare_or_throw(database_, "DELETE FROM tokens WHERE expires_at <= ?");
    if (auto done = expired.bind(1, to_unix(Clock::now())).run(); !done)
        throw std::runtime_error("token store: " + done.error().message);
    auto select = prepare_or_throw(database_, "SELECT hash, user, expires_at FROM tokens");
    while (true) {
        auto step = select.step();
        if (!step) throw std::runtime_error("token store: " + step.error().message);
        if (*step == core::Step::done) break;
        std::string user = select.column_text(1);
        auto expires = Clock::time_point(std::chrono::seconds(select.column_int64(2)));
        if (users_.contains(user)) tokens_.emplace(select.column_text(0), TokenRecord{std::move(user), expires});
    }
}

Auth::~Auth() = default;

LoginResult Auth::login(const std::string& user, std::string_view password, const std::string& remote_address) {
    LoginResult result;
    const LoginAttempt attempt{remote_address, user};
    if (auto wait = limiter_.wait_for(attempt, std::chrono::steady_clock::now()); wait.count() > 0) {
        result.status = LoginStatus::rate_limited;
        result.retry_after = wait;
        return result;
    }
    // One argon2id verification whatever the user: a known user's hash or the dummy.
    auto it = users_.find(user);
    bool ok =
        verify_password(it == users_.end() ? dummy_hash : std::string_view(it->second), password) && it != users_.end();
    if (!ok) {
        limiter_.record_failure(attempt, std::chrono::steady_clock::now());
        spdlog::warn("login failed for user \"{}\" from {}", user.size() > 64 ? user.substr(0, 64) : user,
                     remote_address);
        return result;
    }
    limiter_.record_success(attempt, std::chrono::steady_clock::now());
    std::array<unsigned char, 32> random{};
    randombytes_buf(random.data(), random.size());
    result.token = to_hex(random.data(), random.size());
    result.expires_at = Clock::now() + lifetime_;
    result.status = LoginStatus::ok;
    auto hash = token_hash(result.token);
    std::lock_guard lock(mutex_);
    auto saved = insert_token_.bind(1, hash)
                     .bind(2, user)
                     .bind(3, to_unix(Clock::now()))
                     .bind(4, to_unix(result.expires_at))
                     .run();
    if (!saved) spdlog::error("token store: cannot save a token: {}", saved.error().message);
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
    if (auto removed = delete_token_.bind(1, hash).run(); !removed)
        spdlog::error("token store: cannot remove a token: {}", removed.error().message);
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
            auto response =
                Response::error(429, "too many failed logins from this address or for this user; try again in " +
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
    }, Execution::worker);  // one argon2id check (tens of ms): never on an I/O thread
    router.add(Method::post, "/api/v1/logout", Access::token_required, [&auth](Request& request) {
        auth.logout(request.token);
        return json_response(boost::json::object{{"ok", true}});
    });
}

}  // namespace ailab::net
