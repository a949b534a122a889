// The supervisor's share of a job's start (issue 9: POST /api/v1/jobs -> the job's process running
// within 2x of task-spooler's ~4 ms; the supervisor's part should be ~2 ms or less).
//
//   BM_LaunchToCommand/supervised  jobs::launch() of `/bin/sh -c 'date +%s%N > started'` until the
//                                  date ran: the clock before launch() against the time `date`
//                                  wrote. Counters: p50/p90 of that (ms), of launch() returning
//                                  (launch_*), and of pid.json's started_at (pid_*: the supervisor
//                                  is up, holds the lock, has read spec.json; the spawn follows).
//   BM_LaunchToCommand/launcher    the same through jobs::Launcher: `ailab __launcher`, started once
//                                  before the loop, forks each supervisor (no exec, no loader).
//   BM_LaunchToCommand/direct      the same command started with posix_spawn straight from here:
//                                  the floor that fork + exec of sh + date cost on this machine.
//
// The ailab binary is found beside the build folder (<build>/ailab), or at $AILAB_BINARY.
#include <benchmark/benchmark.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "jobs/job_folder.hpp"
#include "jobs/launcher.hpp"
#include "jobs/process.hpp"

namespace {

using namespace ailab;

constexpr const char* command_text = "date +%s%N > started";

std::filesystem::path ailab_binary() {
    if (const char* path = std::getenv("AILAB_BINARY")) return path;
    // <build>/bench/ailab_jobs_bench -> <build>/ailab
    return std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "ailab";
}

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double started_ns(const std::filesystem::path& file) {
    std::ifstream input(file);
    double value = 0;
    input >> value;
    return value;
}

double percentile(std::vector<double> samples, double fraction) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    return samples[std::min(samples.size() - 1, static_cast<std::size_t>(fraction * samples.size()))];
}

void report(benchmark::State& state, const char* name, const std::vector<double>& samples) {
    state.counters[std::string(name) + "p50_ms"] = percentile(samples, 0.5);
    state.counters[std::string(name) + "p90_ms"] = percentile(samples, 0.9);
}

// Waits for a supervisor that is not this process's child (the launcher's): its pidfd turns
// readable when it exits. Gone already is fine too.
void wait_for_exit(pid_t pid) {
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) return;
    pollfd descriptor{pidfd, POLLIN, 0};
    while (::poll(&descriptor, 1, -1) < 0 && errno == EINTR) {
    }
    ::close(pidfd);
}

// One supervised launch per iteration through `start` (jobs::launch() or Launcher::launch()),
// waited for with `wait`.
template <typename Start, typename Wait>
void launch_to_command(benchmark::State& state, const char* tag, Start start, Wait wait) {
    const auto root =
        std::filesystem::temp_directory_path() / ("ailab-jobs-bench-" + std::string(tag) + std::to_string(::getpid()));
    std::vector<double> command_ms;
    std::vector<double> launch_ms;
    std::vector<double> pid_ms;
    int index = 0;
    for (auto _ : state) {
        const auto folder = root / std::to_string(index++);
        std::filesystem::create_directories(folder / "work");
        jobs::JobSpec spec;
        spec.argv = {"/bin/sh", "-c", command_text};
        spec.env = {"PATH=/usr/bin:/bin"};
        spec.working_folder = folder / "work";
        if (!jobs::write_spec(folder, spec)) state.SkipWithError("cannot write spec.json");

        const auto before = now_ns();
        auto record = start(folder);
        const auto launched = now_ns();
        if (!record) {
            state.SkipWithError(record.error().message.c_str());
            break;
        }
        wait(record->supervisor_pid);
        const double command_at = started_ns(folder / "work" / "started");
        const auto pid_file = jobs::folder::read_pid_file(folder);
        if (command_at == 0 || !pid_file || !*pid_file) {
            state.SkipWithError("the command did not run");
            break;
        }
        command_ms.push_back((command_at - static_cast<double>(before)) / 1e6);
        launch_ms.push_back(static_cast<double>(launched - before) / 1e6);
        pid_ms.push_back(((*pid_file)->started_at * 1e9 - static_cast<double>(before)) / 1e6);
        state.SetIterationTime(command_ms.back() / 1e3);
    }
    std::filesystem::remove_all(root);
    report(state, "", command_ms);
    report(state, "launch_", launch_ms);
    report(state, "pid_", pid_ms);
}

void BM_LaunchToCommand_supervised(benchmark::State& state) {
    const auto self = ailab_binary();
    launch_to_command(
        state, "supervised-", [&](const std::filesystem::path& folder) { return jobs::launch(self, folder); },
        [](pid_t pid) {
            int status = 0;
            ::waitpid(pid, &status, 0);
        });
}
BENCHMARK(BM_LaunchToCommand_supervised)->Iterations(50)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_LaunchToCommand_launcher(benchmark::State& state) {
    jobs::Launcher launcher;
    if (auto started = launcher.start(ailab_binary()); !started) {
        state.SkipWithError(started.error().message.c_str());
        return;
    }
    // The launcher itself starts once, with the server: give it the time to reach its loop.
    ::usleep(50'000);
    launch_to_command(
        state, "launcher-", [&](const std::filesystem::path& folder) { return launcher.launch(folder); },
        wait_for_exit);
    if (launcher.pid() <= 0) state.SkipWithError("the launcher fell back to posix_spawn");
}
BENCHMARK(BM_LaunchToCommand_launcher)->Iterations(50)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_LaunchToCommand_direct(benchmark::State& state) {
    const auto root =
        std::filesystem::temp_directory_path() / ("ailab-jobs-bench-direct-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root);
    std::vector<double> command_ms;
    const std::string path = (root / "started").string();
    const std::string text = std::string("date +%s%N > ") + path;
    for (auto _ : state) {
        const auto before = now_ns();
        char* argv[] = {const_cast<char*>("/bin/sh"), const_cast<char*>("-c"), const_cast<char*>(text.c_str()),
                        nullptr};
        pid_t pid = 0;
        if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, environ) != 0) {
            state.SkipWithError("posix_spawn failed");
            break;
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        command_ms.push_back((started_ns(path) - static_cast<double>(before)) / 1e6);
        state.SetIterationTime(command_ms.back() / 1e3);
    }
    std::filesystem::remove_all(root);
    report(state, "", command_ms);
}
BENCHMARK(BM_LaunchToCommand_direct)->Iterations(50)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
