#pragma once
// What the listener and every session share (Beast's `shared_state`): read-only configuration
// and lookup tables set before the first accept, the io_context, and the table of live
// connections. Included by the server's own .cpp files only (it pulls in Asio).
//
// Threads: config/router/websockets/assets/origins/verify are immutable once run() started and
// may be read from any thread. `connections` has its own mutex. `stopping` is atomic.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "net/embedded_assets.hpp"
#include "net/origin.hpp"
#include "net/router.hpp"
#include "net/websocket_endpoint.hpp"

namespace ailab::net {

class ConnectionTable;

// One accepted connection. The shutdown path uses it to close the socket, on the session's
// strand: the session sets `socket` while it runs and clears it before it ends. Releasing the
// last reference gives the connection's slot back to its table.
struct Connection {
    Connection(ConnectionTable& table, boost::asio::any_io_executor executor, std::string remote)
        : table(table), executor(std::move(executor)), remote_address(std::move(remote)) {}
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    ConnectionTable& table;
    boost::asio::any_io_executor executor;
    boost::asio::ip::tcp::socket* socket = nullptr;  // strand only
    std::string remote_address;
};

enum class AdmitRefusal { none, total_limit, address_limit };

// Live connections, counted in total and per remote address against the config's limits.
class ConnectionTable {
public:
    ConnectionTable(std::size_t max_total, std::size_t max_per_address)
        : max_total_(max_total), max_per_address_(max_per_address) {}

    // A slot for a new connection, or nullptr (and why) when a limit is reached.
    std::shared_ptr<Connection> admit(boost::asio::any_io_executor executor, const std::string& remote,
                                      AdmitRefusal& refusal);
    std::vector<std::shared_ptr<Connection>> live();
    std::size_t size() const;

    // Gives a connection's slot back; called by ~Connection only.
    void release(const std::string& remote);

private:
    const std::size_t max_total_;
    const std::size_t max_per_address_;
    mutable std::mutex mutex_;  // guards everything below
    std::vector<std::weak_ptr<Connection>> connections_;
    std::map<std::string, std::size_t, std::less<>> per_address_;
    std::size_t total_ = 0;
};

struct ServerState {
    ServerState(const core::Config& config_in, const Router& router_in, const WebSocketRegistry& websockets_in,
                TokenVerifier verify_in, std::span<const EmbeddedAsset> assets_in)
        : config(config_in),
          router(router_in),
          websockets(websockets_in),
          verify(std::move(verify_in)),
          assets(assets_in),
          origins(config_in.allowed_origins, Scheme::http),
          io(std::max(1, config_in.threads)),
          ssl_context(boost::asio::ssl::context::tls_server),
          connections(config_in.max_connections, config_in.max_connections_per_address) {}

    const core::Config& config;
    const Router& router;
    const WebSocketRegistry& websockets;
    const TokenVerifier verify;
    const std::span<const EmbeddedAsset> assets;
    OriginPolicy origins;  // replaced once when TLS is set up, before the first accept
    bool tls = false;      // set before the first accept

    boost::asio::io_context io;
    // Runs the handlers of Execution::worker routes (long file reads, password checks), so that
    // an I/O thread is never held for long. Joined after the io_context stopped.
    boost::asio::thread_pool workers{2};
    boost::asio::ssl::context ssl_context;
    ConnectionTable connections;
    std::atomic<bool> stopping{false};
};

// Timeouts and sizes every session applies.
inline constexpr std::size_t max_body_bytes = std::size_t{16} << 20;
inline constexpr std::size_t max_header_bytes = std::size_t{32} * 1024;
inline constexpr auto idle_timeout = std::chrono::seconds(60);
inline constexpr auto auth_timeout = std::chrono::seconds(10);

// Logs whatever escaped a detached coroutine instead of losing it.
void log_exception(const std::exception_ptr& error);

}  // namespace ailab::net
