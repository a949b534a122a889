#pragma once
// The server's configuration: parsed once at start-up from the users' JSON file, then read-only.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ailab::core {

class ConfigReader;

// One line naming the file, the key and what was wrong; main() prints it and exits with code 2.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class TlsMode { off, automatic, files };

struct TlsConfig {
    TlsMode mode = TlsMode::off;
    std::filesystem::path cert_file;  // mode == files
    std::filesystem::path key_file;   // mode == files
};

// One folder of "results": a path, or {"name": …, "path": …} in a list. `name` is "" when
// "results" is one folder; with several, the given name or the folder's own name (unique).
struct ResultsFolder {
    std::string name;
    std::filesystem::path path;
};

struct Config {
    std::filesystem::path file;      // where it was read from ("" for a config built in code)
    std::string host = "127.0.0.1";  // "*" binds every interface
    std::uint16_t port = 12345;
    // user name -> password: plain text, or an argon2id hash ("$argon2id$...").
    std::map<std::string, std::string> users;
    std::filesystem::path workspace;
    std::filesystem::path results;               // the first of results_folders (jobs' AILAB_RESULTS)
    std::vector<ResultsFolder> results_folders;  // every folder of "results" (a string or a list)
    std::filesystem::path queue;  // the server's own state folder (tokens, certificate, later the job store)
    bool auto_detect_experiments = false;
    std::map<std::string, std::filesystem::path> projects;  // project name -> folder
    std::vector<int> gpus;                                  // CUDA_VISIBLE_DEVICES-style indices
    TlsConfig tls;
    std::vector<std::string> allowed_origins;        // normalised: scheme://host[:port], lower case, no slash
    bool cluster = false;                            // cluster mode: no resource monitoring
    int threads = 2;                                 // I/O threads
    std::size_t max_connections = 4096;              // open connections in all
    std::size_t max_connections_per_address = 1024;  // from one remote address

    // Non-fatal findings (plain-text passwords, ...), for the caller to log. Unknown keys are
    // found once every feature has read its section: settings->unread_keys().
    std::vector<std::string> warnings;

    // The reader of the config file, kept so that each feature reads its own section from it when
    // it is built (null for a Config built in code: features then use their defaults).
    std::shared_ptr<ConfigReader> settings;

    bool password_is_hashed(const std::string& user) const;
};

// Looks up an environment variable; returns nullopt when unset. Injected so tests can control it.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// Parses and validates a config. Throws ConfigError with one clear line on any problem.
Config parse_config(const std::string& text, const std::string& file_label, const EnvLookup& env);
Config load_config(const std::filesystem::path& file, const EnvLookup& env = process_environment());

// Expands $VAR, ${VAR} and a leading ~ in a path. Throws ConfigError naming key on an unset variable.
std::string expand_variables(const std::string& value, const std::string& file_label, const std::string& key,
                             const EnvLookup& env);

// "HTTP://Example.com:80/" -> "http://example.com:80"; returns "" when it is not an origin.
std::string normalise_origin(std::string_view origin);

}  // namespace ailab::core
