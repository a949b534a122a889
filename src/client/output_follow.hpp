#pragma once
// Following a job's output over the WebSocket /api/v1/jobs/{id}/output/ws (docs/API.md "Output
// stream"): auth, resume at an offset, binary frames written to a descriptor in order, and the
// text "end" frame. A dropped connection is reopened and resumed at the offset already written,
// so the output has no gap and no duplicate. Ctrl-C (SIGINT) while following detaches; the job
// keeps running. Beast stays in output_follow.cpp.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "client/server_access.hpp"
#include "core/error.hpp"

namespace ailab::client {

struct JobEnd {
    std::string state;  // done | failed | cancelled
    std::optional<int> exit_code;
    std::optional<int> signal;
    std::int64_t output_bytes = 0;
};

// The exit status that `submit --follow` and `logs -f` end with: the job's own exit code, 128 +
// the signal that ended it, 0 for done, else 1 (failed or cancelled without an exit code).
int exit_status_of(const JobEnd& end);

enum class FollowEnd {
    ended,     // the job ended and every byte was written
    detached,  // Ctrl-C: the job keeps running
    failed,    // a refusal (unknown job, bad token) or a connection that could not be reopened
};

struct FollowOutcome {
    FollowEnd end = FollowEnd::failed;
    JobEnd job;                        // when ended
    std::int64_t offset = 0;           // bytes written so far
    std::optional<core::Error> error;  // when failed
};

// One per command; owns the SIGINT handling from construction until interrupts are released.
class OutputFollower {
public:
    // Output bytes go to output_fd (stdout); notes (reconnecting…) to stderr.
    OutputFollower(ServerAccess access, std::int64_t job_id, int output_fd = 1);
    ~OutputFollower();
    OutputFollower(const OutputFollower&) = delete;
    OutputFollower& operator=(const OutputFollower&) = delete;

    // Streams from `offset` until the job ends, Ctrl-C, or failure. The first connection failing
    // is a failure; once streaming, drops are retried for up to `reconnect_for`.
    FollowOutcome follow(std::int64_t offset, std::chrono::seconds reconnect_for = std::chrono::minutes(5));

    // After a detach: whether Ctrl-C comes again within `window`. Afterwards SIGINT has its
    // default effect again (a Ctrl-C at a following prompt ends the program).
    bool interrupted_again_within(std::chrono::milliseconds window);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ailab::client
