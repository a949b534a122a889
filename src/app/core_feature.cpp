#include "app/core_feature.hpp"

#include <unistd.h>

#include <array>
#include <boost/json.hpp>

#include "core/version.hpp"
#include "net/json.hpp"
#include "net/topics_endpoint.hpp"

namespace ailab::app {
namespace {

std::string host_name() {
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
    return name.data();
}

class CoreFeature final : public net::Feature {
public:
    explicit CoreFeature(net::FeatureContext& context) {
        const auto& config = context.config;
        auto& router = context.router;
        auto& hub = context.hub;
        hub.declare_topic("test");
        net::register_topics_endpoint(context.websockets, hub);
        router.add(net::Method::get, "/api/v1/health", net::Access::public_route, [](net::Request&) {
            return net::json_response(boost::json::object{{"status", "ok"}, {"version", ailab::version}});
        });
        router.add(net::Method::get, "/api/v1/info", net::Access::token_required, [&config](net::Request& request) {
            return net::json_response(boost::json::object{{"version", ailab::version},
                                                          {"hostname", host_name()},
                                                          {"user", request.user},
                                                          {"cluster", config.cluster},
                                                          {"results", config.results.string()},
                                                          {"workspace", config.workspace.string()}});
        });
        router.add(net::Method::get, "/api/v1/routes", net::Access::token_required,
                   [&router, &websockets = context.websockets](net::Request&) {
                       boost::json::array routes;
                       for (const auto& route : router.routes()) {
                           routes.push_back(boost::json::object{{"method", net::method_name(route.method)},
                                                                {"path", route.pattern},
                                                                {"public", route.access == net::Access::public_route}});
                       }
                       boost::json::array sockets;
                       for (const auto& pattern : websockets.patterns()) sockets.emplace_back(pattern);
                       return net::json_response(
                           boost::json::object{{"routes", std::move(routes)}, {"websockets", std::move(sockets)}});
                   });
        router.add(net::Method::get, std::string(net::topics_endpoint_path), net::Access::token_required,
                   [](net::Request&) -> net::Response {
                       throw net::HttpError(426, "this endpoint is a WebSocket: send an Upgrade request");
                   });
        router.add(net::Method::post, "/api/v1/ws/test", net::Access::token_required, [&hub](net::Request& request) {
            boost::system::error_code error;
            auto payload = boost::json::parse(
                request.body.empty() ? std::string_view("null") : std::string_view(request.body), error);
            if (error) throw net::HttpError(400, "request body is not valid JSON: " + error.message());
            auto delivered = hub.publish("test", boost::json::serialize(boost::json::object{
                                                     {"type", "test.event"}, {"payload", std::move(payload)}}));
            return net::json_response(boost::json::object{{"delivered", delivered}});
        });
    }
    std::string_view name() const override { return "core"; }
};

}  // namespace

std::unique_ptr<net::Feature> make_core_feature(net::FeatureContext& context) {
    return std::make_unique<CoreFeature>(context);
}

}  // namespace ailab::app
