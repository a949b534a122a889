#pragma once
// The content-addressed blob store of code sync: queue/blobs/<first 2 hex>/<other 62 hex>, each
// file written to a temporary name, fsync'd, made read-only (0444) and renamed into place, so a
// blob that exists is complete. Blobs are never changed or deleted by a client's word.
// Thread-safe: concurrent puts of the same blob are fine (the rename is atomic; the second wins
// with the same bytes).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace ailab::jobs {

enum class PutOutcome { stored, already_there };

class BlobStore {
public:
    explicit BlobStore(std::filesystem::path root);  // queue/blobs; created when missing

    bool has(std::string_view hash) const;
    // Hashes of `hashes` that are not stored, in the given order, each once.
    std::vector<std::string> missing(const std::vector<std::string>& hashes) const;
    // Verifies that data hashes to `hash` (Error invalid_argument naming both hashes otherwise),
    // then stores it. A full disk is an Error naming the store; nothing partial stays behind.
    core::Result<PutOutcome> put(std::string_view hash, std::string_view data);
    // Stores a file of the server's own (a project snapshot), hashing it while copying; returns
    // the hash.
    core::Result<std::string> put_file(const std::filesystem::path& file);
    // Where the blob lives (whether or not it is stored yet); "" for text that is not a hash.
    std::filesystem::path path_of(std::string_view hash) const;
    // Makes every blob written so far durable (syncfs of the store's file system): called once
    // before a snapshot naming them is recorded, instead of an fsync per blob.
    core::Status sync() const;
    const std::filesystem::path& root() const { return root_; }

private:
    std::filesystem::path root_;
};

}  // namespace ailab::jobs
