#include "system/routes.hpp"

#include <utility>

#include "net/json.hpp"
#include "system/prometheus.hpp"
#include "system/serialize.hpp"
#include "system/service.hpp"

namespace ailab::sys {

void register_system_routes(net::Router& router, SystemService& service, const Settings& settings,
                            const std::vector<net::MetricsWriter>& metric_writers) {
    router.add(net::Method::get, "/api/v1/system", net::Access::token_required, [&service](net::Request&) {
        if (service.cluster()) return net::json_response(cluster_to_json());
        const auto sample = service.latest();
        if (!sample) throw net::HttpError(503, "no system sample yet");
        return net::json_response(sample_to_json(*sample));
    });

    router.add(net::Method::get, "/api/v1/system/history", net::Access::token_required,
               [&service](net::Request& request) {
                   const std::string range = request.query_or("range", "1h");
                   HistoryRange parsed = HistoryRange::hour;
                   if (range == "1h") {
                       parsed = HistoryRange::hour;
                   } else if (range == "24h") {
                       parsed = HistoryRange::day;
                   } else {
                       throw net::HttpError(400, "range must be 1h or 24h");
                   }
                   return net::json_response(history_to_json(service.history(parsed)));
               });

    const net::Access metrics_access = settings.metrics_public ? net::Access::public_route : net::Access::token_required;
    router.add(net::Method::get, "/metrics", metrics_access,
               [&service, &metric_writers](net::Request&) {
                   MetricsInput input;
                   std::optional<SystemSample> sample;
                   SamplerStats stats;
                   if (!service.cluster()) {
                       sample = service.latest();
                       stats = service.stats();
                       input.stats = &stats;
                   }
                   if (sample) input.sample = &*sample;
                   auto text = render_metrics(input);
                   for (const auto& write : metric_writers) write(text);
                   return net::Response::text(200, std::move(text), std::string(metrics_content_type));
               });
}

}  // namespace ailab::sys
