#pragma once
// Test harness: starts the real `ailab` binary on a temporary config (loopback, free port,
// temp results/workspace/state folders) and offers small HTTP, TLS and WebSocket clients.
// Everything it creates is removed when the objects go away.

#include <signal.h>
#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ailab::testing {

inline constexpr const char* test_password = "integration-password-1";

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

std::uint16_t free_port();

struct HttpResult {
    int status = 0;  // 0 when the connection failed
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string error;                           // transport error, if any
    boost::json::value json() const;
    std::string header(const std::string& name) const;
};

struct HttpOptions {
    std::string token;                                         // Authorization: Bearer
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
    bool tls = false;                                          // HTTPS (certificate not verified)
    std::chrono::milliseconds timeout{10'000};
};

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body = "", const HttpOptions& options = {});

class ServerProcess {
public:
    // `overrides` are merged into the generated config (e.g. {"tls":"auto"}).
    explicit ServerProcess(boost::json::object overrides = {});
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // Limits the server's open files (soft and hard, as `prlimit --nofile=N` does); before start().
    void set_open_file_limit(unsigned long limit) { open_file_limit_ = limit; }
    void start();                    // starts and waits until /api/v1/health answers (throws on failure)
    int stop(int signal = SIGTERM);  // returns the exit status (or 128+signal)
    bool running() const { return pid_ > 0; }

    std::uint16_t port() const { return port_; }
    bool tls() const { return tls_; }
    const std::filesystem::path& root() const { return temp_.path(); }
    std::filesystem::path results() const { return temp_.path() / "results"; }
    std::filesystem::path state() const { return temp_.path() / "state"; }
    std::filesystem::path config_file() const { return temp_.path() / "config.json"; }
    std::string output() const;  // stdout+stderr of the server so far
    pid_t pid() const { return pid_; }
    std::size_t resident_kib() const;  // VmRSS of the server process
    double cpu_seconds() const;        // user + system CPU time of the server process

    std::string login(const std::string& user = "admin", const std::string& password = test_password);
    HttpResult get(const std::string& target, const std::string& token = "") const;
    HttpResult post(const std::string& target, const std::string& body, const std::string& token = "") const;

private:
    TempDir temp_;
    boost::json::object config_;
    std::uint16_t port_ = 0;
    bool tls_ = false;
    pid_t pid_ = -1;
    unsigned long open_file_limit_ = 0;
};

// The stable id of a run (runs::run_id): FNV-1a 64 of its path below results, 16 hex digits.
std::string run_id(const std::string& path);

// Sends raw bytes on a new plain TCP connection and returns everything the server sends back
// until it closes or `timeout` passes (for malformed HTTP).
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
// A plain TCP connection to loopback that does nothing (for connection limits); -1 on failure.
int open_idle_connection(std::uint16_t port);

// Runs a program and returns its exit code and combined output; `input` goes to its stdin.
struct ProgramResult {
    int exit_code = -1;
    std::string output;
};
ProgramResult run_program(const std::vector<std::string>& argv, const std::string& input = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A WebSocket client (plain TCP) with timeouts on every operation.
class WsClient {
public:
    WsClient();
    ~WsClient();
    // Returns "" on success, else the error (e.g. "403" when the upgrade was refused).
    std::string connect(std::uint16_t port, const std::string& origin = "", const std::string& path = "/api/v1/ws");
    bool send(const std::string& text);
    bool send_binary(const std::string& bytes);
    // The next event, or nullopt on close/timeout (closed() tells which). A "<topic>.batch"
    // message is unpacked: its events come out one by one, in order.
    std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // The next WebSocket message as it came (no unpacking).
    std::optional<std::string> read_message(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    std::size_t batches_read() const;
    bool last_was_binary() const;  // whether the last message read_message() returned was binary  // how many batch
                                   // messages read() has unpacked
    // Reads until a message whose "type" equals type (skipping others), or nullopt.
    std::optional<boost::json::object> read_type(const std::string& type,
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
    bool closed() const;
    int close_code() const;
    // Sends auth and waits for auth.ok; returns whether it came.
    bool authenticate(const std::string& token);
    bool subscribe(const std::vector<std::string>& topics);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ailab::testing
