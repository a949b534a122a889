#pragma once
// The one explicit application context: configuration, services and the router, wired once in
// build_app() and passed by reference. No globals.

#include <memory>

#include "core/config.hpp"
#include "net/hub.hpp"
#include "net/router.hpp"

namespace ailab::net {
class Auth;
}
namespace ailab::runs {
class RunService;
}
namespace ailab::sys {
class SystemService;
}

namespace ailab::app {

struct App {
    explicit App(core::Config config);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    core::Config config;
    net::Hub hub;
    net::Router router;
    std::unique_ptr<net::Auth> auth;
    std::unique_ptr<runs::RunService> runs;
    std::unique_ptr<sys::SystemService> system;
};

// Creates services and registers every route (the same function the server and the tests use).
std::unique_ptr<App> build_app(core::Config config);

}  // namespace ailab::app
