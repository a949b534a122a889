#pragma once
// The one explicit application context: the configuration, the shared plumbing every feature
// registers on (router, hub, WebSocket endpoints, Prometheus writers, the token check), and the
// features themselves, in start order. Built once by build_app() and passed by reference. No
// globals.

#include <memory>
#include <vector>

#include "core/config.hpp"
#include "net/feature.hpp"
#include "net/hub.hpp"
#include "net/router.hpp"
#include "net/websocket_endpoint.hpp"

namespace ailab::app {

struct App {
    explicit App(core::Config config);
    ~App();  // stops the features in reverse order
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    void start();  // starts the features in order
    void stop();   // stops them in reverse order; safe to call twice

    core::Config config;
    net::Hub hub;
    net::Router router;
    net::WebSocketRegistry websockets;
    std::vector<net::MetricsWriter> metrics;
    net::TokenVerifier verify_token;
    net::Services services;
    std::vector<std::unique_ptr<net::Feature>> features;
};

// Builds every feature of app/features.cpp (the same function the server and the tests use).
// Throws core::ConfigError when a feature's config section is wrong. Keys no feature read are
// added to config.warnings as unknown.
std::unique_ptr<App> build_app(core::Config config);

// The features, in start order: app/features.cpp. Adding a feature is one line there.
std::vector<net::FeatureFactory> feature_factories();

}  // namespace ailab::app
