#pragma once
// HTTP routes of run annotations (docs/API.md, "Runs": notes, tags, stars). Every route needs the
// token. A change is answered with the run's annotations as stored and published on the "runs"
// topic as {"type":"runs.annotations","id":…,"annotations":{…}}.

#include <string>

namespace ailab::core {
class JsonWriter;
}
namespace ailab::net {
class Hub;
class Router;
}  // namespace ailab::net

namespace ailab::runs {

class AnnotationStore;
class RunService;
struct Annotations;

// Registers GET /api/v1/runs/annotations and PATCH /api/v1/runs/{id}/annotations. The service,
// the store and the hub must outlive the router.
void register_annotation_routes(net::Router& router, RunService& service, AnnotationStore& store, net::Hub& hub);

// {"note","tags","starred","updated_at","updated_by"}.
void write_annotations(core::JsonWriter& writer, const Annotations& annotations);

}  // namespace ailab::runs
