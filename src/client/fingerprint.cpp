#include "client/fingerprint.hpp"

#include <openssl/evp.h>

#include <cctype>

namespace ailab::client {

core::Result<std::string> normalize_fingerprint(std::string_view text) {
    auto invalid = [&] {
        return core::Error::invalid("bad fingerprint \"" + std::string(text) +
                                    "\": 64 hex digits, with or without ':' (the server prints it at start)");
    };
    const bool colons = text.find(':') != std::string_view::npos;
    if (text.size() != (colons ? 95 : 64)) return invalid();
    std::string hex;
    hex.reserve(64);
    for (std::size_t index = 0; index < text.size(); ++index) {
        char c = text[index];
        if (colons && index % 3 == 2) {
            if (c != ':') return invalid();
            continue;
        }
        if (!std::isxdigit(static_cast<unsigned char>(c))) return invalid();
        hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return hex;
}

std::string display_fingerprint(std::string_view hex) {
    std::string text;
    for (std::size_t index = 0; index < hex.size(); ++index) {
        if (index > 0 && index % 2 == 0) text.push_back(':');
        text.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(hex[index]))));
    }
    return text;
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int index = 0; index < length; ++index) {
        hex.push_back(digits[digest[index] >> 4]);
        hex.push_back(digits[digest[index] & 15]);
    }
    return hex;
}

}  // namespace ailab::client
