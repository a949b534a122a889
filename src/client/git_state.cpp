#include "client/git_state.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "core/fd.hpp"
#include "core/json_writer.hpp"

namespace ailab::client {
namespace {

struct GitOutput {
    int exit_code = -1;  // -1: git could not be started or was killed
    std::string text;
    bool truncated = false;
};

// Runs `git -C folder args…` with stdin and stderr on /dev/null and collects at most max_bytes of
// its stdout; past that the pipe is closed and git ends on SIGPIPE.
GitOutput run_git(const std::filesystem::path& folder, std::vector<std::string> args, std::size_t max_bytes) {
    GitOutput output;
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return output;
    core::OwnedFd read_end(pipe_fds[0]);
    core::OwnedFd write_end(pipe_fds[1]);

    std::vector<std::string> argv_storage{"git", "-C", folder.string()};
    for (auto& arg : args) argv_storage.push_back(std::move(arg));
    std::vector<char*> argv;
    argv.reserve(argv_storage.size() + 1);
    for (auto& arg : argv_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);

    std::vector<std::string> environment_storage{"GIT_OPTIONAL_LOCKS=0", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C"};
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view item(*entry);
        if (item.starts_with("GIT_OPTIONAL_LOCKS=") || item.starts_with("LC_ALL=") ||
            item.starts_with("GIT_TERMINAL_PROMPT="))
            continue;
        environment_storage.emplace_back(item);
    }
    std::vector<char*> environment;
    environment.reserve(environment_storage.size() + 1);
    for (auto& item : environment_storage) environment.push_back(item.data());
    environment.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int spawned = posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), environment.data());
    posix_spawn_file_actions_destroy(&actions);
    write_end.reset();
    if (spawned != 0) return output;

    char buffer[65536];
    for (;;) {
        auto count = ::read(read_end.get(), buffer, sizeof buffer);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) break;
        std::size_t room = max_bytes - output.text.size();
        if (static_cast<std::size_t>(count) > room) {
            output.text.append(buffer, room);
            output.truncated = true;
            break;
        }
        output.text.append(buffer, static_cast<std::size_t>(count));
    }
    read_end.reset();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return output;
}

std::string trim_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

}  // namespace

std::optional<GitState> read_git_state(const std::filesystem::path& folder) {
    constexpr std::size_t small = 4096;
    auto inside = run_git(folder, {"rev-parse", "--is-inside-work-tree"}, small);
    if (inside.exit_code != 0 || trim_line(inside.text) != "true") return std::nullopt;

    GitState state;
    auto commit = run_git(folder, {"rev-parse", "--verify", "--quiet", "HEAD"}, small);
    if (commit.exit_code == 0 && !trim_line(commit.text).empty()) state.commit = trim_line(commit.text);
    auto branch = run_git(folder, {"symbolic-ref", "--quiet", "--short", "HEAD"}, small);
    if (branch.exit_code == 0 && !trim_line(branch.text).empty()) state.branch = trim_line(branch.text);
    // Only the submitted folder's changes count ("--" "." is relative to -C folder).
    auto status = run_git(folder, {"status", "--porcelain", "--", "."}, small);
    state.dirty = status.exit_code != 0 || !status.text.empty();
    if (state.commit) {
        auto diff = run_git(folder, {"diff", "--no-color", "--no-ext-diff", "HEAD", "--", "."}, max_diff_bytes);
        state.diff = std::move(diff.text);
        state.diff_truncated = diff.truncated;
    }
    return state;
}

std::string git_state_json(const std::optional<GitState>& state) {
    if (!state) return "null";
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.key("commit");
    state->commit ? writer.string(*state->commit) : writer.null();
    writer.key("branch");
    state->branch ? writer.string(*state->branch) : writer.null();
    writer.key("dirty");
    writer.boolean(state->dirty);
    writer.key("diff");
    writer.string(state->diff_truncated ? state->diff + "\n[ailab: the diff was cut at 1 MiB]\n" : state->diff);
    writer.end_object();
    return out;
}

}  // namespace ailab::client
