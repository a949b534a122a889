#pragma once
// Publish/subscribe for WebSocket clients. Services publish already-serialised JSON messages on a
// topic ("runs", "system", "test", ...); every subscribed client gets a shared copy. The hub holds
// weak references only: a closed session simply stops being delivered to.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ailab::net {

using SharedMessage = std::shared_ptr<const std::string>;

// Implemented by WebSocket sessions. deliver() must be cheap and thread-safe: queue and return.
class HubClient {
public:
    virtual ~HubClient() = default;
    virtual void deliver(SharedMessage message) = 0;
};

class Hub {
public:
    // Topics must be declared (by the feature that publishes them, before the server starts)
    // before clients may subscribe to them; unknown names are refused, so a client cannot make
    // the server hold state for arbitrary strings.
    void declare_topic(std::string topic);
    bool is_topic(std::string_view topic) const;
    std::vector<std::string> topics() const;

    void subscribe(const std::shared_ptr<HubClient>& client, const std::string& topic);
    void unsubscribe(const HubClient* client, const std::string& topic);
    void unsubscribe_all(const HubClient* client);

    // Sends message to every client subscribed to topic. Returns how many received it.
    // Thread-safe; copies the list of clients under the lock and delivers outside it.
    std::size_t publish(std::string_view topic, std::string message);

    // Number of live subscribers of a topic; lets services skip building messages no one reads.
    std::size_t subscriber_count(std::string_view topic) const;

private:
    struct Subscription {
        std::string topic;
        const HubClient* key;
        std::weak_ptr<HubClient> client;
        bool operator<(const Subscription& other) const {
            return topic != other.topic ? topic < other.topic : std::less<const HubClient*>{}(key, other.key);
        }
    };
    mutable std::mutex mutex_;  // guards subscriptions_ and topics_
    std::set<std::string, std::less<>> topics_;
    std::set<Subscription> subscriptions_;
};

}  // namespace ailab::net
