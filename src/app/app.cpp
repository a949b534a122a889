#include "app/app.hpp"

#include <unistd.h>

#include <array>
#include <boost/json.hpp>

#include "core/version.hpp"
#include "net/auth.hpp"
#include "net/json.hpp"
#include "runs/routes.hpp"
#include "runs/service.hpp"
#include "system/routes.hpp"
#include "system/service.hpp"

namespace ailab::app {
namespace {

std::string host_name() {
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
    return name.data();
}

// Server-level routes: health, info, the route list, and the WebSocket test topic.
void register_core_routes(App& app) {
    auto& router = app.router;
    router.add(net::Method::get, "/api/v1/health", net::Access::public_route, [](net::Request&) {
        return net::json_response(boost::json::object{{"status", "ok"}, {"version", ailab::version}});
    });
    router.add(net::Method::get, "/api/v1/info", net::Access::token_required, [&app](net::Request& request) {
        return net::json_response(boost::json::object{{"version", ailab::version},
                                                      {"hostname", host_name()},
                                                      {"user", request.user},
                                                      {"cluster", app.config.cluster},
                                                      {"results", app.config.results.string()},
                                                      {"workspace", app.config.workspace.string()}});
    });
    router.add(net::Method::get, "/api/v1/routes", net::Access::token_required, [&router](net::Request&) {
        boost::json::array routes;
        for (const auto& route : router.routes()) {
            routes.push_back(boost::json::object{{"method", net::method_name(route.method)},
                                                 {"path", route.pattern},
                                                 {"public", route.access == net::Access::public_route}});
        }
        return net::json_response(boost::json::object{{"routes", std::move(routes)}});
    });
    router.add(net::Method::get, "/api/v1/ws", net::Access::token_required, [](net::Request&) -> net::Response {
        throw net::HttpError(426, "this endpoint is a WebSocket: send an Upgrade request");
    });
    router.add(net::Method::post, "/api/v1/ws/test", net::Access::token_required, [&app](net::Request& request) {
        boost::system::error_code error;
        auto payload =
            boost::json::parse(request.body.empty() ? std::string_view("null") : std::string_view(request.body), error);
        if (error) throw net::HttpError(400, "request body is not valid JSON: " + error.message());
        auto delivered = app.hub.publish("test", boost::json::serialize(boost::json::object{
                                                     {"type", "test.event"}, {"payload", std::move(payload)}}));
        return net::json_response(boost::json::object{{"delivered", delivered}});
    });
}

}  // namespace

App::App(core::Config config_in) : config(std::move(config_in)) {}
App::~App() {
    // Services stop (and join their threads) before the hub and router they use go away.
    if (system) system->stop();
    if (runs) runs->stop();
}

std::unique_ptr<App> build_app(core::Config config) {
    auto app = std::make_unique<App>(std::move(config));
    app->auth = std::make_unique<net::Auth>(app->config, app->config.queue);
    app->runs = std::make_unique<runs::RunService>(app->config, app->hub);
    app->system = std::make_unique<sys::SystemService>(app->config, app->hub);
    register_core_routes(*app);
    net::register_auth_routes(app->router, *app->auth);
    runs::register_run_routes(app->router, *app->runs);
    sys::register_system_routes(app->router, *app->system, app->config,
                                [runs = app->runs.get()] { return runs->count_by_state(); });
    return app;
}

}  // namespace ailab::app
