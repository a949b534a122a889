#include "net/hub.hpp"

#include <utility>

namespace ailab::net {

void Hub::declare_topic(std::string topic) {
    std::lock_guard lock(mutex_);
    topics_.insert(std::move(topic));
}

bool Hub::is_topic(std::string_view topic) const {
    std::lock_guard lock(mutex_);
    return topics_.contains(topic);
}

std::vector<std::string> Hub::topics() const {
    std::lock_guard lock(mutex_);
    return {topics_.begin(), topics_.end()};
}

void Hub::subscribe(const std::shared_ptr<HubClient>& client, const std::string& topic) {
    std::lock_guard lock(mutex_);
    subscriptions_.insert(Subscription{topic, client.get(), client});
}

void Hub::unsubscribe(const HubClient* client, const std::string& topic) {
    std::lock_guard lock(mutex_);
    subscriptions_.erase(Subscription{topic, client, {}});
}

void Hub::unsubscribe_all(const HubClient* client) {
    std::lock_guard lock(mutex_);
    std::erase_if(subscriptions_, [client](const Subscription& s) { return s.key == client; });
}

std::size_t Hub::publish(std::string_view topic, std::string message) {
    std::vector<std::weak_ptr<HubClient>> targets;
    {
        std::lock_guard lock(mutex_);
        auto it = subscriptions_.lower_bound(Subscription{std::string(topic), nullptr, {}});
        while (it != subscriptions_.end() && it->topic == topic) {
            if (it->client.expired()) {
                it = subscriptions_.erase(it);
                continue;
            }
            targets.push_back(it->client);
            ++it;
        }
    }
    if (targets.empty()) return 0;
    auto shared = std::make_shared<const std::string>(std::move(message));
    std::size_t delivered = 0;
    for (auto& weak : targets) {
        if (auto client = weak.lock()) {
            client->deliver(shared);
            ++delivered;
        }
    }
    return delivered;
}

std::size_t Hub::subscriber_count(std::string_view topic) const {
    std::lock_guard lock(mutex_);
    std::size_t count = 0;
    auto it = subscriptions_.lower_bound(Subscription{std::string(topic), nullptr, {}});
    for (; it != subscriptions_.end() && it->topic == topic; ++it) {
        if (!it->client.expired()) ++count;
    }
    return count;
}

}  // namespace ailab::net
