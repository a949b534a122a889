// Every route of the real application, built by the same build_app() the server uses: without a
// token each answers 401, except the ones declared public. New routes join this test on their own.
#include <gtest/gtest.h>

#include "app/app.hpp"

using namespace ailab;

TEST(RouteAccess, EveryNonPublicRouteNeedsAToken) {
    auto root = std::filesystem::temp_directory_path() / ("ailab-routes-" + std::to_string(getpid()));
    core::Config config;
    config.users["admin"] = "pw";
    config.results = root / "results";
    config.workspace = root / "workspace";
    config.queue = root / "state";
    for (const auto& folder : {config.results, config.workspace, config.queue})
        std::filesystem::create_directories(folder);
    {
        auto app = app::build_app(config);
        auto routes = app->router.routes();
        ASSERT_GE(routes.size(), 8u);
        std::set<std::string> public_routes;
        for (const auto& route : routes) {
            net::Request request;
            request.method = route.method;
            request.path = route.pattern;  // {id} captures match their own literal text
            request.body = "{}";
            auto response = app->router.dispatch(request, [](std::string_view) { return std::nullopt; });
            if (route.access == net::Access::public_route) {
                public_routes.insert(route.pattern);
                EXPECT_NE(response.status, 401) << route.pattern;
            } else {
                EXPECT_EQ(response.status, 401) << net::method_name(route.method) << " " << route.pattern;
            }
        }
        // Only health and login are public by default (/metrics only with metrics_public).
        EXPECT_EQ(public_routes, (std::set<std::string>{"/api/v1/health", "/api/v1/login"}));
    }
    std::filesystem::remove_all(root);
}
