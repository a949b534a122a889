#pragma once
// The terminal WebSocket's wire (docs/API.md "Terminals"): the attach message and the binary
// frames whose first byte is an ASCII type, as ttyd has them. Pure functions, no I/O; the server
// and the test clients share them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace ailab::terminals {

inline constexpr int max_dimension = 1000;  // cols and rows are 1..1000

// Client -> server, binary: '0' input bytes, '1' resize {"cols","rows"}, '2' acknowledge {"offset"}.
enum class ClientFrameType : char { input = '0', resize = '1', acknowledge = '2' };
// Server -> client, binary: '0' output bytes, '1' title text, '2' exit {"code","signal"}.
enum class ServerFrameType : char { output = '0', title = '1', exit = '2' };

struct ClientFrame {
    ClientFrameType type = ClientFrameType::input;
    std::string_view input;  // type input: the bytes (a view into the parsed frame)
    int cols = 0;            // type resize
    int rows = 0;
    std::int64_t offset = 0;  // type acknowledge
};

// Errors (invalid_argument, with a message for the close reason): an empty frame, an unknown type
// byte, resize JSON without integer cols/rows in 1..1000, acknowledge JSON without an integer
// offset >= 0.
core::Result<ClientFrame> parse_client_frame(std::string_view frame);

struct AttachRequest {
    int cols = 80;
    int rows = 24;
    std::optional<std::int64_t> offset;  // null: the client holds nothing
};

// {"type":"attach","cols":n,"rows":n,"offset":N|null}; offset may be absent (= null).
core::Result<AttachRequest> parse_attach(std::string_view text);

std::string output_frame(std::string_view bytes);
std::string title_frame(std::string_view title);
std::string exit_frame(std::optional<int> code, std::optional<int> signal);
std::string attached_message(std::int64_t offset, std::string_view restore);

// The client's side, for tests, benchmarks and the command-line client.
std::string input_frame(std::string_view bytes);
std::string resize_frame(int cols, int rows);
std::string acknowledge_frame(std::int64_t offset);
std::string attach_message(int cols, int rows, std::optional<std::int64_t> offset);

}  // namespace ailab::terminals
