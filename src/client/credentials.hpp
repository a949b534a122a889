#pragma once
// The credentials file, shared with the Python client (clients/python/ailab_client.py), so its
// shape is fixed:
//
//   {"default": "https://gpu1:12345",
//    "servers": {"https://gpu1:12345": {"user": "ada", "token": "…", "expires_at": 1.7e9,
//                                        "insecure": false, "fingerprint": "<64 hex>" | null}}}
//
// Where: $XDG_CONFIG_HOME/ailab/credentials.json, else ~/.config/ailab/credentials.json. The file
// is written whole to a temporary file created with mode 0600 in the same folder (created 0700
// when missing) and renamed over the old one, so it is never readable by others, not even briefly,
// and a crash leaves the old file or the new one, never half of one.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace ailab::client {

struct ServerCredentials {
    std::string user;
    std::string token;
    double expires_at = 0;                   // Unix seconds
    bool insecure = false;                   // TLS without verification (--insecure)
    std::optional<std::string> fingerprint;  // pinned certificate SHA-256, 64 lower-case hex
};

struct Credentials {
    std::string default_server;                        // a key of servers, or "" when none
    std::map<std::string, ServerCredentials> servers;  // by ServerUrl::text
};

// $XDG_CONFIG_HOME/ailab/credentials.json (an absolute XDG_CONFIG_HOME only, as the XDG spec
// says), else $HOME/.config/ailab/credentials.json.
std::filesystem::path credentials_path();

// A missing file is an empty Credentials. Errors name the file: unreadable, not JSON, wrong shape.
core::Result<Credentials> load_credentials(const std::filesystem::path& file);
// Writes atomically with mode 0600 (see above).
core::Status save_credentials(const std::filesystem::path& file, const Credentials& credentials);

std::string credentials_to_json(const Credentials& credentials);
core::Result<Credentials> credentials_from_json(std::string_view text);

}  // namespace ailab::client
