// The WebSocket endpoint registry, the /api/v1/ws topics handler (through a recording peer, no
// sockets) and the origin rules.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "net/http.hpp"
#include "net/hub.hpp"
#include "net/origin.hpp"
#include "net/topics_endpoint.hpp"
#include "net/websocket_endpoint.hpp"

using namespace ailab::net;

namespace {

class RecordingPeer : public WebSocketPeer {
public:
    void send(SharedMessage message, FrameKind) override { sent.push_back(*message); }
    std::size_t queued_bytes() const override { return 0; }
    void when_drained(std::size_t, std::function<void()> resume) override { resume(); }
    void close(CloseCode code, std::string) override { closed = code; }
    bool is_open() const override { return !closed; }
    boost::json::object last() const { return boost::json::parse(sent.back()).as_object(); }

    std::vector<std::string> sent;
    std::optional<CloseCode> closed;
};

WebSocketFactory accept_all() {
    return [](WebSocketOpen&) -> std::shared_ptr<WebSocketHandler> { return nullptr; };
}

}  // namespace

TEST(WebSocketRegistry, MatchesPatternsWithCaptures) {
    WebSocketRegistry registry;
    registry.add({"/api/v1/ws", SlowClientPolicy::drop, {}, accept_all()});
    registry.add({"/api/v1/terminals/{id}/ws", SlowClientPolicy::backpressure, {}, accept_all()});
    auto match = registry.match("/api/v1/terminals/t42/ws");
    ASSERT_TRUE(match);
    EXPECT_EQ(match->endpoint->policy, SlowClientPolicy::backpressure);
    EXPECT_EQ(match->params.at("id"), "t42");
    EXPECT_EQ(registry.match("/api/v1/ws")->endpoint->pattern, "/api/v1/ws");
    EXPECT_FALSE(registry.match("/api/v1/terminals/ws"));
    EXPECT_FALSE(registry.match("/api/v1/terminals/t1/ws/more"));
    EXPECT_FALSE(registry.match("/api/v1/other"));
    EXPECT_EQ(registry.patterns().size(), 2u);
    EXPECT_THROW(registry.add({"/api/v1/ws", SlowClientPolicy::drop, {}, accept_all()}), std::logic_error);
    EXPECT_THROW(registry.add({"/api/v1/none", SlowClientPolicy::drop, {}, nullptr}), std::logic_error);
}

class TopicsEndpoint : public ::testing::Test {
protected:
    void SetUp() override {
        hub_.declare_topic("runs");
        hub_.declare_topic("system");
        register_topics_endpoint(registry_, hub_);
        auto match = registry_.match("/api/v1/ws");
        ASSERT_TRUE(match);
        EXPECT_EQ(match->endpoint->policy, SlowClientPolicy::drop);
        WebSocketOpen open{peer_, {}, "admin", "127.0.0.1"};
        handler_ = match->endpoint->open(open);
        ASSERT_TRUE(handler_);
    }
    void say(const std::string& text) { handler_->on_message(text, FrameKind::text); }

    Hub hub_;
    WebSocketRegistry registry_;
    std::shared_ptr<RecordingPeer> peer_ = std::make_shared<RecordingPeer>();
    std::shared_ptr<WebSocketHandler> handler_;
};

TEST_F(TopicsEndpoint, SubscribesDeclaredTopicsOnlyAndAnswersTheChange) {
    say(R"({"type":"subscribe","topics":["runs","bogus","runs"]})");
    auto answer = peer_->last();
    EXPECT_EQ(answer.at("type"), "subscribed");
    EXPECT_EQ(boost::json::serialize(answer.at("topics")), R"(["runs"])");
    EXPECT_EQ(boost::json::serialize(answer.at("unknown")), R"(["bogus"])");
    EXPECT_EQ(hub_.subscriber_count("runs"), 1u);
    EXPECT_EQ(hub_.subscriber_count("bogus"), 0u);

    say(R"({"type":"subscribe","topics":["system"]})");
    EXPECT_EQ(boost::json::serialize(peer_->last().at("topics")), R"(["system"])");  // not ["runs","system"]

    EXPECT_EQ(hub_.publish("runs", R"({"type":"runs.updated"})"), 1u);
    EXPECT_EQ(peer_->sent.back(), R"({"type":"runs.updated"})");

    say(R"({"type":"unsubscribe","topics":["runs"]})");
    EXPECT_EQ(peer_->last().at("type"), "unsubscribed");
    EXPECT_EQ(hub_.subscriber_count("runs"), 0u);
    handler_->on_close();
    EXPECT_EQ(hub_.subscriber_count("system"), 0u);
}

TEST_F(TopicsEndpoint, RefusesOversizedAndMalformedMessages) {
    boost::json::array names;
    for (int i = 0; i < 65; ++i) names.emplace_back("runs");
    say(boost::json::serialize(boost::json::object{{"type", "subscribe"}, {"topics", names}}));
    EXPECT_EQ(peer_->last().at("type"), "error");
    EXPECT_EQ(hub_.subscriber_count("runs"), 0u);
    for (const auto* bad : {"not json", "[1]", R"({"type":1})", R"({"type":"subscribe"})", R"({"type":"nope"})"}) {
        peer_->sent.clear();
        say(bad);
        ASSERT_EQ(peer_->sent.size(), 1u) << bad;
        EXPECT_EQ(peer_->last().at("type"), "error") << bad;
    }
    // An unknown topic name is echoed cut short, so the answer stays small.
    say(R"({"type":"subscribe","topics":[")" + std::string(10000, 'a') + R"("]})");
    EXPECT_LT(peer_->sent.back().size(), 200u);
    say(R"({"type":"ping"})");
    EXPECT_EQ(peer_->last().at("type"), "pong");
}

TEST(OriginPolicy, CorsOnlyForListedOriginsWebSocketsAlsoForTheOwnOrigin) {
    OriginPolicy policy({"https://gui.example.org"}, Scheme::http);
    EXPECT_TRUE(policy.cors_allowed("https://GUI.example.org/"));
    EXPECT_FALSE(policy.cors_allowed("https://evil.example.org"));
    EXPECT_FALSE(policy.cors_allowed(""));
    EXPECT_TRUE(policy.websocket_allowed("", "localhost:1"));  // not a browser: auth decides
    EXPECT_TRUE(policy.websocket_allowed("http://localhost:1", "localhost:1"));
    EXPECT_FALSE(policy.websocket_allowed("https://localhost:1", "localhost:1"));  // other scheme
    EXPECT_FALSE(policy.websocket_allowed("http://localhost:2", "localhost:1"));
    EXPECT_FALSE(policy.websocket_allowed("null", "localhost:1"));
    EXPECT_TRUE(policy.websocket_allowed("https://gui.example.org", "localhost:1"));
    OriginPolicy tls({}, Scheme::https);
    EXPECT_TRUE(tls.websocket_allowed("https://h:9", "h:9"));
}
