#include "files/feature.hpp"

#include "files/content.hpp"
#include "files/file_roots.hpp"
#include "files/projects.hpp"
#include "files/routes.hpp"
#include "files/transfer_routes.hpp"
#include "jobs/service.hpp"
#include "runs/service.hpp"

namespace ailab::files {
namespace {

class FilesFeature final : public net::Feature {
public:
    explicit FilesFeature(net::FeatureContext& context)
        : projects_(Projects::from_config(context.config)),
          roots_(projects_, context.config.results,
                 context.services ? context.services->find<runs::RunService>() : nullptr,
                 context.services ? context.services->find<jobs::JobService>() : nullptr) {
        register_project_routes(context.router, projects_);
        register_file_routes(context.router, roots_, content_);
        register_transfer_routes(context.router, roots_, read_transfer_settings(context.settings));
    }
    std::string_view name() const override { return "files"; }

private:
    Projects projects_;
    FileRoots roots_;
    ContentStore content_;
};

}  // namespace

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context) {
    return std::make_unique<FilesFeature>(context);
}

}  // namespace ailab::files
