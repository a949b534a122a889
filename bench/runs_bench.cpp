// Benchmarks of the runs module. bench/runs_bench.sh generates the data and runs the modes below,
// then prints the table that goes into bench/RESULTS.md.
//
//   ailab_runs_bench cold RESULTS [--idle-seconds N] [--appends N]
//       in process: cold start until every run's state is known, full index (GB/s), resident memory
//       after it, idle CPU, and append -> hub delivery latency
//   ailab_runs_bench raw RESULTS [--rounds N]
//       the full index against the raw simdjson parse speed of the same bytes (per line with the
//       DOM parser, and parse_many) and this module's line parser + fold on the same in-memory
//       bytes, alternating, best of N rounds (the machine is shared)
//   ailab_runs_bench serve BINARY CONFIG PORT TOKEN RUNS OUTPUT
//       end to end: starts `ailab` (stdout/stderr to OUTPUT) and times exec -> the first GET
//       /api/v1/runs (with a token from an earlier start; tokens persist) that lists RUNS runs;
//       prints the server's PID and leaves it running
//   ailab_runs_bench ws PORT TOKEN LOG_FILE RUN_ID [--appends N]
//       end to end against a running `ailab`: append a line -> runs.points on a WebSocket
//   ailab_runs_bench [--benchmark_filter=...]
//       Google Benchmark micro benchmarks of one line

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "net/hub.hpp"
#include "runs/line_parser.hpp"
#include "runs/run_state.hpp"
#include "runs/service.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

long resident_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

std::vector<fs::path> find_logs(const fs::path& root) {
    std::vector<fs::path> logs;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied);
         it != fs::recursive_directory_iterator(); ++it) {
        if (it->is_regular_file() && (it->path().filename() == "ailab.log" || it->path().filename() == "log.txt"))
            logs.push_back(it->path());
    }
    std::sort(logs.begin(), logs.end());
    return logs;
}

std::uint64_t total_bytes(const std::vector<fs::path>& logs) {
    std::uint64_t bytes = 0;
    for (const auto& log : logs) bytes += fs::file_size(log);
    return bytes;
}

std::string local_timestamp() {
    auto now = std::chrono::system_clock::now();
    auto seconds = std::chrono::system_clock::to_time_t(now);
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1'000'000;
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%06lld", static_cast<long long>(micros));
    return std::string(text) + fraction;
}

void append_line(const fs::path& log, long step) {
    std::string line =
        "{\"timestamp\": \"" + local_timestamp() +
        "\", \"goal\": \"train 10/10\", \"progress\": 0.999, \"loss\": 0.123, \"step\": " + std::to_string(step) +
        "}\n";
    int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + log.string());
    [[maybe_unused]] auto written = ::write(fd, line.data(), line.size());
    ::close(fd);
}

// Machine-readable lines for bench/runs_bench.sh: "RESULT <key> <value>".
void result(const std::string& key, double value) { std::cout << "RESULT " << key << " " << value << "\n"; }

struct Percentiles {
    double p50, p99, max;
};
Percentiles percentiles(std::vector<double> values) {
    if (values.empty()) return {-1, -1, -1};
    std::sort(values.begin(), values.end());
    auto at = [&](double q) {
        return values[std::min(values.size() - 1, static_cast<std::size_t>(q * values.size()))];
    };
    return {at(0.5), at(0.99), values.back()};
}

// Collects the arrival time of each step seen in runs.points messages of one run.
class StepArrivals {
public:
    explicit StepArrivals(std::string id) : id_(std::move(id)) {}
    void message(const std::string& text) {
        auto now = Clock::now();
        boost::system::error_code error;
        auto value = boost::json::parse(text, error);
        if (error || !value.is_object()) return;
        const auto& object = value.as_object();
        auto type = object.if_contains("type");
        if (type && type->as_string() == "runs.batch") {
            for (const auto& event : object.at("events").as_array()) record(event.as_object(), now);
        } else {
            record(object, now);
        }
    }
    void record(const boost::json::object& object, Clock::time_point now) {
        auto type = object.if_contains("type");
        auto id = object.if_contains("id");
        if (!type || !id || type->as_string() != "runs.points" || id->as_string() != id_) return;
        std::lock_guard lock(mutex_);
        for (const auto& point : object.at("points").as_array())
            arrivals_.emplace(static_cast<long>(point.at("step").to_number<double>()), now);
        arrived_.notify_all();
    }
    std::optional<Clock::time_point> wait(long step, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        if (!arrived_.wait_for(lock, timeout, [&] { return arrivals_.count(step) > 0; })) return std::nullopt;
        return arrivals_[step];
    }

private:
    std::string id_;
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::map<long, Clock::time_point> arrivals_;
};

// Appends `count` lines to `log`, 100-300 ms apart (a busy training loop logs about once a second),
// and returns the append -> arrival latencies in milliseconds.
std::vector<double> measure_appends(const fs::path& log, StepArrivals& arrivals, int count) {
    std::vector<double> latencies;
    std::mt19937 random(42);
    std::uniform_int_distribution<int> pause_ms(100, 300);
    long base = 10'000'000;
    for (int i = 0; i < count; ++i) {
        long step = base + i;
        auto sent = Clock::now();
        append_line(log, step);
        auto arrived = arrivals.wait(step, 5s);
        if (arrived)
            latencies.push_back(std::chrono::duration<double, std::milli>(*arrived - sent).count());
        else
            std::cerr << "step " << step << ": no runs.points within 5 s\n";
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    }
    return latencies;
}

class ArrivalClient : public ailab::net::HubClient {
public:
    explicit ArrivalClient(StepArrivals& arrivals) : arrivals_(arrivals) {}
    void deliver(ailab::net::SharedMessage message) override { arrivals_.message(*message); }

private:
    StepArrivals& arrivals_;
};

int cold_mode(const fs::path& results, int idle_seconds, int appends) {
    ailab::runs::Settings settings;
    settings.poll_interval = 1000ms;
    ailab::net::Hub hub;
    std::cout << "simdjson kernel: " << ailab::runs::simdjson_kernel_name() << "\n";
    long rss_before = resident_kib();

    auto start = Clock::now();
    ailab::runs::RunService service(results, settings, hub);
    service.start();
    auto counts = service.count_by_state();
    double cold = seconds_since(start);
    std::size_t runs = 0;
    std::string states;
    for (const auto& [state, count] : counts) {
        runs += count;
        if (count) states += state + "=" + std::to_string(count) + " ";
    }
    auto list_start = Clock::now();
    auto listed = service.list();
    double list_seconds = seconds_since(list_start);
    std::cout << "cold start: " << runs << " runs, states known after " << cold * 1000 << " ms (" << states << ")\n";
    std::cout << "list of all summaries after start: " << list_seconds * 1000 << " ms (" << listed.size() << " runs)\n";
    result("runs", static_cast<double>(runs));
    result("cold_seconds", cold);
    result("list_seconds", list_seconds);

    // The full index runs in the background from the end of start(); time it from there.
    double cpu_before_index = cpu_seconds();
    if (!service.wait_until_indexed(std::chrono::minutes(30))) {
        std::cerr << "full index did not finish\n";
        return 1;
    }
    double index_seconds = seconds_since(start) - cold;
    double index_cpu = cpu_seconds() - cpu_before_index;
    auto logs = find_logs(results);
    double gigabytes = static_cast<double>(total_bytes(logs)) / 1e9;
    std::cout << "full index: " << gigabytes << " GB in " << index_seconds
              << " s after start() returned = " << gigabytes / index_seconds << " GB/s (" << index_cpu << " s CPU)\n";
    result("index_gigabytes", gigabytes);
    result("index_seconds", index_seconds);
    result("index_gb_per_s", gigabytes / index_seconds);
    long rss = resident_kib();
    std::cout << "resident memory after full index: " << rss / 1024.0 << " MiB (" << (rss - rss_before) / 1024.0
              << " MiB more than before start; metric history " << service.history_bytes() / 1048576.0 << " MiB)\n";
    std::cout << "watching with inotify: " << (service.watching() ? "yes" : "no") << "\n";
    result("rss_mib", rss / 1024.0);
    result("history_mib", static_cast<double>(service.history_bytes()) / 1048576.0);

    if (idle_seconds > 0) {
        double cpu_start = cpu_seconds();
        auto wall_start = Clock::now();
        std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
        double percent = 100.0 * (cpu_seconds() - cpu_start) / seconds_since(wall_start);
        std::cout << "idle CPU over " << idle_seconds << " s: " << percent << " % of a core\n";
        result("idle_cpu_percent", percent);
    }

    if (appends > 0 && !listed.empty()) {
        // Append to a run that is not the first, through the hub (no network).
        const auto& target = listed[listed.size() / 2];
        StepArrivals arrivals(target.id);
        auto client = std::make_shared<ArrivalClient>(arrivals);
        hub.subscribe(client, "runs");
        auto latencies = measure_appends(results / target.path / target.log_file, arrivals, appends);
        auto p = percentiles(latencies);
        std::cout << "append -> hub delivery (in process) over " << latencies.size() << " appends: p50 " << p.p50
                  << " ms, p99 " << p.p99 << " ms, max " << p.max << " ms\n";
        result("append_hub_p50_ms", p.p50);
        result("append_hub_p99_ms", p.p99);
    }
    service.stop();
    return 0;
}

// Time of one full index: a fresh RunService from the end of start() until its index is done.
double full_index_seconds(const fs::path& results) {
    ailab::net::Hub hub;
    ailab::runs::RunService service(results, ailab::runs::Settings{}, hub);
    service.start();
    auto start = Clock::now();
    service.wait_until_indexed(std::chrono::minutes(30));
    return seconds_since(start);
}

// The machine is shared, so the full index and the raw parses alternate, three rounds, and the
// best time of each counts.
int raw_mode(const fs::path& results, int rounds) {
    auto logs = find_logs(results);
    std::cout << "simdjson kernel: " << simdjson::get_active_implementation()->name() << " (DOM, runtime dispatch)\n";
    std::uint64_t bytes = total_bytes(logs);
    double best_index = 1e300, best_dom = 1e300, best_many = 1e300, best_module = 1e300;
    std::uint64_t dom_documents = 0, many_documents = 0, module_lines = 0;
    simdjson::dom::parser parser;
    simdjson::dom::parser stream_parser;
    ailab::runs::LineParser line_parser;
    ailab::runs::ParsedLine parsed;
    for (int round = 0; round < rounds; ++round) {
        best_index = std::min(best_index, full_index_seconds(results));
        double dom_seconds = 0, many_seconds = 0, module_seconds = 0;
        dom_documents = many_documents = module_lines = 0;
        for (const auto& log : logs) {
            simdjson::padded_string text;
            if (simdjson::padded_string::load(log.string()).get(text)) continue;  // I/O not timed
            const char* data = text.data();
            std::size_t size = text.size();

            auto start = Clock::now();
            for (std::size_t position = 0; position < size;) {
                auto* newline = static_cast<const char*>(std::memchr(data + position, '\n', size - position));
                std::size_t end = newline ? static_cast<std::size_t>(newline - data) : size;
                simdjson::dom::element element;
                if (end > position && !parser.parse(data + position, end - position, false).get(element))
                    ++dom_documents;
                position = end + 1;
            }
            dom_seconds += seconds_since(start);

            start = Clock::now();
            simdjson::dom::document_stream stream;
            if (!stream_parser.parse_many(text).get(stream)) {
                for (auto document : stream) {
                    simdjson::dom::element element;
                    if (!document.get(element)) ++many_documents;
                }
            }
            many_seconds += seconds_since(start);

            start = Clock::now();
            ailab::runs::RunFold fold;
            for (std::size_t position = 0; position < size;) {
                auto* newline = static_cast<const char*>(std::memchr(data + position, '\n', size - position));
                std::size_t end = newline ? static_cast<std::size_t>(newline - data) : size;
                if (line_parser.parse_padded(std::string_view(data + position, end - position), parsed) ==
                    ailab::runs::LineError::none) {
                    fold.add(parsed);
                    ++module_lines;
                }
                position = end + 1;
            }
            module_seconds += seconds_since(start);
        }
        best_dom = std::min(best_dom, dom_seconds);
        best_many = std::min(best_many, many_seconds);
        best_module = std::min(best_module, module_seconds);
    }
    double gigabytes = static_cast<double>(bytes) / 1e9;
    std::cout << "best of " << rounds << " rounds, " << gigabytes << " GB:\n";
    std::cout << "full index (pread + parse + fold + history, 1 thread): " << gigabytes / best_index << " GB/s\n";
    std::cout << "raw simdjson DOM, one parse per line: " << gigabytes / best_dom << " GB/s (" << dom_documents
              << " documents)\n";
    std::cout << "raw simdjson DOM parse_many (whole file): " << gigabytes / best_many << " GB/s (" << many_documents
              << " documents)\n";
    std::cout << "LineParser + fold, in memory: " << gigabytes / best_module << " GB/s (" << module_lines
              << " lines)\n";
    std::cout << "full index / raw DOM per line: " << best_dom / best_index << "\n";
    result("best_index_gb_per_s", gigabytes / best_index);
    result("raw_dom_gb_per_s", gigabytes / best_dom);
    result("raw_parse_many_gb_per_s", gigabytes / best_many);
    result("module_parse_gb_per_s", gigabytes / best_module);
    result("index_to_raw", best_dom / best_index);
    return 0;
}

int ws_mode(const std::string& port, const std::string& token, const fs::path& log, const std::string& id,
            int appends) {
    namespace beast = boost::beast;
    namespace websocket = beast::websocket;
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    websocket::stream<boost::asio::ip::tcp::socket> ws(io);
    boost::asio::connect(ws.next_layer(), resolver.resolve("127.0.0.1", port));
    ws.handshake("127.0.0.1:" + port, "/api/v1/ws");
    beast::flat_buffer buffer;
    auto send = [&](const boost::json::value& value) { ws.write(boost::asio::buffer(boost::json::serialize(value))); };
    auto receive = [&] {
        buffer.clear();
        ws.read(buffer);
        return beast::buffers_to_string(buffer.data());
    };
    send({{"type", "auth"}, {"token", token}});
    if (receive().find("auth.ok") == std::string::npos) {
        std::cerr << "WebSocket authentication failed\n";
        return 1;
    }
    send({{"type", "subscribe"}, {"topics", {"runs"}}});
    while (receive().find("subscribed") == std::string::npos) {
    }
    StepArrivals arrivals(id);
    std::thread reader([&] {
        try {
            while (true) arrivals.message(receive());
        } catch (const std::exception&) {
        }
    });
    auto latencies = measure_appends(log, arrivals, appends);
    boost::system::error_code ignored;
    ws.next_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    ws.next_layer().close(ignored);
    reader.join();
    auto p = percentiles(latencies);
    std::cout << "append -> WebSocket runs.points (end to end) over " << latencies.size() << " appends: p50 " << p.p50
              << " ms, p99 " << p.p99 << " ms, max " << p.max << " ms\n";
    result("append_ws_p50_ms", p.p50);
    result("append_ws_p99_ms", p.p99);
    result("append_ws_max_ms", p.max);
    return latencies.size() == static_cast<std::size_t>(appends) ? 0 : 1;
}

// GET target with a bearer token; status 0 when the connection failed.
std::pair<int, std::string> http_get(const std::string& port, const std::string& target, const std::string& token) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    try {
        boost::asio::io_context io;
        boost::asio::ip::tcp::resolver resolver(io);
        beast::tcp_stream stream(io);
        stream.connect(resolver.resolve("127.0.0.1", port));
        http::request<http::empty_body> request(http::verb::get, target, 11);
        request.set(http::field::host, "127.0.0.1:" + port);
        request.set(http::field::authorization, "Bearer " + token);
        http::write(stream, request);
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(std::uint64_t{1} << 32);
        http::read(stream, buffer, parser);
        boost::system::error_code ignored;
        stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
        auto response = parser.release();
        return {static_cast<int>(response.result_int()), std::move(response.body())};
    } catch (const std::exception&) {
        return {0, ""};
    }
}

std::size_t count_occurrences(const std::string& text, std::string_view needle) {
    std::size_t count = 0;
    for (auto position = text.find(needle); position != std::string::npos; position = text.find(needle, position + 1))
        ++count;
    return count;
}

int serve_mode(const std::string& binary, const std::string& config, const std::string& port, const std::string& token,
               std::size_t runs, const std::string& output) {
    auto launched = Clock::now();
    pid_t pid = fork();
    if (pid == 0) {
        int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(binary.c_str(), binary.c_str(), config.c_str(), nullptr);
        _exit(127);
    }
    double listed = -1;
    while (seconds_since(launched) < 120) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            std::cerr << "ailab exited during start-up\n";
            return 1;
        }
        auto [code, body] = http_get(port, "/api/v1/runs", token);
        // Every summary starts with {"id": -- the count says the list is complete.
        if (code == 200 && count_occurrences(body, "{\"id\":") == runs) {
            listed = seconds_since(launched);
            break;
        }
        std::this_thread::sleep_for(2ms);
    }
    if (listed < 0) {
        std::cerr << "GET /api/v1/runs never listed " << runs << " runs\n";
        return 1;
    }
    std::cout << "exec -> GET /api/v1/runs lists all " << runs << " runs: " << listed * 1000 << " ms\n";
    result("serve_cold_seconds", listed);
    result("pid", pid);
    return 0;
}

// --- micro benchmarks -----------------------------------------------------------------------
const std::string sample_line =
    R"({"timestamp": "2024-01-02 10:00:00.123456", "eta": "0:41:13", "goal": "train 4/10", "score": 0.997, )"
    R"("progress": 0.313, "loss": 0.50517, "lr": 0.001, "step": 1564})";

void BM_simdjson_dom_line(benchmark::State& state) {
    simdjson::padded_string text(sample_line);
    simdjson::dom::parser parser;
    for (auto _ : state) {
        simdjson::dom::element element;
        benchmark::DoNotOptimize(parser.parse(text).get(element));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sample_line.size()));
}
BENCHMARK(BM_simdjson_dom_line);

void BM_line_parser(benchmark::State& state) {
    std::string text = sample_line + std::string(ailab::runs::line_padding, '\0');
    ailab::runs::LineParser parser;
    ailab::runs::ParsedLine parsed;
    for (auto _ : state) {
        benchmark::DoNotOptimize(parser.parse_padded(std::string_view(text.data(), sample_line.size()), parsed));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sample_line.size()));
}
BENCHMARK(BM_line_parser);

void BM_line_parser_and_fold(benchmark::State& state) {
    std::string text = sample_line + std::string(ailab::runs::line_padding, '\0');
    ailab::runs::LineParser parser;
    ailab::runs::ParsedLine parsed;
    ailab::runs::RunFold fold;
    for (auto _ : state) {
        parser.parse_padded(std::string_view(text.data(), sample_line.size()), parsed);
        benchmark::DoNotOptimize(fold.add(parsed));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sample_line.size()));
}
BENCHMARK(BM_line_parser_and_fold);

int option(int argc, char** argv, const std::string& name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] == name) return std::stoi(argv[i + 1]);
    }
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "cold" && argc >= 3)
            return cold_mode(argv[2], option(argc, argv, "--idle-seconds", 0), option(argc, argv, "--appends", 0));
        if (mode == "raw" && argc >= 3) return raw_mode(argv[2], option(argc, argv, "--rounds", 3));
        if (mode == "serve" && argc >= 8)
            return serve_mode(argv[2], argv[3], argv[4], argv[5], std::stoul(argv[6]), argv[7]);
        if (mode == "ws" && argc >= 6)
            return ws_mode(argv[2], argv[3], argv[4], argv[5], option(argc, argv, "--appends", 100));
    } catch (const std::exception& error) {
        std::cerr << "error: " << error.what() << "\n";
        return 1;
    }
    if (!mode.empty() && mode.rfind("--", 0) != 0) {
        std::cerr << "usage: ailab_runs_bench cold|raw RESULTS [--idle-seconds N] [--appends N] [--rounds N]\n"
                     "       ailab_runs_bench serve BINARY CONFIG PORT TOKEN RUNS OUTPUT\n"
                     "       ailab_runs_bench ws PORT TOKEN LOG_FILE RUN_ID [--appends N]\n"
                     "       ailab_runs_bench [--benchmark_filter=...]\n";
        return 2;
    }
    std::cout << "simdjson kernel: " << simdjson::get_active_implementation()->name() << "\n";
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
