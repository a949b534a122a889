#include "terminals/flow.hpp"

#include <algorithm>

namespace ailab::terminals {

void FlowControl::add(ClientId client, std::int64_t offset) { clients_[client] = Client{offset, offset}; }

void FlowControl::remove(ClientId client) { clients_.erase(client); }

void FlowControl::sent_all(std::int64_t offset) {
    for (auto& [id, client] : clients_) client.sent = std::max(client.sent, offset);
}

core::Status FlowControl::acknowledge(ClientId client, std::int64_t offset) {
    auto found = clients_.find(client);
    if (found == clients_.end()) return core::Error::invalid("not attached");
    if (offset > found->second.sent)
        return core::Error::invalid("acknowledged offset " + std::to_string(offset) + " is past the " +
                                    std::to_string(found->second.sent) + " bytes sent");
    found->second.acknowledged = std::max(found->second.acknowledged, offset);
    return {};
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
