#include "terminals/feature.hpp"

#include "files/roots.hpp"
#include "terminals/host.hpp"
#include "terminals/routes.hpp"
#include "terminals/socket.hpp"

namespace ailab::terminals {
namespace {

class TerminalsFeature final : public net::Feature {
public:
    explicit TerminalsFeature(net::FeatureContext& context)
        : host_(Settings::read(context.config, &context.settings),
                context.services ? context.services->find<files::Roots>() : nullptr) {
        register_terminal_routes(context.router, host_);
        register_terminal_socket(context.websockets, host_);
        context.metrics.push_back([this](std::string& out) {
            out += "# HELP ailab_terminals Terminals listed now (running and exited).\n# TYPE ailab_terminals gauge\n";
            out += "ailab_terminals " + std::to_string(host_.count()) + "\n";
        });
    }
    std::string_view name() const override { return "terminals"; }
    void start() override { host_.start(); }
    void stop() override { host_.stop(); }

private:
    TerminalHost host_;
};

}  // namespace

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context) {
    return std::make_unique<TerminalsFeature>(context);
}

}  // namespace ailab::terminals
