// The server's side of the supervisor: the folder's files, launch(), probe() in its four states,
// read_process(), request_cancel() against pid reuse, and ExitWatcher on real processes.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <set>

#include "jobs/job_folder.hpp"
#include "jobs/process.hpp"
#include "process_support.hpp"

using namespace ailab::jobs;
using namespace ailab::jobs::testing;

namespace {

// Collects the jobs an ExitWatcher reported, for a test thread to wait on.
class Exits {
public:
    void add(JobId job) {
        std::lock_guard lock(mutex_);
        jobs_.push_back(job);
        changed_.notify_all();
    }
    bool wait_for(JobId job, std::chrono::milliseconds timeout = std::chrono::milliseconds(2500)) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return std::count(jobs_.begin(), jobs_.end(), job) > 0; });
    }
    std::vector<JobId> jobs() {
        std::lock_guard lock(mutex_);
        return jobs_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<JobId> jobs_;
};

// A child of the test that sleeps (not a supervisor): for request_cancel and the watcher.
pid_t start_sleeper(const char* seconds) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl("/bin/sleep", "sleep", seconds, nullptr);
        ::_exit(99);
    }
    return pid;
}

ProcessRecord record_of(pid_t pid) {
    const auto ticks = folder::read_start_ticks(pid);
    EXPECT_TRUE(ticks);
    return {pid, ticks.value_or(0)};
}

}  // namespace

// Every field survives the round trip, including quotes, newlines and non-ASCII in argv and env,
// and an absent time limit stays absent.
TEST(ProcessFiles, SpecRoundTrip) {
    JobFolder folder;
    JobSpec spec;
    spec.argv = {"python", "-c", "print(\"a\\nb\")", "naïve ✓"};
    spec.env = {"A=1", "B=with=equals", "C=line\nbreak"};
    spec.working_folder = folder.work();
    spec.time_limit_s = 7200;
    spec.cancel_grace_s = 3;
    ASSERT_TRUE(write_spec(folder.path(), spec));
    auto read = read_spec(folder.path());
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->argv, spec.argv);
    EXPECT_EQ(read->env, spec.env);
    EXPECT_EQ(read->working_folder, spec.working_folder);
    EXPECT_EQ(read->time_limit_s, 7200);
    EXPECT_EQ(read->cancel_grace_s, 3);

    spec.time_limit_s.reset();
    ASSERT_TRUE(write_spec(folder.path(), spec));
    EXPECT_FALSE(read_spec(folder.path())->time_limit_s);
    // Atomic: no temporary file is left beside it.
    for (const auto& entry : std::filesystem::directory_iterator(folder.path()))
        EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

// Broken spec.json files are errors, not a job with an empty command.
TEST(ProcessFiles, BadSpecsAreRefused) {
    JobFolder folder;
    EXPECT_FALSE(read_spec(folder.path()));  // missing
    for (const char* text : {"", "[]", "{\"argv\":[]}", "{\"argv\":[1],\"env\":[]}",
                             "{\"argv\":[\"x\"],\"env\":[],\"working_folder\":\"\"}",
                             "{\"argv\":[\"x\"],\"env\":[],\"working_folder\":\"/\",\"time_limit_s\":\"1h\"}"}) {
        { std::ofstream(folder.path() / "spec.json") << text; }
        EXPECT_FALSE(read_spec(folder.path())) << text;
    }
}

// status.json: absent is "no record yet" (not an error); each reason round-trips; an unknown reason
// is an error.
TEST(ProcessFiles, ExitRoundTrip) {
    JobFolder folder;
    auto none = read_exit(folder.path());
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    for (auto reason : {EndReason::exited, EndReason::signaled, EndReason::cancelled, EndReason::time_limit,
                        EndReason::start_failed}) {
        ExitRecord record;
        record.reason = reason;
        record.exit_code = reason == EndReason::exited ? std::optional<int>(3) : std::nullopt;
        record.signal = reason == EndReason::signaled ? std::optional<int>(9) : std::nullopt;
        record.message = "message \"quoted\"";
        record.ended_at = 1795800000.25;
        ASSERT_TRUE(write_exit(folder.path(), record));
        auto read = read_exit(folder.path());
        ASSERT_TRUE(read && *read);
        EXPECT_EQ((*read)->reason, reason);
        EXPECT_EQ((*read)->exit_code, record.exit_code);
        EXPECT_EQ((*read)->signal, record.signal);
        EXPECT_EQ((*read)->message, record.message);
        EXPECT_DOUBLE_EQ((*read)->ended_at, record.ended_at);
    }
    { std::ofstream(folder.path() / "status.json") << "{\"reason\":\"exploded\"}"; }
    EXPECT_FALSE(read_exit(folder.path()));
}

// /proc/<pid>/stat field 22 even when the command name holds spaces and parentheses.
TEST(ProcessFiles, StartTicksOfOddlyNamedProcesses) {
    JobFolder folder;
    const auto odd = folder.work() / "a) b (c";
    std::filesystem::copy_file("/bin/sleep", odd);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl(odd.c_str(), "sleep", "5", nullptr);
        ::_exit(99);
    }
    ASSERT_TRUE(wait_until([&] { return read_text("/proc/" + std::to_string(pid) + "/comm") == "a) b (c\n"; }));
    const auto ticks = folder::read_start_ticks(pid);
    const auto own = folder::read_start_ticks(0);
    // Field 22 counted the plain way: the 20th word after the last ')'.
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream after(stat.substr(stat.rfind(')') + 1));
    std::string word;
    for (int field = 3; field <= 22; ++field) after >> word;
    ::kill(pid, SIGKILL);
    wait_child(pid);
    ASSERT_TRUE(ticks && own);
    EXPECT_EQ(std::to_string(*ticks), word);
    EXPECT_GE(*ticks, *own);  // started after this test process
    EXPECT_FALSE(folder::read_start_ticks(pid));
}

// probe() in each state: never_started (no supervisor yet), running (lock held), ended
// (status.json), vanished (the supervisor was SIGKILLed mid-job: pid.json, no status.json).
TEST(Probe, AllFourStates) {
    JobFolder folder;
    folder.write(folder.shell_spec("echo $$ > pid; exec sleep 1000"));
    EXPECT_EQ(probe(folder.path()), Liveness::never_started);

    Launched job(folder);
    ASSERT_TRUE(job.ok());
    // The shell's redirection creates "pid" before echo writes it: wait for the whole line.
    ASSERT_TRUE(wait_until([&] {
        const auto text = std::filesystem::exists(folder.work() / "pid") ? read_text(folder.work() / "pid") : "";
        return !text.empty() && text.back() == '\n';
    }));
    EXPECT_EQ(probe(folder.path()), Liveness::running);
    EXPECT_EQ(probe(folder.path()), Liveness::running);  // probing did not take the lock away

    auto process = read_process(folder.path());
    ASSERT_TRUE(process && *process) << (process ? "no pid.json" : process.error().message);
    EXPECT_EQ((*process)->supervisor_pid, job.pid());
    EXPECT_EQ((*process)->supervisor_start_ticks, job.record().supervisor_start_ticks);
    const pid_t job_pid = wait_for_job_pid(folder);
    EXPECT_EQ(std::to_string(job_pid) + "\n", read_text(folder.work() / "pid"));

    ::kill(job.pid(), SIGKILL);
    job.wait();
    EXPECT_EQ(probe(folder.path()), Liveness::vanished);
    EXPECT_FALSE(process_gone(job_pid)) << "the command outlives a killed supervisor";
    ::kill(-job_pid, SIGKILL);
    EXPECT_TRUE(wait_until([&] { return process_gone(job_pid); }));

    JobFolder done;
    done.write(done.shell_spec("exit 0"));
    EXPECT_EQ(run_to_end(done), 0);
    EXPECT_EQ(probe(done.path()), Liveness::ended);
    EXPECT_FALSE(read_process(JobFolder().path()).value());  // no pid.json: nullopt, not an error
}

// launch() passes none of the caller's descriptors on: a pipe the test opened without O_CLOEXEC
// is in neither the supervisor nor the command, and the command has exactly 0, 1 and 2.
TEST(Launch, InheritsNoDescriptorsBeyondStandardOnes) {
    int leaked[2];
    ASSERT_EQ(::pipe(leaked), 0);  // deliberately without O_CLOEXEC
    const std::string leaked_target = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(leaked[0]));

    JobFolder folder;
    folder.write(folder.spec({"sleep", "1000"}));
    Launched job(folder);
    ASSERT_TRUE(job.ok());
    const pid_t job_pid = wait_for_job_pid(folder);
    ASSERT_GT(job_pid, 0);
    ASSERT_TRUE(wait_until([&] { return read_text("/proc/" + std::to_string(job_pid) + "/comm") == "sleep\n"; }));

    auto targets = [](pid_t pid) {
        std::set<std::string> fds;
        std::vector<std::string> links;
        for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
            fds.insert(entry.path().filename().string());
            std::error_code error;
            links.push_back(std::filesystem::read_symlink(entry.path(), error).string());
        }
        return std::make_pair(fds, links);
    };
    const auto [supervisor_fds, supervisor_links] = targets(job.pid());
    for (const auto& link : supervisor_links) EXPECT_NE(link, leaked_target);
    EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(job.pid()) + "/fd/1"), "/dev/null");
    const auto [job_fds, job_links] = targets(job_pid);
    EXPECT_EQ(job_fds, (std::set<std::string>{"0", "1", "2"}));
    EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(job_pid) + "/fd/2"),
              folder.path() / "output.log");

    ASSERT_TRUE(request_cancel(job.record()));
    job.wait();
    EXPECT_EQ(exit_of(folder).reason, EndReason::cancelled);
    ::close(leaked[0]);
    ::close(leaked[1]);
}

// request_cancel() signals only the process the record names: a record whose start ticks do not
// match (the pid was reused) leaves the process alone; a gone pid is fine.
TEST(RequestCancel, ChecksStartTicksBeforeSignalling) {
    const pid_t pid = start_sleeper("5");
    const auto record = record_of(pid);
    ASSERT_TRUE(request_cancel({pid, record.supervisor_start_ticks + 1}));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(process_gone(pid));
    ASSERT_TRUE(request_cancel(record));
    const int status = wait_child(pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    EXPECT_TRUE(request_cancel(record));  // gone now: still ok
    EXPECT_FALSE(request_cancel({0, 0}));
}

// The watcher reports its own child's end (launched supervisor) and reaps it: no zombie is left.
TEST(ExitWatcher, FiresForOwnChildrenAndReapsThem) {
    Exits exits;
    ExitWatcher watcher([&](JobId job) { exits.add(job); });
    JobFolder folder;
    folder.write(folder.shell_spec("sleep 0.2"));
    Launched job(folder);
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE(watcher.watch(41, job.record()));
    const bool reported = exits.wait_for(41);
    EXPECT_TRUE(reported);
    if (reported) job.forget();
    EXPECT_EQ(probe(folder.path()), Liveness::ended);
    // Reaped by the watcher: waiting for it again finds no such child.
    EXPECT_EQ(::waitpid(job.pid(), nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
    EXPECT_EQ(exits.jobs(), std::vector<JobId>{41});
}

// A process the watcher's process did not start (a grandchild, re-parented to init once its parent
// exits, as a supervisor is after a server restart): its end is reported too, and not before it.
TEST(ExitWatcher, FiresForAProcessItDidNotStart) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t middle = ::fork();
    if (middle == 0) {
        const pid_t grandchild = ::fork();
        if (grandchild == 0) {
            ::execl("/bin/sleep", "sleep", "0.4", nullptr);
            ::_exit(99);
        }
        [[maybe_unused]] auto written = ::write(pipe_fds[1], &grandchild, sizeof grandchild);
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    pid_t grandchild = 0;
    ASSERT_EQ(::read(pipe_fds[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
    ::close(pipe_fds[0]);
    wait_child(middle);

    Exits exits;
    ExitWatcher watcher([&](JobId job) { exits.add(job); });
    ASSERT_TRUE(watcher.watch(7, record_of(grandchild)));
    EXPECT_FALSE(exits.wait_for(7, std::chrono::milliseconds(100))) << "reported while it still ran";
    EXPECT_TRUE(exits.wait_for(7));
    EXPECT_TRUE(process_gone(grandchild));
}

// Already gone when watched, or a pid now used by another process (start ticks differ): reported
// soon, without error. The watcher's destructor stops its thread with watches still open.
TEST(ExitWatcher, ReportsGoneAndReusedPidsSoon) {
    Exits exits;
    ExitWatcher watcher([&](JobId job) { exits.add(job); });
    const pid_t gone = start_sleeper("0");
    const auto gone_record = record_of(gone);
    wait_child(gone);
    ASSERT_TRUE(watcher.watch(1, gone_record));

    const pid_t alive = start_sleeper("5");
    auto reused = record_of(alive);
    reused.supervisor_start_ticks += 1;
    ASSERT_TRUE(watcher.watch(2, reused));
    ASSERT_TRUE(watcher.watch(3, record_of(alive)));  // stays open until the watcher is destroyed

    EXPECT_TRUE(exits.wait_for(1, std::chrono::milliseconds(500)));
    EXPECT_TRUE(exits.wait_for(2, std::chrono::milliseconds(500)));
    EXPECT_FALSE(exits.wait_for(3, std::chrono::milliseconds(50)));
    EXPECT_FALSE(watcher.watch(4, {0, 0}));
    ::kill(alive, SIGKILL);
    wait_child(alive);
}
