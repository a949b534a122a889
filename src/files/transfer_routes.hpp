#pragma once
// The transfer routes of the files feature (docs/API.md "Projects and files"):
//   GET  /api/v1/files/archive  a folder as a .tar.gz, streamed while it is produced;
//   POST /api/v1/files/upload   one chunk of a resumable upload;
//   GET  /api/v1/files/search   names, and text in small files.
// All need a token and run on the worker pool. The files feature calls read_transfer_settings() in
// its constructor and register_transfer_routes() with its Roots; `roots` must outlive the router.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/config_reader.hpp"
#include "files/roots.hpp"
#include "net/router.hpp"

namespace ailab::files {

struct TransferSettings {
    std::uint64_t max_upload_bytes = std::uint64_t{4096} << 20;       // files_max_upload_mib (4096)
    std::uint64_t search_max_file_bytes = std::uint64_t{1024} << 10;  // files_search_max_kib (1024)
    std::chrono::milliseconds search_budget{2000};                    // a search stops after this
    std::size_t search_max_results = 1000;                            // the largest `limit` taken
};

// Reads files_max_upload_mib and files_search_max_kib from the config file.
TransferSettings read_transfer_settings(core::ConfigReader& settings);

void register_transfer_routes(net::Router& router, const Roots& roots, const TransferSettings& settings);

}  // namespace ailab::files
