#include "terminals/flow.hpp"

#include <algorithm>

namespace ailab::terminals {

void FlowControl::add(ClientId client, std::int64_t offset, Time now) {
    clients_[client] = Client{offset, offset, now};
}

void FlowControl::remove(ClientId client) { clients_.erase(client); }

void FlowControl::sent_all(std::int64_t offset) {
    for (auto& [id, client] : clients_) client.sent = std::max(client.sent, offset);
}

core::Status FlowControl::acknowledge(ClientId client, std::int64_t offset, Time now) {
    auto found = clients_.find(client);
    if (found == clients_.end()) return core::Error::invalid("not attached");
    if (offset > found->second.sent)
        return core::Error::invalid("acknowledged offset " + std::to_string(offset) + " is past the " +
                                    std::to_string(found->second.sent) + " bytes sent");
    if (offset > found->second.acknowledged) {
        found->second.acknowledged = offset;
        found->second.progress_at = now;
    }
    return {};
}

std::vector<FlowControl::ClientId> FlowControl::stalled(Time now, std::chrono::steady_clock::duration limit) const {
    std::vector<ClientId> found;
    if (state_ != FlowState::paused) return found;
    for (const auto& [id, client] : clients_)
        if (client.sent - client.acknowledged > static_cast<std::int64_t>(high_water_) &&
            now - client.progress_at >= limit)
            found.push_back(id);
    return found;
}

FlowState FlowControl::update() {
    std::int64_t most = 0;
    for (const auto& [id, client] : clients_) most = std::max(most, client.sent - client.acknowledged);
    if (state_ == FlowState::reading && most > static_cast<std::int64_t>(high_water_))
        state_ = FlowState::paused;
    else if (state_ == FlowState::paused && most <= static_cast<std::int64_t>(low_water_))
        state_ = FlowState::reading;
    return state_;
}

std::int64_t FlowControl::unacknowledged(ClientId client) const {
    auto found = clients_.find(client);
    return found == clients_.end() ? 0 : found->second.sent - found->second.acknowledged;
}

}  // namespace ailab::terminals
