// Issue 13's figures: TensorBoard event files read natively.
//
// usage: ailab_formats_bench [--runs N] [--kib K] [--appends N] [--rounds N]
//
// Writes N runs (default 100) of K KiB (default 200) of SummaryWriter-style scalar events (one
// `simple_value` per event, as add_scalar writes them: about 420,000 points in all) with the
// tests' own writer (tests/support/tfevents_writer.hpp) into a temp folder, then measures, best of
// `rounds` (the machine is shared):
// - the raw loop on the same bytes (read each file, TFRecord framing with both CRC32C checks, the
//   Event decoder), the reference: what any reader must pay at least;
// - the cold index: RunService::start() (discovery, then every event file read whole into each
//   run's fold and metric history) until every state and every point is known;
// - append → hub delivery: `appends` events appended to one run's file 100-300 ms apart, the time
//   until runs.points carries each step (in process, no network);
// - resident memory after the index, and the metric history's size.
// Prints a table and RESULT lines; deletes its data.

#include <sys/resource.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
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
#include "runs/formats/crc32c.hpp"
#include "runs/formats/tf_event.hpp"
#include "runs/formats/tfrecord.hpp"
#include "runs/service.hpp"
#include "support/tfevents_writer.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace tfe = ailab::testing::tfevents;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

long resident_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

void result(const std::string& key, double value) { std::cout << "RESULT " << key << " " << value << "\n"; }

double wall_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

// One run's event file: scalars of four tags, as a training loop's add_scalar calls write them.
std::string run_events(std::size_t target_bytes, double start_time, std::mt19937& random) {
    static const char* tags[] = {"loss/train", "loss/val", "lr", "accuracy/train"};
    std::uniform_real_distribution<float> noise(0.0f, 1.0f);
    std::string file = tfe::frame(tfe::file_version_event(start_time));
    for (std::int64_t step = 0; file.size() < target_bytes; ++step) {
        for (const char* tag : tags)
            file +=
                tfe::frame(tfe::scalar_event(start_time + static_cast<double>(step) * 0.1, step, tag, noise(random)));
    }
    return file;
}

struct RawFigures {
    double seconds = 0;
    std::uint64_t bytes = 0;
    std::uint64_t points = 0;
};

// The reference: read, frame, check both CRCs and decode every event of every file.
RawFigures raw_loop(const std::vector<fs::path>& files) {
    RawFigures figures;
    std::string data;
    ailab::runs::formats::TfEvent event;
    auto start = Clock::now();
    for (const auto& path : files) {
        std::ifstream in(path, std::ios::binary);
        data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        figures.bytes += data.size();
        std::string_view rest(data);
        while (!rest.empty()) {
            auto frame = ailab::runs::formats::next_frame(rest, std::uint64_t{64} << 20);
            if (frame.status == ailab::runs::formats::FrameStatus::partial) break;
            rest.remove_prefix(frame.consumed);
            if (frame.status != ailab::runs::formats::FrameStatus::record) continue;
            if (ailab::runs::formats::decode_event(frame.data, event) == ailab::runs::formats::DecodeError::none)
                figures.points += event.scalars.size();
        }
    }
    figures.seconds = seconds_since(start);
    return figures;
}

// Collects when each step of one run arrived in runs.points.
class Arrivals final : public ailab::net::HubClient {
public:
    explicit Arrivals(std::string id) : id_(std::move(id)) {}
    void deliver(ailab::net::SharedMessage message) override {
        auto now = Clock::now();
        boost::system::error_code error;
        auto value = boost::json::parse(*message, error);
        if (error || !value.is_object()) return;
        const auto& object = value.as_object();
        if (auto* events = object.if_contains("events"); events && events->is_array()) {
            for (const auto& one : events->as_array()) take(one.as_object(), now);
        } else {
            take(object, now);
        }
    }
    std::optional<Clock::time_point> wait(long step, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        if (!arrived_.wait_for(lock, timeout, [&] { return steps_.contains(step); })) return std::nullopt;
        return steps_[step];
    }

private:
    void take(const boost::json::object& object, Clock::time_point now) {
        auto* type = object.if_contains("type");
        auto* id = object.if_contains("id");
        if (!type || !id || type->as_string() != "runs.points" || id->as_string() != id_) return;
        std::lock_guard lock(mutex_);
        for (const auto& point : object.at("points").as_array())
            steps_.emplace(static_cast<long>(point.at("step").to_number<double>()), now);
        arrived_.notify_all();
    }
    std::string id_;
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::map<long, Clock::time_point> steps_;
};

int option(int argc, char** argv, const std::string& name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] == name) return std::stoi(argv[i + 1]);
    }
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = option(argc, argv, "--runs", 100);
    int kib = option(argc, argv, "--kib", 200);
    int appends = option(argc, argv, "--appends", 50);
    int rounds = option(argc, argv, "--rounds", 5);
    fs::path work = fs::temp_directory_path() / ("ailab-formats-bench-" + std::to_string(::getpid()));
    fs::path results = work / "results";
    std::vector<fs::path> files;
    std::mt19937 random(7);
    double start_time = wall_now() - 3600;
    for (int i = 0; i < runs; ++i) {
        fs::path folder = results / "tb" / ("run_" + std::to_string(i));
        fs::create_directories(folder);
        files.push_back(folder / "events.out.tfevents.1700000000.bench");
        std::ofstream(files.back(), std::ios::binary) << run_events(std::size_t(kib) * 1024, start_time, random);
    }
    std::cout << "CRC32C: " << ailab::runs::formats::crc32c_implementation() << "\n";

    RawFigures raw;
    raw.seconds = 1e300;
    double best_cold = 1e300;
    std::size_t indexed_points = 0;
    for (int round = 0; round < rounds; ++round) {
        auto figures = raw_loop(files);
        if (figures.seconds < raw.seconds) raw = figures;
        ailab::net::Hub hub;
        ailab::runs::RunService service(results, ailab::runs::Settings{}, hub);
        auto start = Clock::now();
        service.start();
        double cold = seconds_since(start);
        best_cold = std::min(best_cold, cold);
        indexed_points = 0;
        for (const auto& summary : service.list()) indexed_points += summary.lines.value_or(0) * 1;
        service.stop();
    }
    double megabytes = static_cast<double>(raw.bytes) / 1e6;

    // Live appends and memory, on one more service.
    ailab::net::Hub hub;
    hub.declare_topic("runs");
    ailab::runs::Settings settings;
    ailab::runs::RunService service(results, settings, hub);
    service.start();
    service.wait_until_indexed(1min);
    long rss = resident_kib();
    auto listed = service.list();
    std::vector<double> latencies;
    if (!listed.empty() && appends > 0) {
        const auto& target = listed[listed.size() / 2];
        auto arrivals = std::make_shared<Arrivals>(target.id);
        hub.subscribe(arrivals, "runs");
        fs::path file = results / target.path / target.log_file;
        std::uniform_int_distribution<int> pause_ms(100, 300);
        for (int i = 0; i < appends; ++i) {
            long step = 10'000'000 + i;
            auto sent = Clock::now();
            {
                std::ofstream out(file, std::ios::app | std::ios::binary);
                out << tfe::frame(tfe::scalar_event(wall_now(), step, "loss/train", 0.5f));
            }
            if (auto arrived = arrivals->wait(step, 5s))
                latencies.push_back(std::chrono::duration<double, std::milli>(*arrived - sent).count());
            else
                std::cerr << "step " << step << ": no runs.points within 5 s\n";
            std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
        }
    }
    double history_mib = static_cast<double>(service.history_bytes()) / 1048576.0;
    service.stop();
    std::sort(latencies.begin(), latencies.end());
    auto percentile = [&](double q) {
        return latencies.empty() ? -1.0 : latencies[std::min(latencies.size() - 1, std::size_t(q * latencies.size()))];
    };

    std::cout << "\n| figure | value |\n| --- | --- |\n";
    std::cout << "| data | " << runs << " runs x " << kib << " KiB = " << megabytes << " MB, " << raw.points
              << " points |\n";
    std::cout << "| raw loop (read + framing + 2 CRC32C + decode), 1 thread | " << raw.seconds * 1000
              << " ms = " << megabytes / raw.seconds << " MB/s, " << raw.points / raw.seconds / 1e6
              << " M points/s |\n";
    std::cout << "| cold index (RunService::start: discovery + every event read into folds and history) | "
              << best_cold * 1000 << " ms = " << megabytes / best_cold << " MB/s, "
              << static_cast<double>(indexed_points) / best_cold / 1e6 << " M records/s |\n";
    std::cout << "| append -> runs.points (in process), " << latencies.size() << " appends | p50 " << percentile(0.5)
              << " ms, p99 " << percentile(0.99) << " ms, max " << (latencies.empty() ? -1 : latencies.back())
              << " ms |\n";
    std::cout << "| resident memory after the index | " << rss / 1024.0 << " MiB (metric history " << history_mib
              << " MiB) |\n";
    result("tb_megabytes", megabytes);
    result("tb_points", static_cast<double>(raw.points));
    result("tb_raw_ms", raw.seconds * 1000);
    result("tb_cold_index_ms", best_cold * 1000);
    result("tb_records_indexed", static_cast<double>(indexed_points));
    result("tb_append_p99_ms", percentile(0.99));
    result("tb_rss_mib", rss / 1024.0);
    fs::remove_all(work);
    return indexed_points > 0 ? 0 : 1;
}
