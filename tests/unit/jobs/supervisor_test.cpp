// `ailab __supervise` with real processes: what it records, where output goes, cancel, the grace
// period, the time limit, the lock and surviving its launcher.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <limits>
#include <sstream>

#include "jobs/process.hpp"
#include "process_support.hpp"

using namespace ailab::jobs;
using namespace ailab::jobs::testing;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<pid_t> read_pids(const std::filesystem::path& file) {
    std::istringstream text(read_text(file));
    std::vector<pid_t> pids;
    for (pid_t pid; text >> pid;) pids.push_back(pid);
    return pids;
}

// Runs `ailab __supervise folder` directly (not through launch) and returns its exit code.
int supervise_directly(const JobFolder& folder) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int null_fd = ::open("/dev/null", O_WRONLY);
        ::dup2(null_fd, 2);
        ::execl(AILAB_BINARY, AILAB_BINARY, "__supervise", folder.path().c_str(), nullptr);
        ::_exit(99);
    }
    const int status = wait_child(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

// A non-zero exit code must be recorded as such, not as success or a signal.
TEST(Supervisor, RecordsTheExitCode) {
    JobFolder folder;
    folder.write(folder.shell_spec("exit 7"));
    EXPECT_EQ(run_to_end(folder), 0);
    const auto record = exit_of(folder);
    EXPECT_EQ(record.reason, EndReason::exited);
    EXPECT_EQ(record.exit_code, 7);
    EXPECT_FALSE(record.signal);
    EXPECT_GT(record.ended_at, 1.6e9);
    EXPECT_EQ(probe(folder.path()), Liveness::ended);
}

// A command killed by a signal has no exit code; the signal and reason signaled are recorded.
TEST(Supervisor, RecordsTheSignal) {
    JobFolder folder;
    folder.write(folder.shell_spec("kill -USR1 $$"));
    EXPECT_EQ(run_to_end(folder), 0);
    const auto record = exit_of(folder);
    EXPECT_EQ(record.reason, EndReason::signaled);
    EXPECT_EQ(record.signal, SIGUSR1);
    EXPECT_FALSE(record.exit_code);
    EXPECT_EQ(record.message, "killed by SIGUSR1");
}

// stdout and stderr go to output.log in the order they were written (one file, O_APPEND), after what
// was already there; stdin is /dev/null, so a command that reads it gets end of file at once; the
// environment is the spec's alone and the working folder is work/.
TEST(Supervisor, OutputStdoutAndStderrInterleavedInOutputLog) {
    JobFolder folder;
    { std::ofstream(folder.path() / "output.log") << "before\n"; }
    folder.write(
        folder.shell_spec("echo out1; echo err1 >&2; echo out2; echo err2 >&2; cat; echo \"$AILAB_TEST $(pwd)\"; "
                          "echo \"home=$HOME user=${USER:-none}\""));
    EXPECT_EQ(run_to_end(folder), 0);
    EXPECT_EQ(read_text(folder.path() / "output.log"),
              "before\nout1\nerr1\nout2\nerr2\n1 " + folder.work().string() + "\nhome=/tmp user=none\n");
    EXPECT_EQ(exit_of(folder).exit_code, 0);
}

// A command that cannot be executed: reason start_failed with the message, also in output.log;
// argv[0] is searched in the spec's PATH (not the supervisor's).
TEST(Supervisor, ExecFailureIsStartFailedWithTheMessage) {
    JobFolder folder;
    folder.write(folder.spec({"ailab-no-such-command", "x"}));
    EXPECT_EQ(run_to_end(folder), 0);
    const auto record = exit_of(folder);
    EXPECT_EQ(record.reason, EndReason::start_failed);
    EXPECT_EQ(record.message, "cannot run ailab-no-such-command: No such file or directory");
    EXPECT_FALSE(record.exit_code);
    EXPECT_EQ(read_text(folder.path() / "output.log"),
              "ailab: cannot run ailab-no-such-command: No such file or directory\n");

    // `sh` exists in /bin, but not in this PATH.
    JobFolder other;
    auto spec = other.spec({"sh", "-c", "exit 0"});
    spec.env = {"PATH=/nonexistent"};
    other.write(spec);
    EXPECT_EQ(run_to_end(other), 0);
    EXPECT_EQ(exit_of(other).message, "cannot run sh: No such file or directory");
}

// An executable script without a #! line is run by /bin/sh, as execvp does, whether named by a
// path or found in PATH; a file that is not executable is a start failure.
TEST(Supervisor, ScriptsWithoutShebangRunInTheShell) {
    JobFolder folder;
    {
        std::ofstream script(folder.work() / "plain");
        script << "echo \"via sh: $1\"\n";
    }
    std::filesystem::permissions(folder.work() / "plain", std::filesystem::perms::owner_all);
    folder.write(folder.spec({"./plain", "one"}));
    EXPECT_EQ(run_to_end(folder), 0);
    EXPECT_EQ(exit_of(folder).exit_code, 0);
    EXPECT_EQ(read_text(folder.path() / "output.log"), "via sh: one\n");

    JobFolder in_path;
    std::filesystem::copy_file(folder.work() / "plain", in_path.work() / "plain");
    auto spec = in_path.spec({"plain", "two"});
    spec.env = {"PATH=/nonexistent:" + in_path.work().string()};
    in_path.write(spec);
    EXPECT_EQ(run_to_end(in_path), 0);
    EXPECT_EQ(read_text(in_path.path() / "output.log"), "via sh: two\n");

    JobFolder not_executable;
    { std::ofstream(not_executable.work() / "data") << "echo no\n"; }
    not_executable.write(not_executable.spec({"./data"}));
    EXPECT_EQ(run_to_end(not_executable), 0);
    EXPECT_EQ(exit_of(not_executable).message, "cannot run ./data: Permission denied");
}

// A working folder that is not there, and a spec.json that is not JSON: start_failed, never run.
TEST(Supervisor, MissingWorkingFolderAndBadSpecAreStartFailed) {
    JobFolder folder;
    auto spec = folder.shell_spec("touch ../ran");
    spec.working_folder = folder.path() / "missing";
    folder.write(spec);
    EXPECT_EQ(run_to_end(folder), 0);
    const auto record = exit_of(folder);
    EXPECT_EQ(record.reason, EndReason::start_failed);
    EXPECT_EQ(record.message, "cannot enter " + (folder.path() / "missing").string() + ": No such file or directory");
    EXPECT_FALSE(std::filesystem::exists(folder.path() / "ran"));

    JobFolder bad;
    { std::ofstream(bad.path() / "spec.json") << "{\"argv\": [\"/bin/true\""; }
    EXPECT_EQ(run_to_end(bad), 0);
    const auto bad_record = exit_of(bad);
    EXPECT_EQ(bad_record.reason, EndReason::start_failed);
    EXPECT_NE(bad_record.message.find("cannot read spec.json"), std::string::npos) << bad_record.message;
    EXPECT_FALSE(std::filesystem::exists(bad.path() / "pid.json"));
}

// Cancel (SIGTERM to the supervisor) must reach the whole process group: a shell and the children
// it put in the background are all gone afterwards, not only the shell.
TEST(Supervisor, CancelKillsTheWholeProcessGroup) {
    JobFolder folder;
    folder.write(folder.shell_spec("sleep 1000 & echo $! >> pids; sleep 1000 & echo $! >> pids; wait"));
    Launched job(folder);
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE(wait_until([&] { return read_pids(folder.work() / "pids").size() == 2; }));
    const auto children = read_pids(folder.work() / "pids");
    for (pid_t child : children) EXPECT_FALSE(process_gone(child));
    auto pid_file = read_process(folder.path());
    ASSERT_TRUE(pid_file && *pid_file);
    EXPECT_EQ((*pid_file)->supervisor_pid, job.pid());

    ASSERT_TRUE(request_cancel(job.record()));
    job.wait();
    const auto ended = exit_of(folder);
    EXPECT_EQ(ended.reason, EndReason::cancelled);
    EXPECT_EQ(ended.signal, SIGTERM);
    for (pid_t child : children) EXPECT_TRUE(wait_until([&] { return process_gone(child); })) << child;
}

// A command that ignores SIGTERM (and whose background child inherits that) is SIGKILLed, group
// and all, once cancel_grace_s has passed, and not before.
TEST(Supervisor, GraceThenSigkillForACommandThatTrapsTerm) {
    JobFolder folder;
    folder.write(folder.shell_spec("trap '' TERM; sleep 1000 & echo $! > pids; echo ready > ready; wait; wait"));
    Launched job(folder);
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(folder.work() / "ready"); }));
    const auto children = read_pids(folder.work() / "pids");
    ASSERT_EQ(children.size(), 1u);

    const auto cancelled_at = Clock::now();
    ASSERT_TRUE(request_cancel(job.record()));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(process_gone(children[0])) << "killed before the grace period";
    job.wait();
    const auto took = Clock::now() - cancelled_at;
    EXPECT_GE(took, std::chrono::milliseconds(950));
    EXPECT_LT(took, std::chrono::milliseconds(2500));
    const auto ended = exit_of(folder);
    EXPECT_EQ(ended.reason, EndReason::cancelled);
    EXPECT_EQ(ended.signal, SIGKILL);
    EXPECT_TRUE(wait_until([&] { return process_gone(children[0]); }));
}

// time_limit_s ends a command that would run for 1000 s: SIGTERM at the limit, reason time_limit.
TEST(Supervisor, EnforcesTheTimeLimit) {
    JobFolder folder;
    auto spec = folder.spec({"sleep", "1000"});
    spec.time_limit_s = 1;
    folder.write(spec);
    const auto started = Clock::now();
    EXPECT_EQ(run_to_end(folder), 0);
    const auto took = Clock::now() - started;
    EXPECT_GE(took, std::chrono::milliseconds(950));
    EXPECT_LT(took, std::chrono::milliseconds(2500));
    const auto record = exit_of(folder);
    EXPECT_EQ(record.reason, EndReason::time_limit);
    EXPECT_EQ(record.signal, SIGTERM);
    EXPECT_EQ(record.message, "time limit of 1 s reached");

    // A limit too large for the clock (and a grace as large) is no limit, not one already passed.
    JobFolder huge;
    auto huge_spec = huge.spec({"sleep", "0.1"});
    huge_spec.time_limit_s = std::numeric_limits<std::int64_t>::max();
    huge_spec.cancel_grace_s = std::numeric_limits<std::int64_t>::max();
    huge.write(huge_spec);
    EXPECT_EQ(run_to_end(huge), 0);
    EXPECT_EQ(exit_of(huge).reason, EndReason::exited);
}

// A second supervisor on the folder of a running job refuses (the lock is held) and does not run
// the command again; after the job ended, a supervisor refuses too (pid.json and status.json say
// it ran), so a job never runs twice.
TEST(Supervisor, SecondSupervisorOnTheSameFolderRefuses) {
    JobFolder folder;
    folder.write(folder.shell_spec("echo run >> runs; exec sleep 1000"));
    Launched job(folder);
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(folder.work() / "runs"); }));
    EXPECT_EQ(supervise_directly(folder), 3);
    EXPECT_EQ(probe(folder.path()), Liveness::running);

    ASSERT_TRUE(request_cancel(job.record()));
    job.wait();
    EXPECT_EQ(probe(folder.path()), Liveness::ended);
    EXPECT_EQ(supervise_directly(folder), 3);
    EXPECT_EQ(read_text(folder.work() / "runs"), "run\n");
    EXPECT_EQ(exit_of(folder).reason, EndReason::cancelled);
}

// The launcher (the server) dies right after launch(): the supervisor is in its own session and is
// not its launcher's to take along; the job still completes and records its end.
TEST(Supervisor, SurvivesTheDeathOfItsLauncher) {
    JobFolder folder;
    folder.write(folder.shell_spec("sleep 0.4; echo done"));
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t launcher = ::fork();
    if (launcher == 0) {
        auto record = launch(ailab_binary(), folder.path());
        const pid_t pid = record ? record->supervisor_pid : 0;
        [[maybe_unused]] auto written = ::write(pipe_fds[1], &pid, sizeof pid);
        ::_exit(record ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    pid_t supervisor = 0;
    ASSERT_EQ(::read(pipe_fds[0], &supervisor, sizeof supervisor), static_cast<ssize_t>(sizeof supervisor));
    ::close(pipe_fds[0]);
    const int launcher_status = wait_child(launcher);
    ASSERT_TRUE(WIFEXITED(launcher_status) && WEXITSTATUS(launcher_status) == 0);
    ASSERT_GT(supervisor, 0);
    EXPECT_FALSE(std::filesystem::exists(folder.path() / "status.json")) << "the job ended before its launcher";
    EXPECT_TRUE(wait_until([&] { return probe(folder.path()) == Liveness::running; }));
    // Its session is its own, not the test's.
    EXPECT_EQ(::getsid(supervisor), supervisor);

    EXPECT_TRUE(wait_until([&] { return probe(folder.path()) == Liveness::ended; }, std::chrono::milliseconds(2500)));
    const auto record = exit_of(folder);
    EXPECT_EQ(record.reason, EndReason::exited);
    EXPECT_EQ(record.exit_code, 0);
    EXPECT_EQ(read_text(folder.path() / "output.log"), "done\n");
}
