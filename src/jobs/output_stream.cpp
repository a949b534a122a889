#include "jobs/output_stream.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <charconv>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/fd.hpp"
#include "jobs/service.hpp"
#include "net/http.hpp"

namespace ailab::jobs {
namespace {

constexpr std::size_t chunk_bytes = std::size_t{64} * 1024;
constexpr std::size_t high_water_bytes = std::size_t{2} << 20;
constexpr std::size_t low_water_bytes = std::size_t{512} * 1024;
constexpr int chunks_per_turn = 16;  // 1 MiB per stream per turn, so one stream cannot starve the rest

}  // namespace

struct OutputStreamer::Impl : std::enable_shared_from_this<OutputStreamer::Impl> {
    struct Stream {
        std::shared_ptr<net::WebSocketPeer> peer;
        JobId job = 0;
        std::int64_t offset = 0;
        core::OwnedFd fd;
        int watch = -1;
        bool ready = true;    // may have data to send
        bool paused = false;  // waits for the client to drain
        bool ended = false;   // the job has ended
        boost::json::object end_message;
        bool removed = false;
    };
    using StreamPtr = std::shared_ptr<Stream>;

    explicit Impl(JobService& service_in) : service(service_in) {}

    JobService& service;
    core::OwnedFd inotify;
    core::OwnedFd wakeup;
    std::thread thread;

    std::mutex mutex;  // guards commands and stopping
    std::deque<std::function<void()>> commands;
    bool stopping = false;

    // The thread's own.
    std::list<StreamPtr> streams;
    std::map<int, int> watch_users;  // inotify watch -> streams using it

    void post(std::function<void()> command) {
        {
            std::lock_guard lock(mutex);
            if (stopping) return;
            commands.push_back(std::move(command));
        }
        const std::uint64_t one = 1;
        (void)::write(wakeup.get(), &one, sizeof one);
    }

    void add(const StreamPtr& stream) {
        auto job = service.get(stream->job);
        if (!job || !*job) {
            stream->peer->close(net::CloseCode::not_found, "no such job");
            return;
        }
        note_state(*stream, **job);
        streams.push_back(stream);
    }

    void note_state(Stream& stream, const Job& job) {
        if (is_finished(job.state)) {
            stream.ended = true;
            stream.end_message = {{"type", "end"},
                                  {"state", state_name(job.state)},
                                  {"exit_code", job.exit_code ? boost::json::value(*job.exit_code) : nullptr},
                                  {"signal", job.signal ? boost::json::value(*job.signal) : nullptr}};
        }
        stream.ready = true;
    }

    void open_output(Stream& stream) {
        if (stream.fd) return;
        const auto file = service.output_file(stream.job);
        stream.fd.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!stream.fd) return;
        stream.watch = ::inotify_add_watch(inotify.get(), file.c_str(), IN_MODIFY | IN_CLOSE_WRITE);
        if (stream.watch >= 0) ++watch_users[stream.watch];
    }

    void forget(Stream& stream) {
        stream.removed = true;
        if (stream.watch >= 0 && --watch_users[stream.watch] == 0) {
            ::inotify_rm_watch(inotify.get(), stream.watch);
            watch_users.erase(stream.watch);
        }
        stream.watch = -1;
        stream.fd.reset();
    }

    // Sends what the file holds past the stream's offset, up to one turn's worth.
    void pump(const StreamPtr& stream) {
        if (!stream->peer->is_open()) {
            forget(*stream);
            return;
        }
        open_output(*stream);
        for (int turn = 0; turn < chunks_per_turn; ++turn) {
            ssize_t got = 0;
            std::string chunk;
            if (stream->fd) {
                chunk.resize(chunk_bytes);
                got = ::pread(stream->fd.get(), chunk.data(), chunk.size(), stream->offset);
                if (got < 0 && errno == EINTR) continue;
            }
            if (got > 0) {
                chunk.resize(static_cast<std::size_t>(got));
                stream->offset += got;
                stream->peer->send(std::make_shared<const std::string>(std::move(chunk)), net::FrameKind::binary);
                if (stream->peer->queued_bytes() >= high_water_bytes) {
                    stream->paused = true;
                    std::weak_ptr<Impl> self = weak_from_this();
                    stream->peer->when_drained(low_water_bytes, [self, stream] {
                        if (auto impl = self.lock())
                            impl->post([stream] {
                                stream->paused = false;
                                stream->ready = true;
                            });
                    });
                    return;
                }
                continue;
            }
            // At the end of what is written.
            stream->ready = false;
            if (stream->ended) {
                stream->end_message["output_bytes"] = stream->offset;
                stream->peer->send(std::make_shared<const std::string>(boost::json::serialize(stream->end_message)));
                stream->peer->close(net::CloseCode::normal, "end of output");
                forget(*stream);
            }
            return;
        }
    }

    void drain_inotify() {
        alignas(inotify_event) char buffer[16 * 1024];
        std::set<int> touched;
        for (;;) {
            const auto got = ::read(inotify.get(), buffer, sizeof buffer);
            if (got <= 0) break;
            for (ssize_t at = 0; at < got;) {
                const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
                if (event->mask & IN_Q_OVERFLOW) touched.insert(-1);
                touched.insert(event->wd);
                at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            }
        }
        for (auto& stream : streams)
            if (touched.contains(-1) || touched.contains(stream->watch)) stream->ready = true;
    }

    // A shared file system (NFS) sends no inotify events for writes made on other nodes: with the
    // Slurm executor the files are also looked at by fstat every stat_poll_ms while streams exist.
    bool stat_polling = false;
    static constexpr int stat_poll_ms = 500;

    void poll_sizes() {
        for (auto& stream : streams) {
            if (stream->paused || stream->removed) continue;
            struct stat info {};
            if (!stream->fd || (::fstat(stream->fd.get(), &info) == 0 && info.st_size > stream->offset) ||
                stream->ended)
                stream->ready = true;
        }
    }

    void run() {
        for (;;) {
            std::deque<std::function<void()>> batch;
            {
                std::lock_guard lock(mutex);
                if (stopping) break;
                batch.swap(commands);
            }
            for (auto& command : batch) command();
            bool busy = false;
            for (auto& stream : streams) {
                if (stream->ready && !stream->paused && !stream->removed) pump(stream);
                busy = busy || (stream->ready && !stream->paused && !stream->removed);
            }
            streams.remove_if([](const StreamPtr& stream) { return stream->removed; });
            pollfd fds[2] = {{inotify.get(), POLLIN, 0}, {wakeup.get(), POLLIN, 0}};
            const int idle_wait = stat_polling && !streams.empty() ? stat_poll_ms : -1;
            const int ready = ::poll(fds, 2, busy ? 0 : idle_wait);
            if (ready == 0 && stat_polling) poll_sizes();
            if (fds[0].revents & POLLIN) drain_inotify();
            if (fds[1].revents & POLLIN) {
                std::uint64_t count = 0;
                (void)::read(wakeup.get(), &count, sizeof count);
            }
        }
        for (auto& stream : streams) {
            stream->peer->close(net::CloseCode::going_away, "server stopping");
            forget(*stream);
        }
        streams.clear();
    }
};

namespace {

class OutputHandler final : public net::WebSocketHandler {
public:
    OutputHandler(std::weak_ptr<OutputStreamer::Impl> streamer, std::shared_ptr<net::WebSocketPeer> peer, JobId job)
        : streamer_(std::move(streamer)), peer_(std::move(peer)), job_(job) {}

    void on_message(std::string_view data, net::FrameKind kind) override {
        if (started_) return;  // later messages (pings) need no answer
        boost::system::error_code error;
        auto message = kind == net::FrameKind::text ? boost::json::parse(data, error) : boost::json::value();
        const auto* object = !error ? message.if_object() : nullptr;
        const auto* type = object ? object->if_contains("type") : nullptr;
        const auto* offset = object ? object->if_contains("offset") : nullptr;
        if (!type || !type->is_string() || type->as_string() != "resume" || (offset && !offset->is_int64()) ||
            (offset && offset->as_int64() < 0)) {
            peer_->close(static_cast<net::CloseCode>(4400), "send {\"type\":\"resume\",\"offset\":N} first");
            return;
        }
        started_ = true;
        auto stream = std::make_shared<OutputStreamer::Impl::Stream>();
        stream->peer = peer_;
        stream->job = job_;
        stream->offset = offset ? offset->as_int64() : 0;
        stream_ = stream;
        if (auto impl = streamer_.lock()) impl->post([impl, stream] { impl->add(stream); });
    }

    void on_close() override {
        if (auto impl = streamer_.lock(); impl && stream_) {
            impl->post([impl, stream = stream_] {
                if (!stream->removed) impl->forget(*stream);
            });
        }
    }

private:
    std::weak_ptr<OutputStreamer::Impl> streamer_;
    std::shared_ptr<net::WebSocketPeer> peer_;
    JobId job_;
    bool started_ = false;
    std::shared_ptr<OutputStreamer::Impl::Stream> stream_;
};

}  // namespace

OutputStreamer::OutputStreamer(JobService& service) : impl_(std::make_shared<Impl>(service)) {
    impl_->stat_polling = service.settings().slurm.has_value();
    impl_->inotify.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    impl_->wakeup.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!impl_->inotify || !impl_->wakeup) throw std::runtime_error("job output streams: inotify/eventfd unavailable");
}

OutputStreamer::~OutputStreamer() { stop(); }

void OutputStreamer::register_endpoint(net::WebSocketRegistry& websockets) {
    net::WebSocketEndpoint endpoint;
    endpoint.pattern = "/api/v1/jobs/{id}/output/ws";
    endpoint.policy = net::SlowClientPolicy::backpressure;
    endpoint.limits.max_queued_bytes = std::size_t{32} << 20;  // a last resort; the streamer stops at 2 MiB
    std::weak_ptr<Impl> weak = impl_;
    endpoint.open = [weak](net::WebSocketOpen& open) -> std::shared_ptr<net::WebSocketHandler> {
        const auto& text = open.params.at("id");
        JobId id = 0;
        auto parsed = std::from_chars(text.data(), text.data() + text.size(), id);
        if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || id <= 0)
            throw net::HttpError(404, "no job " + text);
        auto impl = weak.lock();
        if (!impl) throw net::HttpError(503, "the server is stopping");
        auto job = impl->service.get(id);
        if (!job || !*job) throw net::HttpError(404, "no job " + text);
        return std::make_shared<OutputHandler>(weak, open.peer, id);
    };
    websockets.add(std::move(endpoint));
}

void OutputStreamer::start() {
    if (impl_->thread.joinable()) return;
    impl_->thread = std::thread([impl = impl_] { impl->run(); });
}

void OutputStreamer::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    const std::uint64_t one = 1;
    (void)::write(impl_->wakeup.get(), &one, sizeof one);
    if (impl_->thread.joinable()) impl_->thread.join();
}

void OutputStreamer::job_changed(const Job& job) {
    if (job.state == JobState::queued) return;
    impl_->post([impl = impl_.get(), job] {
        for (auto& stream : impl->streams)
            if (stream->job == job.id) impl->note_state(*stream, job);
    });
}

}  // namespace ailab::jobs
