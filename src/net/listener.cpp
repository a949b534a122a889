#include "net/listener.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "net/http_session.hpp"
#include "net/streams.hpp"

namespace ailab::net {
namespace asio = boost::asio;
namespace ip = asio::ip;

void log_exception(const std::exception_ptr& error) {
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        spdlog::error("session ended by an exception: {}", e.what());
    } catch (...) {
        spdlog::error("session ended by an unknown exception");
    }
}

Connection::~Connection() { table.release(remote_address); }

std::shared_ptr<Connection> ConnectionTable::admit(asio::any_io_executor executor, const std::string& remote,
                                                   AdmitRefusal& refusal) {
    std::lock_guard lock(mutex_);
    refusal = AdmitRefusal::none;
    if (total_ >= max_total_) {
        refusal = AdmitRefusal::total_limit;
        return nullptr;
    }
    auto& count = per_address_[remote];
    if (count >= max_per_address_) {
        refusal = AdmitRefusal::address_limit;
        if (count == 0) per_address_.erase(remote);
        return nullptr;
    }
    ++count;
    ++total_;
    auto connection = std::make_shared<Connection>(*this, std::move(executor), remote);
    std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
    connections_.push_back(connection);
    return connection;
}

void ConnectionTable::release(const std::string& remote) {
    std::lock_guard lock(mutex_);
    --total_;
    auto it = per_address_.find(remote);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

std::vector<std::shared_ptr<Connection>> ConnectionTable::live() {
    std::vector<std::shared_ptr<Connection>> out;
    std::lock_guard lock(mutex_);
    for (auto& weak : connections_)
        if (auto connection = weak.lock()) out.push_back(std::move(connection));
    return out;
}

std::size_t ConnectionTable::size() const {
    std::lock_guard lock(mutex_);
    return total_;
}

std::size_t raise_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    return static_cast<std::size_t>(limit.rlim_cur);
}

asio::awaitable<void> accept_loop(ServerState& state, ip::tcp::acceptor& acceptor) {
    constexpr auto first_backoff = std::chrono::milliseconds(50);
    constexpr auto longest_backoff = std::chrono::milliseconds(400);
    auto backoff = first_backoff;
    bool out_of_descriptors = false;
    bool refusing = false;
    asio::steady_timer pause(acceptor.get_executor());
    for (;;) {
        auto strand = asio::make_strand(state.io);
        auto [error, socket] = co_await acceptor.async_accept(strand, use_tuple);
        if (error) {
            if (error == asio::error::operation_aborted || state.stopping) co_return;
            if (error == asio::error::no_descriptors || error.value() == ENFILE ||
                error == asio::error::no_buffer_space || error == asio::error::no_memory) {
                if (!out_of_descriptors) {
                    spdlog::warn("accept: {} ({} connections open); pausing accepts until one closes", error.message(),
                                 state.connections.size());
                }
                out_of_descriptors = true;
                pause.expires_after(backoff);
                co_await pause.async_wait(use_tuple);
                backoff = std::min(backoff * 2, longest_backoff);
                continue;
            }
            spdlog::warn("accept failed: {}", error.message());
            continue;
        }
        if (out_of_descriptors) {
            spdlog::info("accept: descriptors available again ({} connections open)", state.connections.size());
            out_of_descriptors = false;
        }
        backoff = first_backoff;
        boost::system::error_code endpoint_error;
        const auto endpoint = socket.remote_endpoint(endpoint_error);
        std::string remote = endpoint_error ? "unknown" : endpoint.address().to_string();
        AdmitRefusal refusal{};
        auto connection = state.connections.admit(socket.get_executor(), remote, refusal);
        if (!connection) {
            if (!refusing) {
                spdlog::warn("refusing connections from {}: the limit of {} is reached", remote,
                             refusal == AdmitRefusal::total_limit ? "max_connections" : "max_connections_per_address");
            }
            refusing = true;
            socket.close(endpoint_error);
            continue;
        }
        refusing = false;
        socket.set_option(ip::tcp::no_delay(true), endpoint_error);
        asio::co_spawn(strand, run_http_session(state, std::move(socket), std::move(connection)), log_exception);
    }
}

}  // namespace ailab::net
