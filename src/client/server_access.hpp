#pragma once
// What every request to one server needs: where it is, how its certificate is checked, and the
// token. Built from the credentials file (session.hpp) or, for login, from the command line.

#include <string>

#include "client/url.hpp"

namespace ailab::client {

enum class TlsVerify {
    system,    // the system's certificate store and the host name (the default)
    insecure,  // no verification at all (--insecure)
    pinned,    // the certificate's SHA-256 must equal `fingerprint`, whoever signed it
};

struct TlsPolicy {
    TlsVerify verify = TlsVerify::system;
    std::string fingerprint;  // 64 lower-case hex digits when verify == pinned
};

struct ServerAccess {
    ServerUrl url;
    TlsPolicy tls;
    std::string token;  // "" before login
};

}  // namespace ailab::client
