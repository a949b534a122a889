#include "app/commands.hpp"

#include <malloc.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "app/app.hpp"
#include "client/command_line.hpp"
#include "core/version.hpp"
#include "net/auth.hpp"
#include "net/embedded_assets.hpp"
#include "net/server.hpp"

namespace ailab::app {
namespace {

void configure_logging() {
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    if (const char* level = std::getenv("AILAB_LOG_LEVEL")) spdlog::set_level(spdlog::level::from_str(level));
}

// Large buffers (request bodies, big WebSocket messages, exports) are mapped and unmapped on
// their own instead of staying in the heap after use, so memory goes back to idle once a flood is
// over. Fixing the threshold also stops glibc from raising it after the first big free.
void return_big_buffers_to_the_system() {
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

int serve(const std::string& config_path) {
    return_big_buffers_to_the_system();
    core::Config config;
    try {
        config = core::load_config(config_path);
    } catch (const core::ConfigError& error) {
        std::cerr << error.what() << '\n';
        return 2;
    }
    try {
        std::filesystem::create_directories(config.queue);
    } catch (const std::exception& error) {
        std::cerr << config.file.filename().string() << ": \"queue\" folder " << config.queue
                  << " cannot be created: " << error.what() << '\n';
        return 2;
    }
    std::unique_ptr<App> app;
    try {
        app = build_app(std::move(config));
    } catch (const core::ConfigError& error) {
        std::cerr << error.what() << '\n';
        return 2;
    }
    for (const auto& warning : app->config.warnings) spdlog::warn("{}", warning);
    try {
        app->start();
        net::Server server(app->config, app->router, app->websockets, app->verify_token, net::embedded_assets());
        server.run([&](const net::ServerInfo& info) {
            spdlog::info("AI Lab {} listening on {}", ailab::version, info.url);
            if (!info.tls_fingerprint.empty())
                spdlog::info("TLS certificate SHA-256 fingerprint: {}", info.tls_fingerprint);
            std::string users;
            for (const auto& [user, password] : app->config.users) users += (users.empty() ? "" : ", ") + user;
            spdlog::info("users: {}; results: {}", users, app->config.results.string());
            std::cout << "AI Lab is running at " << info.url << "/" << std::endl;
        });
        spdlog::info("stopping services");
        app->stop();
        spdlog::info("stopped cleanly");
        return 0;
    } catch (const std::exception& error) {
        spdlog::critical("{}", error.what());
        return 1;
    }
}

std::string read_password_line(bool echo_off) {
    termios saved{};
    if (echo_off) {
        tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (echo_off) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::cerr << '\n';
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

int hash_password_command() {
    bool terminal = isatty(STDIN_FILENO);
    if (terminal) std::cerr << "Password: " << std::flush;
    auto password = read_password_line(terminal);
    if (terminal) {
        std::cerr << "Again: " << std::flush;
        if (read_password_line(true) != password) {
            std::cerr << "ailab hash-password: the passwords differ\n";
            return 2;
        }
    }
    if (password.empty()) {
        std::cerr << "ailab hash-password: the password is empty\n";
        return 2;
    }
    std::cout << net::hash_password(password) << '\n';
    return 0;
}

std::string random_password() {
    static constexpr char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    std::string password;
    for (int i = 0; i < 20; ++i) password.push_back(alphabet[randombytes_uniform(sizeof(alphabet) - 1)]);
    return password;
}

// Writes a loopback config with a generated password (printed once) unless the file exists.
int init_config_command(const std::string& file, const std::string& results, const std::string& state, int port) {
    if (std::filesystem::exists(file)) {
        std::cout << "Config " << file << " exists; keeping it (its password was printed when it was created).\n";
        return 0;
    }
    auto password = random_password();
    auto absolute = [](const std::string& path) { return std::filesystem::absolute(path).lexically_normal().string(); };
    boost::json::object config{
        {"host", "127.0.0.1"},
        {"port", port},
        {"users", boost::json::object{{"admin", net::hash_password(password)}}},
        {"workspace", absolute(std::filesystem::path(results).parent_path().string() + "/workspace")},
        {"results", absolute(results)},
        {"queue", absolute(state)},
        {"auto_detect_experiments", false},
        {"projects", boost::json::object{}},
        {"gpus", boost::json::array{0}}};
    std::filesystem::create_directories(std::filesystem::absolute(file).parent_path());
    std::filesystem::create_directories(absolute(std::filesystem::path(results).parent_path().string() + "/workspace"));
    std::ofstream out(file);
    out << boost::json::serialize(config) << '\n';
    if (!out) {
        std::cerr << "ailab init-config: cannot write " << file << '\n';
        return 1;
    }
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::cout << "Wrote " << file << "\n  login: admin\n  password: " << password
              << "\n(shown once; only its hash is stored)\n";
    return 0;
}

}  // namespace

int main_command(int argc, char** argv) {
    configure_logging();
    CLI::App cli{
        "AI Lab: every training run on every machine, and a job queue for free GPUs.\n"
        "Usage: ailab CONFIG.json   (same as: ailab serve CONFIG.json)",
        "ailab"};
    cli.set_version_flag("--version", std::string("ailab ") + ailab::version);
    cli.require_subcommand(0, 1);

    std::string config_path;
    auto* serve_command = cli.add_subcommand("serve", "Start the server with a config file");
    serve_command->add_option("config", config_path, "Config file (JSON)")->required();

    cli.add_subcommand("hash-password",
                       "Read a password (terminal or stdin) and print its argon2id hash for the config");

    std::string init_file, init_results = "demo/results", init_state = "demo/state";
    int init_port = 12345;
    auto* init_command = cli.add_subcommand("init-config", "Write a loopback config with a generated password");
    init_command->add_option("file", init_file, "Config file to write")->required();
    init_command->add_option("--results", init_results, "Results folder");
    init_command->add_option("--state", init_state, "State folder (the config's queue)");
    init_command->add_option("--port", init_port, "Port")->check(CLI::Range(1, 65535));

    // login, submit, jobs, logs, cancel, restart: the client (src/client).
    auto client_commands = client::add_commands(cli);

    // The users' existing command is `ailab my_config.json`: a first argument that is neither a
    // flag nor a subcommand is a config file to serve.
    if (argc >= 2 && argv[1][0] != '-') {
        std::string first = argv[1];
        bool is_subcommand = false;
        for (const auto* command : cli.get_subcommands([](CLI::App*) { return true; }))
            is_subcommand = is_subcommand || command->get_name() == first;
        if (!is_subcommand) return serve(first);
    }

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return cli.exit(error) == 0 ? 0 : 2;
    }
    if (*serve_command) return serve(config_path);
    if (cli.got_subcommand("hash-password")) return hash_password_command();
    if (*init_command) return init_config_command(init_file, init_results, init_state, init_port);
    if (auto code = client_commands->run()) return *code;
    std::cout << cli.help();
    return 2;
}

}  // namespace ailab::app
