#include "sync/hash.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "core/fd.hpp"

namespace ailab::sync {
namespace {

constexpr std::size_t digest_bytes = 32;

void require_sodium() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string to_hex(const unsigned char* digest) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex(digest_bytes * 2, '0');
    for (std::size_t i = 0; i < digest_bytes; ++i) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
    return hex;
}

crypto_generichash_state* as_state(unsigned char* bytes) {
    return reinterpret_cast<crypto_generichash_state*>(bytes);  // NOLINT: sized and aligned below
}

}  // namespace

static_assert(sizeof(crypto_generichash_state) <= 384, "Hasher::state_ is too small");

std::string hash_bytes(std::string_view data) {
    require_sodium();
    std::array<unsigned char, digest_bytes> digest{};
    crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                       nullptr, 0);
    return to_hex(digest.data());
}

core::Result<std::string> hash_file(const std::filesystem::path& file) {
    core::OwnedFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) return core::Error::from_errno(errno, "cannot read " + file.string());
    Hasher hasher;
    std::string buffer(std::size_t{64} * 1024, '\0');
    for (;;) {
        const auto got = ::read(fd.get(), buffer.data(), buffer.size());
        if (got < 0) {
            if (errno == EINTR) continue;
            return core::Error::from_errno(errno, "cannot read " + file.string());
        }
        if (got == 0) break;
        hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
    }
    return hasher.finish();
}

bool is_hash(std::string_view text) {
    if (text.size() != digest_bytes * 2) return false;
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Hasher::Hasher() : state_{} {
    require_sodium();
    crypto_generichash_init(as_state(state_), nullptr, 0, digest_bytes);
}

void Hasher::update(std::string_view data) {
    crypto_generichash_update(as_state(state_), reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string Hasher::finish() {
    std::array<unsigned char, digest_bytes> digest{};
    crypto_generichash_final(as_state(state_), digest.data(), digest.size());
    return to_hex(digest.data());
}

}  // namespace ailab::sync
