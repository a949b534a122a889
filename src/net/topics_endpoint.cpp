#include "net/topics_endpoint.hpp"

#include <boost/json.hpp>
#include <set>

namespace ailab::net {
namespace {

constexpr std::size_t max_names_per_message = 64;

class TopicsHandler : public WebSocketHandler, public HubClient, public std::enable_shared_from_this<TopicsHandler> {
public:
    TopicsHandler(Hub& hub, std::shared_ptr<WebSocketPeer> peer) : hub_(hub), peer_(std::move(peer)) {}
    ~TopicsHandler() override { hub_.unsubscribe_all(this); }

    void deliver(SharedMessage message) override { peer_->send(std::move(message), FrameKind::text); }

    void on_message(std::string_view data, FrameKind kind) override {
        if (kind != FrameKind::text) return send_error("messages must be JSON text");
        boost::system::error_code error;
        auto value = boost::json::parse(data, error);
        const auto* object = (!error && value.is_object()) ? &value.as_object() : nullptr;
        const auto* type = object ? object->if_contains("type") : nullptr;
        if (!type || !type->is_string()) return send_error("messages must be JSON objects with a \"type\"");
        const auto name = type->as_string();
        if (name == "ping") return send(boost::json::object{{"type", "pong"}});
        if (name == "subscribe" || name == "unsubscribe") return change(*object, name == "subscribe");
        send_error("unknown message type \"" + std::string(name.subview().substr(0, 64)) + "\"");
    }

    void on_close() override { hub_.unsubscribe_all(this); }

private:
    void change(const boost::json::object& message, bool subscribe) {
        const auto* names = message.if_contains("topics");
        if (!names || !names->is_array()) return send_error("\"topics\" must be a list of topic names");
        if (names->as_array().size() > max_names_per_message)
            return send_error("at most " + std::to_string(max_names_per_message) + " topics per message");
        boost::json::array changed, unknown;
        std::set<std::string> seen;
        for (const auto& entry : names->as_array()) {
            if (!entry.is_string()) continue;
            std::string topic(entry.as_string());
            if (!seen.insert(topic).second) continue;
            if (!hub_.is_topic(topic)) {
                // Echo at most a short prefix, so that the answer stays small.
                unknown.emplace_back(topic.substr(0, 64));
                continue;
            }
            if (subscribe) {
                hub_.subscribe(shared_from_this(), topic);
            } else {
                hub_.unsubscribe(this, topic);
            }
            changed.emplace_back(topic);
        }
        boost::json::object answer{{"type", subscribe ? "subscribed" : "unsubscribed"}, {"topics", std::move(changed)}};
        if (!unknown.empty()) answer["unknown"] = std::move(unknown);
        send(answer);
    }

    void send(const boost::json::object& object) {
        peer_->send(std::make_shared<const std::string>(boost::json::serialize(object)), FrameKind::text);
    }
    void send_error(const std::string& text) { send(boost::json::object{{"type", "error"}, {"error", text}}); }

    Hub& hub_;
    std::shared_ptr<WebSocketPeer> peer_;
};

}  // namespace

void register_topics_endpoint(WebSocketRegistry& registry, Hub& hub) {
    registry.add(WebSocketEndpoint{
        .pattern = std::string(topics_endpoint_path),
        .policy = SlowClientPolicy::drop,
        .limits = {},
        .open = [&hub](WebSocketOpen& open) -> std::shared_ptr<WebSocketHandler> {
            return std::make_shared<TopicsHandler>(hub, open.peer);
        },
    });
}

}  // namespace ailab::net
