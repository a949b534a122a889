// ExitWatcher (jobs/process.hpp): one thread polls a pidfd per watched supervisor and an eventfd
// that wakes it for new watches and for stop.
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "core/fd.hpp"
#include "jobs/job_folder.hpp"
#include "jobs/process.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace ailab::jobs {

struct ExitWatcher::Impl {
    struct Watched {
        JobId job = 0;
        core::OwnedFd pidfd;
    };

    explicit Impl(std::function<void(JobId)> callback) : on_exit(std::move(callback)) {}

    void wake() const {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto written = ::write(wake_fd.get(), &one, sizeof one);
    }

    void call(JobId job) const {
        try {
            on_exit(job);
        } catch (const std::exception& error) {
            spdlog::error("jobs: the exit callback of job {} threw: {}", job, error.what());
        } catch (...) {
            spdlog::error("jobs: the exit callback of job {} threw", job);
        }
    }

    // The watcher thread: owns `watched`; takes what watch() queued under the mutex.
    void run() {
        std::vector<Watched> watched;
        std::vector<pollfd> descriptors;
        std::vector<JobId> ended;
        for (;;) {
            descriptors.clear();
            descriptors.push_back({wake_fd.get(), POLLIN, 0});
            for (const auto& item : watched) descriptors.push_back({item.pidfd.get(), POLLIN, 0});
            if (::poll(descriptors.data(), descriptors.size(), -1) < 0) {
                if (errno == EINTR) continue;
                spdlog::error("jobs: the exit watcher cannot poll: {}", std::strerror(errno));
                return;
            }
            ended.clear();
            if (descriptors[0].revents != 0) {
                std::uint64_t count = 0;
                [[maybe_unused]] const auto got = ::read(wake_fd.get(), &count, sizeof count);
                std::lock_guard lock(mutex);
                if (stopping) return;
                for (auto& item : incoming) watched.push_back(std::move(item));
                incoming.clear();
                ended.insert(ended.end(), gone.begin(), gone.end());
                gone.clear();
            }
            // descriptors[i + 1] belongs to watched[i] for the items that were there before the
            // poll; the ones just moved in are polled on the next turn.
            std::size_t kept = 0;
            const std::size_t polled = descriptors.size() - 1;
            for (std::size_t index = 0; index < watched.size(); ++index) {
                if (index < polled && descriptors[index + 1].revents != 0) {
                    // Reaps it when it is our child (WNOHANG: nothing to wait for otherwise); a
                    // process we did not start answers ECHILD, which is fine.
                    siginfo_t info{};
                    ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(watched[index].pidfd.get()), &info,
                             WEXITED | WNOHANG);
                    ended.push_back(watched[index].job);
                    continue;
                }
                if (kept != index) watched[kept] = std::move(watched[index]);
                ++kept;
            }
            watched.resize(kept);
            for (const JobId job : ended) call(job);
        }
    }

    const std::function<void(JobId)> on_exit;
    core::OwnedFd wake_fd;
    std::mutex mutex;               // guards incoming, gone and stopping
    std::vector<Watched> incoming;  // watched from the next turn on
    std::vector<JobId> gone;        // already gone when watched: called on the next turn
    bool stopping = false;
    std::thread thread;
};

ExitWatcher::ExitWatcher(std::function<void(JobId)> on_exit) : impl_(std::make_unique<Impl>(std::move(on_exit))) {
    impl_->wake_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!impl_->wake_fd)
        throw std::system_error(errno, std::generic_category(), "cannot create the exit watcher's eventfd");
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

ExitWatcher::~ExitWatcher() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->wake();
    impl_->thread.join();
}

core::Status ExitWatcher::watch(JobId job, const ProcessRecord& record) {
    if (record.supervisor_pid <= 0) return core::Error::invalid("no supervisor pid to watch");
    core::OwnedFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, record.supervisor_pid, 0)));
    if (!pidfd && errno != ESRCH)
        return core::Error::from_errno(errno, "cannot watch supervisor " + std::to_string(record.supervisor_pid));
    // Checked after the pidfd is open: a match means the pidfd is that very process; a mismatch (or
    // no process) means the supervisor ended and its pid was reused or is free.
    if (pidfd) {
        const auto ticks = folder::read_start_ticks(record.supervisor_pid);
        if (!ticks || *ticks != record.supervisor_start_ticks) pidfd.reset();
    }
    {
        std::lock_guard lock(impl_->mutex);
        if (pidfd)
            impl_->incoming.push_back({job, std::move(pidfd)});
        else
            impl_->gone.push_back(job);
    }
    impl_->wake();
    return {};
}

}  // namespace ailab::jobs
