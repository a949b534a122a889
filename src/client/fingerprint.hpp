#pragma once
// Certificate pinning for servers with a self-signed certificate ("tls": "auto"). The server
// prints the SHA-256 of its certificate (DER) at start as "AB:CD:…"; the credentials file stores
// the same 32 bytes as 64 lower-case hex digits.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace ailab::client {

// Accepts 64 hex digits in either case, with or without ':' between the byte pairs (as the
// server prints it), and answers 64 lower-case hex digits. Errors: another length, a non-hex
// character, misplaced colons.
core::Result<std::string> normalize_fingerprint(std::string_view text);

// 64 hex digits → "AB:CD:…" (the server's form), for messages.
std::string display_fingerprint(std::string_view hex);

// SHA-256 of bytes (a certificate's DER), as 64 lower-case hex digits.
std::string sha256_hex(std::string_view bytes);

}  // namespace ailab::client
