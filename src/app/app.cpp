#include "app/app.hpp"

#include <spdlog/spdlog.h>

#include "core/config_reader.hpp"

namespace ailab::app {

App::App(core::Config config_in) : config(std::move(config_in)) {}

App::~App() {
    stop();
    // Destroyed in reverse order too: a feature may use the services of the features before it
    // while it goes (the files feature unhooks its project finder from the job service).
    while (!features.empty()) features.pop_back();
}

void App::start() {
    for (auto& feature : features) feature->start();
}

void App::stop() {
    for (auto it = features.rbegin(); it != features.rend(); ++it) (*it)->stop();
}

std::unique_ptr<App> build_app(core::Config config) {
    auto app = std::make_unique<App>(std::move(config));
    // A Config built in code has no reader: features then read an empty section (their defaults).
    auto reader = app->config.settings
                      ? app->config.settings
                      : std::make_shared<core::ConfigReader>(boost::json::object{}, "config", core::EnvLookup{});
    net::FeatureContext context{app->config,     *reader,      app->router,       app->hub,
                                app->websockets, app->metrics, app->verify_token, &app->services};
    for (const auto& make : feature_factories()) app->features.push_back(make(context));
    for (const auto& key : reader->unread_keys())
        app->config.warnings.push_back(reader->label() + ": unknown key \"" + key + "\" is ignored");
    return app;
}

}  // namespace ailab::app
