#pragma once
// Helpers of the supervisor and process tests: a temporary job folder, starting the real
// `ailab __supervise` (AILAB_BINARY) and waiting on real processes.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "jobs/job_folder.hpp"
#include "jobs/process.hpp"

namespace ailab::jobs::testing {

// A job folder under the temporary folder with an empty work/, removed at the end.
class JobFolder {
public:
    JobFolder() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("ailab-jobs-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_ / "work");
    }
    ~JobFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    JobFolder(const JobFolder&) = delete;
    JobFolder& operator=(const JobFolder&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path work() const { return path_ / "work"; }

    // spec.json for `/bin/sh -c script` (or argv), run in work/ with a plain PATH.
    JobSpec shell_spec(const std::string& script) const { return spec({"/bin/sh", "-c", script}); }
    JobSpec spec(std::vector<std::string> argv) const {
        JobSpec spec;
        spec.argv = std::move(argv);
        spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "AILAB_TEST=1"};
        spec.working_folder = work();
        spec.cancel_grace_s = 1;
        return spec;
    }
    void write(const JobSpec& spec) const {
        const auto written = write_spec(path_, spec);
        ASSERT_TRUE(written) << written.error().message;
    }

private:
    std::filesystem::path path_;
};

inline std::filesystem::path ailab_binary() { return AILAB_BINARY; }

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream input(path, std::ios::binary);
    std::ostringstream text;
    text << input.rdbuf();
    return text.str();
}

// Polls predicate every 5 ms until it holds or timeout passes; returns whether it held.
template <typename Predicate>
bool wait_until(Predicate predicate, std::chrono::milliseconds timeout = std::chrono::milliseconds(2500)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

// Waits for a child of this process (a supervisor from launch()) and returns its wait status.
inline int wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

// A supervisor started with launch() for the length of a test. One that was not waited for (a
// failed assertion left early) is cancelled and reaped at the end, so no job outlives its test.
class Launched {
public:
    explicit Launched(const JobFolder& folder) {
        auto record = launch(ailab_binary(), folder.path());
        if (record)
            record_ = *record;
        else
            ADD_FAILURE() << record.error().message;
    }
    ~Launched() {
        if (waiting_ && record_.supervisor_pid > 0) {
            ::kill(record_.supervisor_pid, SIGTERM);
            wait();
        }
    }
    Launched(const Launched&) = delete;
    Launched& operator=(const Launched&) = delete;

    bool ok() const { return record_.supervisor_pid > 0; }
    const ProcessRecord& record() const { return record_; }
    pid_t pid() const { return record_.supervisor_pid; }
    // Waits for the supervisor to exit and returns its wait status.
    int wait() {
        waiting_ = false;
        return wait_child(record_.supervisor_pid);
    }
    // Someone else (an ExitWatcher) reaped it.
    void forget() { waiting_ = false; }

private:
    ProcessRecord record_;
    bool waiting_ = true;
};

// Starts the supervisor and waits for it; the job's status.json is then written. Returns the
// supervisor's exit code (-1 when it did not exit normally).
inline int run_to_end(const JobFolder& folder) {
    auto record = launch(ailab_binary(), folder.path());
    EXPECT_TRUE(record) << record.error().message;
    if (!record) return -1;
    const int status = wait_child(record->supervisor_pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline ExitRecord exit_of(const JobFolder& folder) {
    auto record = read_exit(folder.path());
    EXPECT_TRUE(record) << record.error().message;
    EXPECT_TRUE(record && *record) << "no status.json";
    return record && *record ? **record : ExitRecord{};
}

// The command's pid from pid.json, once the supervisor wrote it (0 in the first write, before the
// spawn); 0 when it did not within the timeout.
inline pid_t wait_for_job_pid(const JobFolder& folder) {
    pid_t job_pid = 0;
    wait_until([&] {
        auto record = folder::read_pid_file(folder.path());
        job_pid = record && *record ? (*record)->job_pid : 0;
        return job_pid > 0;
    });
    return job_pid;
}

// Whether pid no longer runs: no /proc entry, or a zombie waiting for its parent (init).
inline bool process_gone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    return close == std::string::npos || line.size() < close + 3 || line[close + 2] == 'Z';
}

}  // namespace ailab::jobs::testing
