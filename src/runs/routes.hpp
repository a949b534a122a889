#pragma once
// HTTP routes of the runs module (docs/API.md, "Runs"). Every route needs the token.

namespace ailab::net {
class Router;
}

namespace ailab::runs {

class AnnotationStore;
class RunService;

// Registers GET /api/v1/runs, /runs/trash, /runs/{id}, /runs/{id}/metrics, /runs/{id}/export and
// POST /runs/cleanup, /runs/restore, and GET /runs/params, /runs/values. `service` (and `annotations`,
// shown in GET /runs/{id} when given) must outlive the router.
void register_run_routes(net::Router& router, RunService& service, const AnnotationStore* annotations = nullptr);

}  // namespace ailab::runs
