#pragma once
// The output WebSocket of docs/API.md: GET /api/v1/jobs/{id}/output/ws. One thread serves every
// stream: it reads output.log from the client's offset in 64 KiB binary frames, pauses a stream
// whose client has 2 MiB queued until the session wrote it down to 512 KiB (backpressure, so a
// job printing 100 MB never makes the server hold 100 MB), follows the file with inotify while
// the job runs, and sends {"type":"end",...} once the job ended and every byte was sent. With the
// local executor nothing polls: an idle stream costs nothing. With Slurm the file may be written
// on another node of a shared file system (NFS sends no inotify events for that), so open streams
// are also looked at by fstat every 0.5 s.

#include <memory>

#include "jobs/job.hpp"
#include "net/websocket_endpoint.hpp"

namespace ailab::jobs {

class JobService;

class OutputStreamer {
public:
    explicit OutputStreamer(JobService& service);
    ~OutputStreamer();  // stop()
    OutputStreamer(const OutputStreamer&) = delete;
    OutputStreamer& operator=(const OutputStreamer&) = delete;

    void register_endpoint(net::WebSocketRegistry& websockets);
    void start();
    void stop();
    // From the job service's listener: a job started or ended.
    void job_changed(const Job& job);

    struct Impl;  // the streaming thread and its streams (output_stream.cpp only)

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace ailab::jobs
