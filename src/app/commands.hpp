#pragma once
// The `ailab` command line: `ailab CONFIG` (serve, the users' existing command), `ailab serve
// CONFIG`, `ailab hash-password`, `ailab init-config FILE`, `--version`, `--help`, and the
// client's login, submit, jobs, logs, cancel, restart (src/client/command_line.hpp).

namespace ailab::app {

// Exit codes: 0 fine, 1 runtime failure, 2 bad command line or bad config.
int main_command(int argc, char** argv);

}  // namespace ailab::app
