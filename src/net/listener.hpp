#pragma once
// Accepts connections and starts one http session per connection on its own strand.
//
// Limits: at most config.max_connections connections in all and config.max_connections_per_address
// from one remote address; past either, a new connection is closed at once. When the process runs
// out of file descriptors (EMFILE/ENFILE) the loop backs off (50 ms, doubling to 400 ms) instead of
// spinning, and logs once per episode; the pending connections wait in the kernel's backlog and are
// taken as soon as a descriptor frees.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/server_state.hpp"

namespace ailab::net {

boost::asio::awaitable<void> accept_loop(ServerState& state, boost::asio::ip::tcp::acceptor& acceptor);

// Raises the soft limit on open files to the hard limit; returns the new soft limit.
std::size_t raise_file_limit();

}  // namespace ailab::net
