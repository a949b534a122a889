#include "client/session.hpp"

#include "client/credentials.hpp"
#include "client/fingerprint.hpp"

namespace ailab::client {

core::Result<ServerAccess> resolve_server(const std::string& server) {
    const auto file = credentials_path();
    auto credentials = load_credentials(file);
    if (!credentials) return credentials.error();
    std::string key;
    if (server.empty()) {
        if (credentials->default_server.empty())
            return core::Error::invalid("not logged in to any server; run: ailab login URL");
        key = credentials->default_server;
    } else {
        auto url = parse_server_url(server);
        if (!url) return url.error();
        key = url->text;
    }
    auto found = credentials->servers.find(key);
    if (found == credentials->servers.end())
        return core::Error::invalid("not logged in to " + key + "; run: ailab login " + key);
    auto url = parse_server_url(key);
    if (!url) return core::Error::from(url.error(), file.string());
    ServerAccess access;
    access.url = std::move(*url);
    access.token = found->second.token;
    if (found->second.fingerprint) {
        // Either form is accepted here ("AB:CD:…" or plain hex), whoever wrote the file.
        auto pin = normalize_fingerprint(*found->second.fingerprint);
        if (!pin) return core::Error::from(pin.error(), file.string());
        access.tls = {TlsVerify::pinned, *pin};
    } else if (found->second.insecure) {
        access.tls = {TlsVerify::insecure, ""};
    }
    return access;
}

}  // namespace ailab::client
