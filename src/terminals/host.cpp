#include "terminals/host.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "files/roots.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace ailab::terminals {
namespace {

using Steady = std::chrono::steady_clock;
using boost::system::errc::errc_t;

constexpr std::size_t read_bytes = std::size_t{64} * 1024;
constexpr int reads_per_turn = 16;  // up to 1 MiB per terminal per turn, so one cannot starve the rest
constexpr std::size_t gather_bytes = std::size_t{4} * 1024;  // a frame goes out when less room is left
// After the program ended, a pty that stays readable-but-empty this long (a background process
// holds it open) counts as ended.
constexpr auto output_grace = std::chrono::milliseconds(200);

core::Error error_of(errc_t code, std::string message) {
    return core::Error{boost::system::errc::make_error_code(code), std::move(message)};
}

std::string random_id() {
    unsigned char bytes[6];
    if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes))
        throw std::runtime_error("terminals: getrandom failed");
    static constexpr char digits[] = "0123456789abcdef";
    std::string id;
    for (const auto byte : bytes) {
        id.push_back(digits[byte >> 4]);
        id.push_back(digits[byte & 15]);
    }
    return id;
}

}  // namespace

struct TerminalHost::Impl : std::enable_shared_from_this<TerminalHost::Impl> {
    Impl(Settings settings_in, const files::Roots* roots_in) : settings(std::move(settings_in)), roots(roots_in) {}

    const Settings settings;
    const files::Roots* roots;
    core::OwnedFd epoll;
    core::OwnedFd wakeup;
    std::thread thread;
    std::atomic<FlowControl::ClientId> next_client{1};

    mutable std::mutex mutex;                          // guards terminals, commands and stopping
    std::vector<std::shared_ptr<Terminal>> terminals;  // listed, oldest first
    std::deque<std::function<void()>> commands;
    bool stopping = false;

    // The thread's own: terminals whose descriptors are watched or whose program still runs.
    struct Watched {
        std::shared_ptr<Terminal> terminal;
        bool master_registered = false;
        bool pidfd_registered = false;
        bool closing = false;
        bool killed = false;
        Steady::time_point kill_at{};
        std::optional<Steady::time_point> reaped_at;
    };
    std::map<std::uint64_t, Watched> watched;
    std::uint64_t next_serial = 1;
    Steady::time_point next_cull = Steady::now();

    void post(std::function<void()> command) {
        {
            std::lock_guard lock(mutex);
            if (stopping) return;
            commands.push_back(std::move(command));
        }
        const std::uint64_t one = 1;
        [[maybe_unused]] auto written = ::write(wakeup.get(), &one, sizeof one);
    }

    // --- the thread ----------------------------------------------------------------------------
    // Watches the master (one-shot) for what the terminal needs now: reading unless its clients
    // hold it paused, writing while input is queued. With neither it stays disarmed (a one-shot
    // that fired is), so a hung-up pty cannot spin the loop while paused.
    void arm(std::uint64_t serial, Watched& item) {
        if (!item.master_registered) return;
        std::uint32_t wanted = 0;
        if (item.terminal->flow_state() == FlowState::reading) wanted |= EPOLLIN;
        if (item.terminal->input_queued() == InputQueued::yes) wanted |= EPOLLOUT;
        if (wanted == 0) return;
        epoll_event event{};
        event.events = wanted | EPOLLONESHOT;
        event.data.u64 = serial * 2;
        ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, item.terminal->master_fd(), &event);
    }

    void adopt(const std::shared_ptr<Terminal>& terminal) {
        const auto serial = next_serial++;
        Watched item;
        item.terminal = terminal;
        epoll_event event{};
        event.events = EPOLLIN | EPOLLONESHOT;
        event.data.u64 = serial * 2;
        item.master_registered = ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, terminal->master_fd(), &event) == 0;
        event.events = EPOLLIN;
        event.data.u64 = serial * 2 + 1;
        item.pidfd_registered = ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, terminal->pidfd(), &event) == 0;
        watched.emplace(serial, std::move(item));
    }

    std::map<std::uint64_t, Watched>::iterator find_watched(const std::shared_ptr<Terminal>& terminal) {
        for (auto it = watched.begin(); it != watched.end(); ++it)
            if (it->second.terminal == terminal) return it;
        return watched.end();
    }

    void end_output(Watched& item) {
        if (!item.master_registered) return;
        ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, item.terminal->master_fd(), nullptr);
        item.master_registered = false;
        item.terminal->output_ended();
    }

    // Reads up to one turn's worth; the caller re-arms. A pty hands out at most 4 KiB per read
    // (its line discipline's buffer), so reads are gathered into frames of up to 64 KiB: one
    // frame, one ring append and one post per client for up to 16 reads.
    void pump(Watched& item) {
        if (!item.master_registered) return;
        std::string buffer(read_bytes, '\0');
        std::size_t filled = 0;
        const auto publish = [&] {
            if (filled > 0) item.terminal->publish(std::string_view(buffer.data(), filled));
            filled = 0;
        };
        for (int turn = 0; turn < reads_per_turn * 16; ++turn) {
            if (filled == 0 && item.terminal->flow_state() == FlowState::paused) return;  // rearm() resumes it
            const auto got = ::read(item.terminal->master_fd(), buffer.data() + filled, buffer.size() - filled);
            if (got > 0) {
                filled += static_cast<std::size_t>(got);
                if (buffer.size() - filled < gather_bytes) publish();
                continue;
            }
            if (got < 0 && errno == EINTR) continue;
            publish();
            if (got < 0 && errno == EAGAIN) {
                if (item.reaped_at && Steady::now() - *item.reaped_at >= output_grace) end_output(item);
                return;
            }
            end_output(item);  // EIO: every holder of the terminal side closed it
            return;
        }
        publish();
    }

    void handle_master(std::uint64_t serial, Watched& item, std::uint32_t events) {
        if (events & (EPOLLOUT | EPOLLERR)) item.terminal->flush_input();
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) pump(item);
        arm(serial, item);
    }

    void reap(Watched& item) {
        siginfo_t info{};
        if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(item.terminal->pidfd()), &info,
                     WEXITED | WNOHANG) < 0 ||
            info.si_pid == 0)
            return;
        std::optional<int> code;
        std::optional<int> signal;
        if (info.si_code == CLD_EXITED)
            code = info.si_status;
        else
            signal = info.si_status;
        ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, item.terminal->pidfd(), nullptr);
        item.pidfd_registered = false;
        item.reaped_at = Steady::now();
        item.terminal->reaped(code, signal);
    }

    void hang_up(Watched& item, net::CloseCode code, const std::string& reason) {
        if (item.master_registered) ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, item.terminal->master_fd(), nullptr);
        item.master_registered = false;
        item.terminal->hang_up(code, reason);
        item.closing = true;
        item.kill_at = Steady::now() + settings.close_grace;
    }

    void close_on_thread(const std::shared_ptr<Terminal>& terminal) {
        auto found = find_watched(terminal);
        if (found != watched.end())
            hang_up(found->second, net::CloseCode::normal, "terminal closed");
        else
            terminal->hang_up(net::CloseCode::normal, "terminal closed");  // already exited
    }

    void cull_idle() {
        const auto limit = settings.idle_limit.count();
        if (limit <= 0) return;
        const auto now = Steady::now();
        if (now < next_cull) return;
        next_cull =
            now + std::chrono::duration_cast<Steady::duration>(std::clamp(
                      settings.idle_limit / 4, std::chrono::duration<double>(0.1), std::chrono::duration<double>(30)));
        std::vector<std::shared_ptr<Terminal>> idle;
        {
            std::lock_guard lock(mutex);
            const auto wall = unix_now();
            std::erase_if(terminals, [&](const std::shared_ptr<Terminal>& terminal) {
                const bool is_idle = terminal->client_count() == 0 && wall - terminal->last_activity() > limit;
                if (is_idle) idle.push_back(terminal);
                return is_idle;
            });
        }
        for (const auto& terminal : idle) {
            spdlog::info("terminal {} of {}: idle for terminal_idle_hours; closed", terminal->id(), terminal->user());
            close_on_thread(terminal);
        }
    }

    // The next time the loop must look without an event (ms; -1: none).
    int timeout_ms() const {
        auto next = Steady::time_point::max();
        for (const auto& [serial, item] : watched) {
            if (item.closing && !item.killed && !item.reaped_at) next = std::min(next, item.kill_at);
            if (item.reaped_at && item.master_registered) next = std::min(next, *item.reaped_at + output_grace);
            // A paused terminal is looked at every second for clients that stalled it.
            if (item.master_registered && item.terminal->flow_state() == FlowState::paused)
                next = std::min(next, Steady::now() + std::chrono::seconds(1));
        }
        if (settings.idle_limit.count() > 0) next = std::min(next, next_cull);
        if (next == Steady::time_point::max()) return -1;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(next - Steady::now()).count();
        return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
    }

    void tend() {
        const auto now = Steady::now();
        for (auto it = watched.begin(); it != watched.end();) {
            auto& item = it->second;
            if (item.closing && !item.killed && !item.reaped_at && now >= item.kill_at) {
                ::kill(-item.terminal->pid(), SIGKILL);
                item.killed = true;
            }
            if (item.reaped_at && item.master_registered && now - *item.reaped_at >= output_grace &&
                item.terminal->flow_state() == FlowState::reading) {
                pump(item);
                arm(it->first, item);
            }
            if (item.master_registered && item.terminal->flow_state() == FlowState::paused &&
                item.terminal->drop_stalled_clients() == Resumed::yes)
                arm(it->first, item);
            if (item.reaped_at && !item.master_registered)
                it = watched.erase(it);
            else
                ++it;
        }
    }

    void run() {
        std::vector<epoll_event> events(64);
        for (;;) {
            std::deque<std::function<void()>> batch;
            {
                std::lock_guard lock(mutex);
                if (stopping) break;
                batch.swap(commands);
            }
            for (auto& command : batch) command();
            cull_idle();
            tend();
            const int count = ::epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()), timeout_ms());
            for (int index = 0; index < count; ++index) {
                const auto data = events[static_cast<std::size_t>(index)].data.u64;
                if (data == 0) {
                    std::uint64_t ignored = 0;
                    [[maybe_unused]] auto got = ::read(wakeup.get(), &ignored, sizeof ignored);
                    continue;
                }
                auto found = watched.find(data / 2);
                if (found == watched.end()) continue;
                if (data % 2 == 1) {
                    reap(found->second);
                    handle_master(found->first, found->second, EPOLLIN);  // what the program wrote last
                } else {
                    handle_master(found->first, found->second, events[static_cast<std::size_t>(index)].events);
                }
            }
        }
        shut_down();
    }

    // After the loop: hang everything up, give the programs a second, then SIGKILL, reap all.
    void shut_down() {
        for (auto& [serial, item] : watched)
            if (!item.closing) hang_up(item, net::CloseCode::going_away, "server stopping");
        {
            std::lock_guard lock(mutex);
            for (const auto& terminal : terminals) terminal->hang_up(net::CloseCode::going_away, "server stopping");
        }
        const auto deadline = Steady::now() + std::chrono::seconds(1);
        for (auto& [serial, item] : watched) {
            if (item.reaped_at) continue;
            pollfd descriptor{item.terminal->pidfd(), POLLIN, 0};
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
            if (::poll(&descriptor, 1, static_cast<int>(std::max<long long>(left, 0))) <= 0)
                ::kill(-item.terminal->pid(), SIGKILL);
            siginfo_t info{};
            ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(item.terminal->pidfd()), &info, WEXITED);
            item.terminal->reaped(std::nullopt, std::nullopt);
        }
        watched.clear();
    }
};

TerminalHost::TerminalHost(Settings settings, const files::Roots* roots)
    : impl_(std::make_shared<Impl>(std::move(settings), roots)) {
    impl_->epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
    impl_->wakeup.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!impl_->epoll || !impl_->wakeup) throw std::runtime_error("terminals: epoll/eventfd unavailable");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = 0;
    ::epoll_ctl(impl_->epoll.get(), EPOLL_CTL_ADD, impl_->wakeup.get(), &event);
}

TerminalHost::~TerminalHost() { stop(); }

const Settings& TerminalHost::settings() const { return impl_->settings; }

void TerminalHost::start() {
    if (impl_->thread.joinable()) return;
    impl_->thread = std::thread([impl = impl_] { impl->run(); });
}

void TerminalHost::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(impl_->wakeup.get(), &one, sizeof one);
    if (impl_->thread.joinable()) impl_->thread.join();
}

core::Result<TerminalInfo> TerminalHost::open(const OpenRequest& request) {
    auto identity = server_identity();
    if (!identity) return identity.error();

    TerminalOrigin origin;
    origin.user = request.user;
    origin.root = request.root;
    origin.cols = request.cols;
    origin.rows = request.rows;
    core::OwnedFd home;
    std::shared_ptr<const core::ConfinedRoot> confined;  // held until the program entered it
    core::OwnedFd subfolder;
    int folder_fd = -1;
    if (!request.path.empty() && !request.root)
        return core::Error::invalid("path needs a root: it names a folder beneath one");
    if (request.root) {
        if (!impl_->roots)
            return error_of(errc_t::function_not_supported,
                            "this server cannot open terminals in a root (no files feature)");
        auto root = impl_->roots->resolve(*request.root);
        if (!root) return root.error();
        confined = root->folder;
        folder_fd = confined->fd();
        origin.folder = confined->path().string();
        if (!request.path.empty()) {
            // Beneath the root only (openat2 RESOLVE_BENEATH or the checked walk).
            auto folder = confined->open_folder(request.path);
            if (!folder) return folder.error();
            subfolder = std::move(*folder);
            folder_fd = subfolder.get();
            origin.folder = (confined->path() / request.path).lexically_normal().string();
        }
    } else {
        home.reset(::open(identity->home.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!home) home.reset(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        folder_fd = home.get();
        origin.folder = home ? identity->home : "/";
    }

    SpawnRequest spawn;
    spawn.program = identity->shell;
    const auto shell_name = std::filesystem::path(identity->shell).filename().string();
    if (request.command) {
        spawn.argv = {shell_name, "-c", *request.command};
        origin.command = *request.command;
    } else {
        spawn.argv = {"-" + shell_name};  // a login shell, as login(1) starts it
        origin.command = identity->shell + " -l";
    }
    spawn.environment = terminal_environment(*identity);
    spawn.folder_fd = folder_fd;
    spawn.cols = request.cols;
    spawn.rows = request.rows;

    std::shared_ptr<Terminal> terminal;
    {
        // Held across the spawn (a fork, milliseconds) so that two opens cannot both pass the limit.
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopping) return error_of(errc_t::operation_canceled, "the server is stopping");
        if (impl_->terminals.size() >= impl_->settings.max_terminals)
            return error_of(errc_t::resource_unavailable_try_again,
                            "at most " + std::to_string(impl_->settings.max_terminals) +
                                " terminals may be open (max_terminals); close one first");
        auto process = spawn_on_pty(spawn);
        if (!process) return process.error();
        origin.id = random_id();
        terminal = std::make_shared<Terminal>(std::move(origin), std::move(*process), impl_->settings.scrollback_bytes);
        impl_->terminals.push_back(terminal);
    }
    spdlog::info("terminal {} opened by {}: {} in {}", terminal->id(), request.user, terminal->info().command,
                 terminal->info().folder);
    std::weak_ptr<Impl> weak = impl_;
    impl_->post([weak, terminal] {
        if (auto impl = weak.lock()) impl->adopt(terminal);
    });
    return terminal->info();
}

std::vector<TerminalInfo> TerminalHost::list(const std::string& user) const {
    std::vector<std::shared_ptr<Terminal>> visible;
    {
        std::lock_guard lock(impl_->mutex);
        for (const auto& terminal : impl_->terminals)
            if (terminal->user() == user || impl_->settings.is_admin(user)) visible.push_back(terminal);
    }
    std::vector<TerminalInfo> infos;
    infos.reserve(visible.size());
    for (const auto& terminal : visible) infos.push_back(terminal->info());
    return infos;
}

std::shared_ptr<Terminal> TerminalHost::find(const std::string& id, const std::string& user) const {
    std::lock_guard lock(impl_->mutex);
    for (const auto& terminal : impl_->terminals)
        if (terminal->id() == id && (terminal->user() == user || impl_->settings.is_admin(user))) return terminal;
    return nullptr;
}

std::optional<TerminalInfo> TerminalHost::close(const std::string& id, const std::string& user) {
    std::shared_ptr<Terminal> terminal;
    {
        std::lock_guard lock(impl_->mutex);
        auto found = std::find_if(impl_->terminals.begin(), impl_->terminals.end(), [&](const auto& item) {
            return item->id() == id && (item->user() == user || impl_->settings.is_admin(user));
        });
        if (found == impl_->terminals.end()) return std::nullopt;
        terminal = *found;
        impl_->terminals.erase(found);
    }
    auto info = terminal->info();
    spdlog::info("terminal {} closed by {}", id, user);
    std::weak_ptr<Impl> weak = impl_;
    impl_->post([weak, terminal] {
        if (auto impl = weak.lock()) impl->close_on_thread(terminal);
    });
    return info;
}

void TerminalHost::rearm(const std::shared_ptr<Terminal>& terminal) { rearmer()(terminal); }

TerminalHost::Rearm TerminalHost::rearmer() const {
    std::weak_ptr<Impl> weak = impl_;
    return [weak](const std::shared_ptr<Terminal>& terminal) {
        auto impl = weak.lock();
        if (!impl) return;
        impl->post([weak, terminal] {
            auto impl = weak.lock();
            if (!impl) return;
            auto found = impl->find_watched(terminal);
            if (found != impl->watched.end() && found->second.master_registered) impl->arm(found->first, found->second);
        });
    };
}

std::size_t TerminalHost::count() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->terminals.size();
}

FlowControl::ClientId TerminalHost::next_client_id() { return impl_->next_client++; }

}  // namespace ailab::terminals
