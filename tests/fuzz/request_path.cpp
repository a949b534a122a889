// Fuzzes the request-target decoders of net/http: percent_decode (path and query modes),
// decode_request_path (what a request's path must pass before any handler sees it) and
// parse_query. Contracts checked, besides ASan/UBSan findings:
//   - a decoded text never holds a NUL byte (%00 or a raw NUL is refused, never passed on);
//   - decoding never lengthens the text;
//   - decode(encode(x)) == x for every x without NUL, for a plain encoder written here;
//   - a request path that decode_request_path accepts starts with '/', has no "." or ".." segment,
//     and stays beneath any root it is joined to;
//   - parse_query gives back the map a query string was encoded from (nothing when a key or value
//     holds a NUL).

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "net/http.hpp"
#include "net/router.hpp"

namespace {

using ailab::net::DecodeMode;

[[noreturn]] void fail(const char* what, std::string_view text) {
    std::fprintf(stderr, "request_path fuzz: %s: \"%.*s\"\n", what, static_cast<int>(text.size()), text.data());
    std::abort();
}

bool unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

// Percent-encodes every byte but the unreserved ones ('/' too, in paths); in queries a space may
// become '+'. `lower_hex` and `plus_for_space` vary the spelling the decoder has to accept.
std::string encode(std::string_view text, DecodeMode mode, bool lower_hex, bool plus_for_space) {
    const char* digits = lower_hex ? "0123456789abcdef" : "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (unreserved(c) || (mode == DecodeMode::path && c == '/')) {
            out += c;
        } else if (c == ' ' && mode == DecodeMode::query && plus_for_space) {
            out += '+';
        } else {
            out += '%';
            out += digits[byte >> 4];
            out += digits[byte & 0xF];
        }
    }
    return out;
}

void check_decode(std::string_view text, DecodeMode mode) {
    const auto decoded = ailab::net::percent_decode(text, mode);
    if (!decoded) return;
    if (decoded->find('\0') != std::string::npos) fail("a decoded text holds a NUL", text);
    if (decoded->size() > text.size()) fail("decoding lengthened the text", text);
    if (mode == DecodeMode::path && text.find('%') == std::string_view::npos && *decoded != text)
        fail("a path without escapes changed", text);
}

void check_round_trip(std::string_view text, DecodeMode mode, bool lower_hex, bool plus_for_space) {
    const auto decoded = ailab::net::percent_decode(encode(text, mode, lower_hex, plus_for_space), mode);
    if (text.find('\0') != std::string_view::npos) {
        if (decoded) fail("an encoded NUL was decoded", text);
    } else if (!decoded || *decoded != text) {
        fail("decode(encode(x)) != x", text);
    }
}

void check_request_path(std::string_view text) {
    const auto path = ailab::net::decode_request_path(text);
    if (!path) return;
    if (path->empty() || path->front() != '/') fail("an accepted path does not start with '/'", text);
    if (path->find('\0') != std::string::npos) fail("an accepted path holds a NUL", text);
    for (const auto& segment : ailab::net::split_path(*path)) {
        if (segment == "." || segment == "..") fail("an accepted path has a dot segment", text);
    }
    const std::filesystem::path root = "/srv/root";
    const auto joined = (root / std::filesystem::path(path->substr(1))).lexically_normal();
    const auto relative = joined.lexically_relative(root);
    if (relative.empty() || *relative.begin() == "..") fail("an accepted path leaves its root", text);
}

void check_query(FuzzedDataProvider& provider) {
    std::optional<std::map<std::string, std::string>> expected{std::in_place};
    std::string query;
    const bool lower_hex = provider.ConsumeBool();
    const bool plus_for_space = provider.ConsumeBool();
    while (provider.remaining_bytes() > 0) {
        const std::string key = provider.ConsumeRandomLengthString(64);
        const std::string value = provider.ConsumeRandomLengthString(64);
        if (!query.empty()) query += '&';
        query += encode(key, DecodeMode::query, lower_hex, plus_for_space);
        query += '=';
        query += encode(value, DecodeMode::query, lower_hex, plus_for_space);
        // A NUL anywhere refuses the whole query; else the first of two equal keys wins.
        if (key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) expected.reset();
        if (expected) expected->emplace(key, value);
    }
    if (ailab::net::parse_query(query) != expected) fail("parse_query lost or changed a pair", query);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_decode(text, DecodeMode::path);
    check_decode(text, DecodeMode::query);
    check_request_path(text);
    if (const auto query = ailab::net::parse_query(text)) {
        for (const auto& [key, value] : *query) {
            if (key.find('\0') != std::string::npos || value.find('\0') != std::string::npos)
                fail("a query pair holds a NUL", text);
        }
    }
    const bool lower_hex = size > 0 && (data[0] & 1) != 0;
    check_round_trip(text, DecodeMode::path, lower_hex, false);
    check_round_trip(text, DecodeMode::query, lower_hex, size > 0 && (data[0] & 2) != 0);

    FuzzedDataProvider provider(data, size);
    check_query(provider);
    return 0;
}
