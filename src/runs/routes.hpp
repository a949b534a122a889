#pragma once
// HTTP routes of the runs module (docs/API.md, "Runs"). Every route needs the token.

namespace ailab::net {
class Router;
}

namespace ailab::runs {

class RunService;

// Registers GET /api/v1/runs, /runs/trash, /runs/{id}, /runs/{id}/metrics, /runs/{id}/export and
// POST /runs/cleanup, /runs/restore. `service` must outlive the router.
void register_run_routes(net::Router& router, RunService& service);

}  // namespace ailab::runs
