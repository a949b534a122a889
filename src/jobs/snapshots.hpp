#pragma once
// Snapshots: an immutable manifest whose blobs are all stored, named "s-" + the first 32 hex of
// the hash of its canonical JSON (the same files give the same id). A job's folder gets its own
// copy (materialize), so nothing done to a blob, another job or a later submit changes it.

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "jobs/blobs.hpp"
#include "sync/manifest.hpp"

namespace ailab::jobs {

std::string snapshot_id(const sync::Manifest& manifest);

// Blobs of the manifest that the store lacks (empty: the snapshot may be created).
std::vector<std::string> missing_blobs(const BlobStore& blobs, const sync::Manifest& manifest);

// Copies every file of the manifest from the blob store into `destination` (created; must be
// empty or absent), with its mode, creating folders, and creates the links. Uses copy_file_range
// (reflinks where the file system has them). Atomic: the copy is built in a sibling folder and
// renamed into place, so `destination` holds the whole snapshot or does not exist. Error naming
// the file on failure (a full disk too); the caller fails the job with it.
core::Status materialize(const BlobStore& blobs, const sync::Manifest& manifest,
                         const std::filesystem::path& destination);

struct ProjectSnapshot {
    sync::Manifest manifest;
    std::int64_t stored_files = 0;  // blobs that were new
    std::int64_t stored_bytes = 0;
};

// Scans a server-side project folder (sync::scan_folder, same ignore rules and limits) and stores
// its files in the blob store.
core::Result<ProjectSnapshot> snapshot_folder(BlobStore& blobs, const std::filesystem::path& folder,
                                              const sync::Limits& limits);

}  // namespace ailab::jobs
