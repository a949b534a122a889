#include "system/feature.hpp"

#include "system/routes.hpp"
#include "system/service.hpp"
#include "system/settings.hpp"

namespace ailab::sys {

Settings Settings::read(core::ConfigReader* reader) {
    Settings settings;
    if (!reader) return settings;
    settings.sample_interval = reader->milliseconds("sample_interval_ms", settings.sample_interval,
                                                    std::chrono::milliseconds(100), std::chrono::hours(1));
    settings.metrics_public = reader->boolean("metrics_public", settings.metrics_public);
    return settings;
}

namespace {

class SystemFeature final : public net::Feature {
public:
    explicit SystemFeature(net::FeatureContext& context)
        : settings_(Settings::read(&context.settings)), service_(context.config, settings_, context.hub) {
        context.hub.declare_topic("system");
        if (context.services != nullptr) context.services->provide(service_);
        register_system_routes(context.router, service_, settings_, context.metrics);
    }
    std::string_view name() const override { return "system"; }
    void start() override { service_.start(); }
    void stop() override { service_.stop(); }

private:
    Settings settings_;
    SystemService service_;
};

}  // namespace

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context) {
    return std::make_unique<SystemFeature>(context);
}

}  // namespace ailab::sys
