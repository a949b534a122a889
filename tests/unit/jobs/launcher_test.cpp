// The launcher zygote (jobs/launcher.hpp) with real processes: the built `ailab __launcher` forks
// real supervisors that run real commands. Supervisors it starts are not this process's children,
// so the tests wait for status.json and for the process to be gone rather than waitpid().
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "jobs/launcher.hpp"
#include "process_support.hpp"

using namespace ailab::jobs;
using namespace ailab::jobs::testing;

namespace {

// Field 4 of /proc/<pid>/stat; 0 when the process is gone.
pid_t parent_of(pid_t pid) {
    const std::string line = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(line.substr(close + 2));
    std::string state;
    pid_t parent = 0;
    fields >> state >> parent;
    return parent;
}

// fd number -> what it points to, from /proc/<pid>/fd.
std::map<int, std::string> descriptors_of(pid_t pid) {
    std::map<int, std::string> descriptors;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
        std::error_code link_error;
        descriptors[std::stoi(entry.path().filename().string())] =
            std::filesystem::read_symlink(entry.path(), link_error).string();
    }
    return descriptors;
}

// Waits until the job's supervisor wrote status.json and is gone; returns the record.
ExitRecord wait_for_end(const JobFolder& folder, pid_t supervisor,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    EXPECT_TRUE(wait_until(
        [&] {
            auto record = read_exit(folder.path());
            return record && *record && process_gone(supervisor);
        },
        timeout))
        << "job in " << folder.path() << " did not end";
    return exit_of(folder);
}

// Cancels, at the end of a test, the supervisors it started and did not see end (an assertion
// that failed early), so no job outlives its test.
class Supervisors {
public:
    ~Supervisors() {
        for (const pid_t pid : pids_)
            if (!process_gone(pid)) ::kill(pid, SIGTERM);
    }
    void add(pid_t pid) { pids_.push_back(pid); }

private:
    std::vector<pid_t> pids_;
};

// A launcher started for the test with the built binary.
struct Started {
    Started() {
        const auto started = launcher.start(ailab_binary());
        EXPECT_TRUE(started) << started.error().message;
    }
    Launcher launcher;
};

}  // namespace

// A failing command (exit 7) is recorded as such, through a supervisor that the launcher forked
// (pid.json names it, with the start ticks the launcher answered) and that is nobody's child here.
TEST(Launcher, JobRunsAndRecordsItsExit) {
    JobFolder folder;
    folder.write(folder.shell_spec("sleep 0.2; echo hello; exit 7"));
    Started started;
    Supervisors supervisors;
    auto record = started.launcher.launch(folder.path());
    ASSERT_TRUE(record) << record.error().message;
    supervisors.add(record->supervisor_pid);
    const pid_t launcher = started.launcher.pid();
    ASSERT_GT(launcher, 0);
    EXPECT_NE(record->supervisor_pid, launcher);
    const pid_t parent = parent_of(record->supervisor_pid);
    EXPECT_NE(parent, launcher) << "the supervisor was not reparented away from the launcher";
    EXPECT_NE(parent, ::getpid()) << "the supervisor was posix_spawned by the fallback, not forked";
    EXPECT_EQ(folder::read_start_ticks(record->supervisor_pid), record->supervisor_start_ticks);

    const ExitRecord exit = wait_for_end(folder, record->supervisor_pid);
    EXPECT_EQ(exit.reason, EndReason::exited);
    EXPECT_EQ(exit.exit_code, 7);
    EXPECT_EQ(read_text(folder.path() / "output.log"), "hello\n");
    auto process = read_process(folder.path());
    ASSERT_TRUE(process && *process);
    EXPECT_EQ((*process)->supervisor_pid, record->supervisor_pid);
    EXPECT_EQ((*process)->supervisor_start_ticks, record->supervisor_start_ticks);
    EXPECT_EQ(started.launcher.pid(), launcher) << "the launcher was restarted for no reason";
}

// SIGKILL to the launcher while its job runs: the supervisor and the command go on and the job's
// end is recorded.
TEST(Launcher, SupervisorSurvivesKillingTheLauncher) {
    JobFolder folder;
    folder.write(folder.shell_spec("sleep 0.4; echo done > finished"));
    Started started;
    Supervisors supervisors;
    auto record = started.launcher.launch(folder.path());
    ASSERT_TRUE(record) << record.error().message;
    supervisors.add(record->supervisor_pid);
    ASSERT_GT(wait_for_job_pid(folder), 0);
    ASSERT_EQ(::kill(started.launcher.pid(), SIGKILL), 0);
    EXPECT_FALSE(process_gone(record->supervisor_pid));
    const ExitRecord exit = wait_for_end(folder, record->supervisor_pid);
    EXPECT_EQ(exit.exit_code, 0);
    EXPECT_EQ(read_text(folder.work() / "finished"), "done\n");
}

// The launcher speaks its protocol on a socket it was given, and exits 0 when the other end closes
// (a server that stopped or died); the supervisor it started outlives it.
TEST(Launcher, ExitsWhenItsSocketCloses) {
    JobFolder folder;
    folder.write(folder.shell_spec("sleep 0.4; echo done > finished"));
    int ends[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends), 0);
    const pid_t launcher = ::fork();
    if (launcher == 0) {
        ::dup2(ends[1], 0);
        ::dup2(ends[1], 1);
        ::execl(AILAB_BINARY, AILAB_BINARY, launcher_argument, nullptr);
        ::_exit(127);
    }
    ::close(ends[1]);
    const std::string request = folder.path().string();
    ASSERT_EQ(::send(ends[0], request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    char reply[256] = {};
    ASSERT_GT(::recv(ends[0], reply, sizeof reply - 1, 0), 0);
    int supervisor = 0;
    unsigned long long ticks = 0;
    ASSERT_EQ(std::sscanf(reply, "ok %d %llu", &supervisor, &ticks), 2) << reply;
    Supervisors supervisors;
    supervisors.add(supervisor);

    ::close(ends[0]);
    int status = -1;
    EXPECT_TRUE(wait_until([&] { return ::waitpid(launcher, &status, WNOHANG) == launcher; }))
        << "the launcher did not exit at EOF";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;
    EXPECT_FALSE(process_gone(supervisor)) << "the supervisor ended with its launcher";
    EXPECT_EQ(wait_for_end(folder, supervisor).exit_code, 0);
    EXPECT_EQ(read_text(folder.work() / "finished"), "done\n");
}

// A "server" (a child of the test holding a Launcher) killed with SIGKILL: the kernel closes its
// end of the socket, and its launcher exits rather than outlive it.
TEST(Launcher, ExitsWhenTheServerIsKilled) {
    int pipe_ends[2];
    ASSERT_EQ(::pipe2(pipe_ends, O_CLOEXEC), 0);
    const pid_t server = ::fork();
    if (server == 0) {
        Launcher launcher;
        const pid_t launcher_pid = launcher.start(ailab_binary()) ? launcher.pid() : 0;
        [[maybe_unused]] const auto written = ::write(pipe_ends[1], &launcher_pid, sizeof launcher_pid);
        ::pause();
        ::_exit(0);
    }
    ::close(pipe_ends[1]);
    pid_t launcher = 0;
    const auto got = ::read(pipe_ends[0], &launcher, sizeof launcher);
    ::close(pipe_ends[0]);
    const bool was_running = launcher > 0 && !process_gone(launcher);
    ::kill(server, SIGKILL);  // before any assertion, so that the child never outlives the test
    wait_child(server);
    ASSERT_EQ(got, static_cast<ssize_t>(sizeof launcher));
    ASSERT_GT(launcher, 0);
    EXPECT_TRUE(was_running);
    EXPECT_TRUE(wait_until([&] { return process_gone(launcher); })) << "the launcher outlived its server";
}

// Bad requests on the socket (a relative path, a path with a NUL) get an error reply, and the
// launcher goes on serving; run by hand without a socket it refuses with exit code 2.
TEST(Launcher, RefusesBadRequestsAndAMissingSocket) {
    const pid_t by_hand = ::fork();
    if (by_hand == 0) {
        ::execl(AILAB_BINARY, AILAB_BINARY, launcher_argument, nullptr);
        ::_exit(127);
    }
    const int by_hand_status = wait_child(by_hand);
    EXPECT_TRUE(WIFEXITED(by_hand_status) && WEXITSTATUS(by_hand_status) == 2) << by_hand_status;

    int ends[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends), 0);
    const pid_t launcher = ::fork();
    if (launcher == 0) {
        ::dup2(ends[1], 0);
        ::dup2(ends[1], 1);
        ::execl(AILAB_BINARY, AILAB_BINARY, launcher_argument, nullptr);
        ::_exit(127);
    }
    ::close(ends[1]);
    for (const std::string& request : {std::string("relative/folder"), std::string("/tmp/a\0b", 8)}) {
        ASSERT_EQ(::send(ends[0], request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
        char reply[256] = {};
        ASSERT_GT(::recv(ends[0], reply, sizeof reply - 1, 0), 0);
        EXPECT_EQ(std::string(reply).rfind("error ", 0), 0U) << reply;
    }
    ::close(ends[0]);
    const int status = wait_child(launcher);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// A launcher killed between two launches: the second launch starts a new one and its job runs.
TEST(Launcher, KilledLauncherIsRestarted) {
    JobFolder first;
    JobFolder second;
    first.write(first.shell_spec("echo one"));
    second.write(second.shell_spec("echo two"));
    Started started;
    Supervisors supervisors;
    auto one = started.launcher.launch(first.path());
    ASSERT_TRUE(one) << one.error().message;
    supervisors.add(one->supervisor_pid);
    EXPECT_EQ(wait_for_end(first, one->supervisor_pid).exit_code, 0);

    const pid_t old_launcher = started.launcher.pid();
    ASSERT_EQ(::kill(old_launcher, SIGKILL), 0);
    ASSERT_TRUE(wait_until([&] { return process_gone(old_launcher); }));
    auto two = started.launcher.launch(second.path());
    ASSERT_TRUE(two) << two.error().message;
    supervisors.add(two->supervisor_pid);
    EXPECT_NE(parent_of(two->supervisor_pid), ::getpid()) << "fell back although a restart would do";
    EXPECT_GT(started.launcher.pid(), 0);
    EXPECT_NE(started.launcher.pid(), old_launcher);
    EXPECT_EQ(wait_for_end(second, two->supervisor_pid).exit_code, 0);
    EXPECT_EQ(read_text(second.path() / "output.log"), "two\n");
}

// A binary whose `__launcher` exits at once (an old or broken build): launch() falls back to
// posix_spawn (the supervisor is then this process's child) and the job still runs, twice.
TEST(Launcher, FallsBackWhenTheLauncherCannotRun) {
    JobFolder scripts;
    const auto wrapper = scripts.path() / "ailab-without-launcher";
    {
        std::ofstream out(wrapper);
        out << "#!/bin/sh\n[ \"$1\" = " << launcher_argument << " ] && exit 0\nexec " << AILAB_BINARY << " \"$@\"\n";
    }
    std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
    Launcher launcher;
    ASSERT_TRUE(launcher.start(wrapper));
    for (const char* word : {"first", "second"}) {
        JobFolder folder;
        folder.write(folder.shell_spec(std::string("echo ") + word));
        auto record = launcher.launch(folder.path());
        ASSERT_TRUE(record) << record.error().message;
        EXPECT_EQ(parent_of(record->supervisor_pid), ::getpid()) << word << ": not started by posix_spawn";
        const int status = wait_child(record->supervisor_pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
        EXPECT_EQ(exit_of(folder).exit_code, 0);
        EXPECT_EQ(read_text(folder.path() / "output.log"), std::string(word) + "\n");
        EXPECT_EQ(launcher.pid(), 0) << "a broken launcher was left running";
    }
}

// Descriptors this process holds without O_CLOEXEC (a file, a pipe) reach neither the launcher, nor
// the supervisor, nor the command: the command has exactly /dev/null and output.log twice.
TEST(Launcher, NoDescriptorOfTheParentLeaks) {
    JobFolder folder;
    folder.write(folder.shell_spec("exec sleep 5"));
    const auto marker = folder.path() / "marker";
    const int file = ::open(marker.c_str(), O_RDWR | O_CREAT, 0600);  // no O_CLOEXEC, on purpose
    int pipe_ends[2];
    ASSERT_GE(file, 0);
    ASSERT_EQ(::pipe(pipe_ends), 0);  // no O_CLOEXEC either
    Started started;
    Supervisors supervisors;
    auto record = started.launcher.launch(folder.path());
    ASSERT_TRUE(record) << record.error().message;
    supervisors.add(record->supervisor_pid);
    const pid_t job = wait_for_job_pid(folder);
    ASSERT_GT(job, 0);

    // The launcher keeps this process's stderr (2) on purpose; ctest may have made it a pipe.
    const auto ours = descriptors_of(::getpid());
    const std::string& our_pipe = ours.at(pipe_ends[0]);
    // Besides, it holds its socket (0, 1) and /dev/null (for the supervisors' 0-2), nothing else.
    const auto launcher_fds = descriptors_of(started.launcher.pid());
    EXPECT_EQ(launcher_fds.size(), 4U) << "the launcher holds more than its socket, stderr and /dev/null";
    for (const auto& [number, target] : launcher_fds) {
        if (number == 0 || number == 1) {
            EXPECT_EQ(target.rfind("socket:", 0), 0U) << number << " " << target;
        } else if (number > 2) {
            EXPECT_EQ(target, "/dev/null") << number;
        }
    }
    for (const pid_t pid : {started.launcher.pid(), record->supervisor_pid, job}) {
        for (const auto& [number, target] : descriptors_of(pid)) {
            EXPECT_NE(target, marker.string()) << "pid " << pid << " fd " << number;
            EXPECT_NE(target, our_pipe) << "pid " << pid << " fd " << number;
        }
    }
    // The supervisor: /dev/null on 0-2, then only what it opened itself (none of the launcher's).
    const std::set<std::string> its_own{(folder.path() / "lock").string(), (folder.path() / "output.log").string()};
    for (const auto& [number, target] : descriptors_of(record->supervisor_pid)) {
        if (number <= 2)
            EXPECT_EQ(target, "/dev/null") << number;
        else
            EXPECT_TRUE(its_own.count(target) == 1) << "the supervisor holds fd " << number << ": " << target;
    }
    // The command's own descriptors, once it is the command: between the supervisor's fork and
    // the exec of `sleep` the child briefly holds its exec-error pipe (close-on-exec) too.
    const auto exec_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto command_of = [job] {
        std::ifstream in("/proc/" + std::to_string(job) + "/comm");
        std::string name;
        std::getline(in, name);
        return name;
    };
    while (command_of() != "sleep" && std::chrono::steady_clock::now() < exec_deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(command_of(), "sleep");
    const auto job_fds = descriptors_of(job);
    ASSERT_EQ(job_fds.size(), 3U);
    EXPECT_EQ(job_fds.at(0), "/dev/null");
    EXPECT_EQ(job_fds.at(1), (folder.path() / "output.log").string());
    EXPECT_EQ(job_fds.at(2), (folder.path() / "output.log").string());

    ASSERT_TRUE(request_cancel(*record));
    EXPECT_EQ(wait_for_end(folder, record->supervisor_pid).reason, EndReason::cancelled);
    ::close(file);
    ::close(pipe_ends[0]);
    ::close(pipe_ends[1]);
}

// 20 launches back to back through one launcher: 20 distinct supervisors, every job runs once.
TEST(Launcher, TwentyLaunchesInARowAllRun) {
    constexpr int count = 20;
    std::vector<std::unique_ptr<JobFolder>> folders;
    for (int index = 0; index < count; ++index) {
        folders.push_back(std::make_unique<JobFolder>());
        folders.back()->write(folders.back()->shell_spec("echo " + std::to_string(index) + " > out"));
    }
    Started started;
    Supervisors supervisors;
    const pid_t launcher = started.launcher.pid();
    std::set<pid_t> pids;
    std::vector<pid_t> order;
    for (const auto& folder : folders) {
        auto record = started.launcher.launch(folder->path());
        ASSERT_TRUE(record) << record.error().message;
        supervisors.add(record->supervisor_pid);
        pids.insert(record->supervisor_pid);
        order.push_back(record->supervisor_pid);
    }
    EXPECT_EQ(pids.size(), static_cast<std::size_t>(count));
    EXPECT_EQ(started.launcher.pid(), launcher) << "the launcher was restarted";
    for (int index = 0; index < count; ++index) {
        const auto& folder = *folders[static_cast<std::size_t>(index)];
        EXPECT_EQ(wait_for_end(folder, order[static_cast<std::size_t>(index)]).exit_code, 0) << index;
        EXPECT_EQ(read_text(folder.work() / "out"), std::to_string(index) + "\n");
    }
}
