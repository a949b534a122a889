#include <gtest/gtest.h>

#include "net/hub.hpp"

using namespace ailab::net;

namespace {
struct Recorder : HubClient {
    std::vector<std::string> messages;
    void deliver(SharedMessage message) override { messages.push_back(*message); }
};
}  // namespace

TEST(Hub, DeliversToSubscribersOfTheTopicOnly) {
    Hub hub;
    auto a = std::make_shared<Recorder>();
    auto b = std::make_shared<Recorder>();
    hub.subscribe(a, "runs");
    hub.subscribe(b, "system");
    hub.subscribe(a, "runs");  // twice is once
    EXPECT_EQ(hub.publish("runs", "r1"), 1u);
    EXPECT_EQ(hub.publish("system", "s1"), 1u);
    EXPECT_EQ(hub.publish("nobody", "x"), 0u);
    EXPECT_EQ(a->messages, std::vector<std::string>{"r1"});
    EXPECT_EQ(b->messages, std::vector<std::string>{"s1"});
    EXPECT_EQ(hub.subscriber_count("runs"), 1u);
    hub.unsubscribe(a.get(), "runs");
    EXPECT_EQ(hub.publish("runs", "r2"), 0u);
}

TEST(Hub, ForgetsClientsThatWentAway) {
    Hub hub;
    auto a = std::make_shared<Recorder>();
    hub.subscribe(a, "runs");
    a.reset();
    EXPECT_EQ(hub.subscriber_count("runs"), 0u);
    EXPECT_EQ(hub.publish("runs", "x"), 0u);
    auto b = std::make_shared<Recorder>();
    hub.subscribe(b, "runs");
    hub.subscribe(b, "system");
    hub.unsubscribe_all(b.get());
    EXPECT_EQ(hub.publish("runs", "x") + hub.publish("system", "y"), 0u);
}
