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
          roots_(projects_, context.services ? context.services->find<runs::RunService>() : nullptr,
                 context.services ? context.services->find<jobs::JobService>() : nullptr) {
        jobs_ = context.services ? context.services->find<jobs::JobService>() : nullptr;
        if (jobs_)
            jobs_->set_project_finder([this](std::string_view name) -> std::optional<std::filesystem::path> {
                auto project = projects_.find(name);
                if (!project) return std::nullopt;
                return project->path;
            });
        // The roots, for features after this one (terminals open in a project, run or job folder).
        if (context.services != nullptr) context.services->provide<Roots>(roots_);
        register_project_routes(context.router, projects_);
        register_file_routes(context.router, roots_, content_);
        register_transfer_routes(context.router, roots_, read_transfer_settings(context.settings));
    }
    ~FilesFeature() override {
        if (jobs_) jobs_->set_project_finder(nullptr);  // the finder points into this feature
    }
    FilesFeature(const FilesFeature&) = delete;
    FilesFeature& operator=(const FilesFeature&) = delete;
    std::string_view name() const override { return "files"; }

private:
    jobs::JobService* jobs_ = nullptr;
    Projects projects_;
    FileRoots roots_;
    ContentStore content_;
};

}  // namespace

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context) {
    return std::make_unique<FilesFeature>(context);
}

}  // namespace ailab::files
