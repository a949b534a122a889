#include "jobs/feature.hpp"

#include <unistd.h>

#include "jobs/output_stream.hpp"
#include "jobs/routes.hpp"
#include "jobs/service.hpp"
#include "jobs/settings.hpp"
#include "system/service.hpp"

namespace ailab::jobs {
namespace {

// The binary supervisors are started from, resolved once: /proc/self/exe stops naming it if the
// file is replaced (an upgrade) while the server runs.
std::filesystem::path own_binary() {
    std::error_code error;
    auto path = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error) throw std::runtime_error("jobs: cannot find the ailab binary (/proc/self/exe): " + error.message());
    return path;
}

class JobsFeature final : public net::Feature {
public:
    explicit JobsFeature(net::FeatureContext& context)
        : service_(Settings::read(context.config, &context.settings), context.hub,
                   context.services ? context.services->find<sys::SystemService>() : nullptr, own_binary()),
          streamer_(service_) {
        context.hub.declare_topic("jobs");
        if (context.services != nullptr) context.services->provide(service_);  // job:<id> roots of files
        register_job_routes(context.router, service_);
        register_sync_routes(context.router, service_);
        streamer_.register_endpoint(context.websockets);
        service_.on_change([this](const Job& job) { streamer_.job_changed(job); });
        if (auto* system = context.services ? context.services->find<sys::SystemService>() : nullptr)
            system->on_sample([this] { service_.gpus_changed(); });
        context.metrics.push_back([this](std::string& out) { write_metrics(out); });
    }
    std::string_view name() const override { return "jobs"; }
    void start() override {
        streamer_.start();
        service_.start();
    }
    void stop() override {
        service_.stop();
        streamer_.stop();
    }

private:
    void write_metrics(std::string& out) const {
        const auto counts = service_.active_counts();
        out += "# HELP ailab_jobs Jobs queued and running now.\n# TYPE ailab_jobs gauge\n";
        out += "ailab_jobs{state=\"queued\"} " + std::to_string(counts.first) + "\n";
        out += "ailab_jobs{state=\"running\"} " + std::to_string(counts.second) + "\n";
    }

    JobService service_;
    OutputStreamer streamer_;
};

}  // namespace

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context) {
    return std::make_unique<JobsFeature>(context);
}

}  // namespace ailab::jobs
