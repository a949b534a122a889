#include "client/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ailab::client {

std::string ServerUrl::host_header() const {
    std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    const bool default_port = (scheme == Scheme::http && port == "80") || (scheme == Scheme::https && port == "443");
    return default_port ? name : name + ":" + port;
}

core::Result<ServerUrl> parse_server_url(std::string_view text) {
    auto invalid = [&](std::string_view why) {
        return core::Error::invalid("bad server URL \"" + std::string(text) + "\": " + std::string(why));
    };
    ServerUrl url;
    std::string_view rest = text;
    auto scheme_end = rest.find("://");
    if (scheme_end == std::string_view::npos) return invalid("it must start with http:// or https://");
    std::string scheme(rest.substr(0, scheme_end));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    if (scheme == "http") {
        url.scheme = Scheme::http;
    } else if (scheme == "https") {
        url.scheme = Scheme::https;
    } else {
        return invalid("it must start with http:// or https://");
    }
    rest.remove_prefix(scheme_end + 3);
    if (rest.find_first_of("?#") != std::string_view::npos) return invalid("a query or fragment has no meaning here");
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);

    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) url.base = std::string(rest.substr(slash));
    if (authority.find('@') != std::string_view::npos) return invalid("user names go in --user, not in the URL");

    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return invalid("unclosed '[' around the IPv6 address");
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return invalid("unexpected text after the IPv6 address");
            port = after.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (url.host.empty()) return invalid("no host");
    if (url.host.find(':') != std::string::npos && authority.front() != '[')
        return invalid("an IPv6 address goes in brackets: http://[::1]:12345");
    if (port.empty()) {
        url.port = url.scheme == Scheme::https ? "443" : "80";
    } else {
        int number = 0;
        auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
        if (error != std::errc{} || end != port.data() + port.size() || number < 1 || number > 65535)
            return invalid("the port must be a number from 1 to 65535");
        url.port = std::to_string(number);
    }
    url.text = scheme + "://" + std::string(text.substr(scheme_end + 3, rest.size()));
    return url;
}

bool is_ip_address(std::string_view host) {
    std::string copy(host);
    unsigned char buffer[16];
    return inet_pton(AF_INET, copy.c_str(), buffer) == 1 || inet_pton(AF_INET6, copy.c_str(), buffer) == 1;
}

}  // namespace ailab::client
