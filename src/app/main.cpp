// Command line only: parse, then hand over to the app library. A job's supervisor is dispatched
// first, before any set-up, so a job starts fast (jobs/supervisor.hpp), and so is the launcher that
// forks supervisors (jobs/launcher.hpp).
#include <cstring>

#include "app/commands.hpp"
#include "jobs/launcher.hpp"
#include "jobs/supervisor.hpp"

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], ailab::jobs::supervise_argument) == 0)
        return ailab::jobs::supervise_main(argc, argv);
    if (argc > 1 && std::strcmp(argv[1], ailab::jobs::launcher_argument) == 0)
        return ailab::jobs::launcher_main(argc, argv);
    return ailab::app::main_command(argc, argv);
}
