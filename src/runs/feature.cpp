#include "runs/feature.hpp"

#include <charconv>
#include <stdexcept>

#include "runs/annotation_routes.hpp"
#include "runs/annotations.hpp"
#include "runs/publisher.hpp"
#include "runs/routes.hpp"
#include "runs/service.hpp"

namespace ailab::runs {

namespace {

// Label values of the text format escape backslash, double quote and line feed.
void append_label_value(std::string& out, std::string_view value) {
    for (char c : value) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
}

}  // namespace

void write_run_state_metrics(std::string& out, const std::map<std::string, std::size_t>& counts) {
    if (counts.empty()) return;
    out += "# HELP ailab_runs Runs by state.\n# TYPE ailab_runs gauge\n";
    for (const auto& [state, count] : counts) {
        out += "ailab_runs{state=\"";
        append_label_value(out, state);
        out += "\"} ";
        char text[24];
        auto result = std::to_chars(text, text + sizeof text, static_cast<std::uint64_t>(count));
        out.append(text, result.ptr);
        out += '\n';
    }
}

RunsFeature::RunsFeature(net::FeatureContext& context)
    : settings_(Settings::read(&context.settings)),
      service_(context.config.results_folders.empty()
                   ? std::make_unique<RunService>(context.config.results, settings_, context.hub)
                   : std::make_unique<RunService>(context.config.results_folders, settings_, context.hub)) {
    if (context.config.queue.empty()) throw std::runtime_error("runs: no \"queue\" folder to keep run annotations in");
    auto annotations = AnnotationStore::open(context.config.queue / "runs.db");
    if (!annotations) throw std::runtime_error(annotations.error().message);
    annotations_ = std::move(*annotations);
    context.hub.declare_topic(std::string(runs_topic));
    // Literal /runs/annotations before /runs/{id}: the router takes the first match.
    register_annotation_routes(context.router, *service_, *annotations_, context.hub);
    register_run_routes(context.router, *service_, annotations_.get());
    if (context.services != nullptr) context.services->provide(*service_);  // run:<id> roots of files
    context.metrics.push_back(
        [service = service_.get()](std::string& out) { write_run_state_metrics(out, service->count_by_state()); });
}

RunsFeature::~RunsFeature() { stop(); }

void RunsFeature::start() { service_->start(); }

void RunsFeature::stop() { service_->stop(); }

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context) {
    return std::make_unique<RunsFeature>(context);
}

}  // namespace ailab::runs
