#include "harness.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <iterator>

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ailab::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ailab-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ignored);
    std::filesystem::remove_all(path_, ignored);
}

std::uint16_t free_port() {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

boost::json::value HttpResult::json() const { return boost::json::parse(body); }

std::string HttpResult::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
}

namespace {

template <class Stream>
HttpResult exchange(Stream& stream, const std::string& method, const std::string& target, const std::string& body,
                    const HttpOptions& options, std::uint16_t port) {
    HttpResult result;
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    if (!options.token.empty()) request.set(http::field::authorization, "Bearer " + options.token);
    for (const auto& [name, value] : options.headers) request.set(name, value);
    if (!body.empty()) {
        request.set(http::field::content_type, "application/json");
        request.body() = body;
    }
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 32);
    if (method == "HEAD") parser.skip(true);
    http::read(stream, buffer, parser);
    auto& response = parser.get();
    result.status = response.result_int();
    result.body = response.body();
    for (const auto& field : response) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        result.headers[name] = std::string(field.value());
    }
    return result;
}

}  // namespace

HttpResult http_request(std::uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body, const HttpOptions& options) {
    asio::io_context io;
    try {
        beast::tcp_stream tcp_stream(io);
        tcp_stream.expires_after(options.timeout);
        tcp_stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        if (!options.tls) return exchange(tcp_stream, method, target, body, options, port);
        asio::ssl::context context(asio::ssl::context::tls_client);
        context.set_verify_mode(asio::ssl::verify_none);
        beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), context);
        stream.handshake(asio::ssl::stream_base::client);
        return exchange(stream, method, target, body, options, port);
    } catch (const std::exception& error) {
        HttpResult result;
        result.error = error.what();
        return result;
    }
}

ProgramResult run_program(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds timeout) {
    int in_pipe[2], out_pipe[2];
    if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(out_pipe[1], 2);
        // Only 0, 1 and 2 reach the program: a daemon it starts must not keep the pipe open (the
        // caller reads to its end).
        close(in_pipe[0]);
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(out_pipe[1]);
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    if (!input.empty() && write(in_pipe[1], input.data(), input.size()) < 0) {
    }
    close(in_pipe[1]);
    ProgramResult result;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buffer[4096];
    for (;;) {
        pollfd descriptor{out_pipe[0], POLLIN, 0};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        if (poll(&descriptor, 1, static_cast<int>(left.count())) <= 0) continue;
        auto size = read(out_pipe[0], buffer, sizeof buffer);
        if (size <= 0) break;
        result.output.append(buffer, static_cast<std::size_t>(size));
    }
    close(out_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

ServerProcess::ServerProcess(boost::json::object overrides) {
    port_ = free_port();
    for (const auto* folder : {"results", "workspace", "state"})
        std::filesystem::create_directories(temp_.path() / folder);
    config_ = {{"host", "127.0.0.1"},
               {"port", port_},
               {"users", boost::json::object{{"admin", test_password}}},
               {"workspace", (temp_.path() / "workspace").string()},
               {"results", (temp_.path() / "results").string()},
               {"queue", (temp_.path() / "state").string()},
               {"auto_detect_experiments", false},
               {"projects", boost::json::object{}},
               {"gpus", boost::json::array{}},
               {"poll_interval_ms", 200}};
    for (const auto& [key, value] : overrides) config_[key] = value;
    tls_ = config_.contains("tls") && !(config_["tls"].is_bool() && !config_["tls"].as_bool());
}

ServerProcess::~ServerProcess() {
    // Every test ends with a clean SIGTERM shutdown: a server that hangs, crashes, or (in the
    // sanitizer build) reports an error at exit fails the test that started it.
    if (pid_ <= 0) return;
    int code = stop(SIGTERM);
    if (code != 0) {
        auto log = output();
        ADD_FAILURE() << "ailab did not shut down cleanly (exit status " << code << "):\n"
                      << (log.size() > 6000 ? log.substr(log.size() - 6000) : log);
    }
}

void ServerProcess::start() {
    {
        std::ofstream out(config_file());
        out << boost::json::serialize(config_);
    }
    auto log = (temp_.path() / "server.log").string();
    // A home of its own: shells of the terminal tests write their history there, not in the home
    // of whoever runs the tests (it goes with the temp folder).
    const auto home = (temp_.path() / "home").string();
    ::mkdir(home.c_str(), 0700);
    pid_ = fork();
    if (pid_ == 0) {
        // A test process that crashes must not leave its server behind.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (open_file_limit_ != 0) {
            rlimit limit{open_file_limit_, open_file_limit_};
            setrlimit(RLIMIT_NOFILE, &limit);
        }
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        ::setenv("HOME", home.c_str(), 1);
        execl(AILAB_BINARY, AILAB_BINARY, config_file().c_str(), nullptr);
        _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    HttpOptions options;
    options.tls = tls_;
    options.timeout = std::chrono::milliseconds(1000);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("ailab exited during start-up:\n" + output());
        }
        if (http_request(port_, "GET", "/api/v1/health", "", options).status == 200) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("ailab did not answer /api/v1/health within 20 s:\n" + output());
}

int ServerProcess::stop(int signal) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            pid_ = -1;
            return 128 + SIGKILL;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::size_t ServerProcess::resident_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    }
    return 0;
}

double ServerProcess::cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14 || index == 15) ticks += std::stod(field);
        if (index == 15) break;
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string run_id(const std::string& path) {
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : path) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
}

int open_idle_connection(std::uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
    int fd = open_idle_connection(port);
    if (fd < 0) return {};
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        auto count = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (count <= 0) break;
        sent += static_cast<std::size_t>(count);
    }
    std::string answer;
    char buffer[4096];
    for (;;) {
        auto count = recv(fd, buffer, sizeof buffer, 0);
        if (count <= 0) break;
        answer.append(buffer, static_cast<std::size_t>(count));
    }
    close(fd);
    return answer;
}

std::string ServerProcess::output() const {
    std::ifstream in(temp_.path() / "server.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string ServerProcess::login(const std::string& user, const std::string& password) {
    auto result =
        post("/api/v1/login", boost::json::serialize(boost::json::object{{"user", user}, {"password", password}}));
    if (result.status != 200)
        throw std::runtime_error("login failed: " + std::to_string(result.status) + " " + result.body);
    return std::string(result.json().at("token").as_string());
}

HttpResult ServerProcess::get(const std::string& target, const std::string& token) const {
    HttpOptions options;
    options.token = token;
    options.tls = tls_;
    return http_request(port_, "GET", target, "", options);
}

HttpResult ServerProcess::post(const std::string& target, const std::string& body, const std::string& token) const {
    HttpOptions options;
    options.token = token;
    options.tls = tls_;
    return http_request(port_, "POST", target, body, options);
}

struct WsClient::Impl {
    asio::io_context io;
    std::deque<std::string> pending;  // events of a "<topic>.batch" message not read yet
    std::size_t batches = 0;
    websocket::stream<beast::tcp_stream> ws{io};
    bool closed = false;
    int close_code = 0;
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}
WsClient::~WsClient() {
    if (!impl_->closed) {
        boost::system::error_code ignored;
        beast::get_lowest_layer(impl_->ws).socket().close(ignored);
    }
}

std::string WsClient::connect(std::uint16_t port, const std::string& origin, const std::string& path) {
    try {
        auto& ws = impl_->ws;
        beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(5));
        beast::get_lowest_layer(ws).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        if (!origin.empty()) {
            ws.set_option(websocket::stream_base::decorator(
                [origin](websocket::request_type& request) { request.set(http::field::origin, origin); }));
        }
        websocket::response_type response;
        boost::system::error_code error;
        ws.handshake(response, "127.0.0.1:" + std::to_string(port), path, error);
        if (error) return response.result_int() ? std::to_string(response.result_int()) : error.message();
        beast::get_lowest_layer(ws).expires_never();
        return "";
    } catch (const std::exception& error) {
        return error.what();
    }
}

bool WsClient::send(const std::string& text) {
    boost::system::error_code error;
    impl_->ws.text(true);
    impl_->ws.write(asio::buffer(text), error);
    return !error;
}

bool WsClient::send_binary(const std::string& bytes) {
    boost::system::error_code error;
    impl_->ws.binary(true);
    impl_->ws.write(asio::buffer(bytes), error);
    return !error;
}

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
    if (!impl_->pending.empty()) {
        auto event = std::move(impl_->pending.front());
        impl_->pending.pop_front();
        return event;
    }
    auto message = read_message(timeout);
    if (!message) return message;
    // A batch ({"type":"runs.batch","events":[...]}) is read as its events, in order.
    boost::system::error_code error;
    auto value = boost::json::parse(*message, error);
    if (error || !value.is_object()) return message;
    const auto* type = value.as_object().if_contains("type");
    const auto* events = value.as_object().if_contains("events");
    if (!type || !type->is_string() || !type->as_string().ends_with(".batch") || !events || !events->is_array())
        return message;
    ++impl_->batches;
    for (const auto& event : events->as_array()) impl_->pending.push_back(boost::json::serialize(event));
    if (impl_->pending.empty()) return read(timeout);
    auto first = std::move(impl_->pending.front());
    impl_->pending.pop_front();
    return first;
}

std::size_t WsClient::batches_read() const { return impl_->batches; }
bool WsClient::last_was_binary() const { return impl_->ws.got_binary(); }

std::optional<std::string> WsClient::read_message(std::chrono::milliseconds timeout) {
    if (impl_->closed) return std::nullopt;
    beast::flat_buffer buffer;
    std::optional<boost::system::error_code> result;
    impl_->ws.async_read(buffer, [&](boost::system::error_code error, std::size_t) { result = error; });
    impl_->io.restart();
    impl_->io.run_for(timeout);
    if (!result) {
        // Timed out: cancel and drain the aborted read; the stream is not used for reads afterwards.
        beast::get_lowest_layer(impl_->ws).socket().cancel();
        impl_->io.restart();
        impl_->io.run_for(std::chrono::seconds(1));
        impl_->closed = true;
        return std::nullopt;
    }
    if (*result) {
        impl_->closed = true;
        if (*result == websocket::error::closed) impl_->close_code = impl_->ws.reason().code;
        return std::nullopt;
    }
    return beast::buffers_to_string(buffer.data());
}

std::optional<boost::json::object> WsClient::read_type(const std::string& type, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto message = read(std::max(left, std::chrono::milliseconds(1)));
        if (!message) return std::nullopt;
        auto value = boost::json::parse(*message);
        if (value.is_object() && value.as_object().contains("type") && value.as_object().at("type").as_string() == type)
            return value.as_object();
    }
    return std::nullopt;
}

bool WsClient::closed() const { return impl_->closed; }
int WsClient::close_code() const { return impl_->close_code; }

bool WsClient::authenticate(const std::string& token) {
    if (!send(boost::json::serialize(boost::json::object{{"type", "auth"}, {"token", token}}))) return false;
    return read_type("auth.ok").has_value();
}

bool WsClient::subscribe(const std::vector<std::string>& topics) {
    boost::json::array list;
    for (const auto& topic : topics) list.emplace_back(topic);
    if (!send(boost::json::serialize(boost::json::object{{"type", "subscribe"}, {"topics", list}}))) return false;
    return read_type("subscribed").has_value();
}

}  // namespace ailab::testing
