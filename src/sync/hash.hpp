#pragma once
// The content hash of code sync: BLAKE2b-256 (libsodium crypto_generichash, 32 bytes, no key),
// as 64 lower-case hex digits. Python: hashlib.blake2b(data, digest_size=32).hexdigest().

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace ailab::sync {

std::string hash_bytes(std::string_view data);
// Streams the file (64 KiB reads). Error naming the file when it cannot be read.
core::Result<std::string> hash_file(const std::filesystem::path& file);
bool is_hash(std::string_view text);  // 64 lower-case hex digits

// Incremental form, for uploads received in pieces.
class Hasher {
public:
    Hasher();
    void update(std::string_view data);
    std::string finish();  // hex; the hasher is then spent

private:
    alignas(64) unsigned char state_[384];  // crypto_generichash_state
};

}  // namespace ailab::sync
