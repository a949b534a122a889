#pragma once
// The client's half of code sync (docs/API.md "Code sync"): scan the folder, send the manifest,
// upload the blobs the server lacks over a few keep-alive connections in parallel, and make the
// snapshot, with the folder's git state. The server never deletes anything on the client's word;
// the client never writes to the folder.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "client/http_client.hpp"
#include "core/error.hpp"

namespace ailab::client {

struct SyncOptions {
    int connections = 4;                             // uploads in flight at once
    std::function<void(std::string_view)> progress;  // one line at a time (stderr); may be empty
};

struct SyncedSnapshot {
    std::string snapshot;  // "s-…"
    std::int64_t files = 0;
    std::int64_t bytes = 0;
    std::int64_t uploaded_files = 0;
    std::int64_t uploaded_bytes = 0;
    bool git = false;  // the folder's git state was recorded
};

// `client` carries the manifest and snapshot requests; the uploads open their own connections
// with the same access. Errors are sentences: the scan's (a link leaving the folder, over a
// limit with the largest files), the server's (with its status), a file that changed meanwhile.
core::Result<SyncedSnapshot> sync_folder(HttpClient& client, const std::filesystem::path& folder,
                                         const SyncOptions& options = {});

}  // namespace ailab::client
