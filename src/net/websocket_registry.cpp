#include "net/websocket_endpoint.hpp"

#include <stdexcept>

#include "net/router.hpp"

namespace ailab::net {

void WebSocketRegistry::add(WebSocketEndpoint endpoint) {
    if (!endpoint.open) throw std::logic_error("WebSocket endpoint " + endpoint.pattern + " has no factory");
    auto segments = split_path(endpoint.pattern);
    for (const auto& entry : entries_) {
        if (entry.endpoint.pattern == endpoint.pattern)
            throw std::logic_error("WebSocket endpoint " + endpoint.pattern + " registered twice");
    }
    entries_.push_back(Entry{std::move(endpoint), std::move(segments)});
}

std::optional<WebSocketRegistry::Match> WebSocketRegistry::match(std::string_view path) const {
    const auto parts = split_path(path);
    for (const auto& entry : entries_) {
        if (entry.segments.size() != parts.size()) continue;
        Match match{&entry.endpoint, {}};
        bool same = true;
        for (std::size_t i = 0; i < parts.size() && same; ++i) {
            const auto& segment = entry.segments[i];
            if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
                if (parts[i].empty()) same = false;
                match.params.emplace(segment.substr(1, segment.size() - 2), parts[i]);
            } else {
                same = segment == parts[i];
            }
        }
        if (same) return match;
    }
    return std::nullopt;
}

std::vector<std::string> WebSocketRegistry::patterns() const {
    std::vector<std::string> out;
    for (const auto& entry : entries_) out.push_back(entry.endpoint.pattern);
    return out;
}

}  // namespace ailab::net
