#include "net/auth_feature.hpp"

#include "net/auth.hpp"

namespace ailab::net {
namespace {

class AuthFeature final : public Feature {
public:
    explicit AuthFeature(FeatureContext& context)
        : auth_(context.config, AuthSettings::read(&context.settings), context.config.queue) {
        register_auth_routes(context.router, auth_);
        context.verify_token = [this](std::string_view token) { return auth_.verify(token); };
    }
    std::string_view name() const override { return "auth"; }

private:
    Auth auth_;
};

}  // namespace

std::unique_ptr<Feature> make_auth_feature(FeatureContext& context) { return std::make_unique<AuthFeature>(context); }

}  // namespace ailab::net
