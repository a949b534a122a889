#pragma once
// TLS material: the configured certificate files, or ("tls": "auto") a self-signed certificate
// generated on first start and kept in the state folder.

#include <filesystem>
#include <string>

#include "core/config.hpp"

namespace ailab::net {

struct TlsMaterial {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    std::string fingerprint_sha256;  // "AB:CD:..." of the certificate (DER)
    bool generated = false;          // true when this start created it
};

// Throws std::runtime_error with a clear message when files are unreadable or generation fails.
TlsMaterial prepare_tls(const core::Config& config);

// Writes a new self-signed EC P-256 certificate for localhost/127.0.0.1/::1 and the host name.
void generate_self_signed(const std::filesystem::path& cert_file, const std::filesystem::path& key_file);

std::string certificate_fingerprint(const std::filesystem::path& cert_file);

}  // namespace ailab::net
