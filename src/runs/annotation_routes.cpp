#include "runs/annotation_routes.hpp"

#include <boost/json.hpp>

#include "core/json_writer.hpp"
#include "net/hub.hpp"
#include "net/json.hpp"
#include "net/router.hpp"
#include "runs/annotations.hpp"
#include "runs/publisher.hpp"
#include "runs/service.hpp"
#include "runs/summary.hpp"

namespace ailab::runs {

namespace {

AnnotationsPatch parse_patch(const boost::json::object& body) {
    AnnotationsPatch patch;
    for (const auto& entry : body) {
        const auto key = entry.key();
        const auto& value = entry.value();
        if (key == "note") {
            if (!value.is_string()) throw net::HttpError(400, "\"note\" must be a string");
            patch.note = std::string(value.as_string());
        } else if (key == "tags") {
            if (!value.is_array()) throw net::HttpError(400, "\"tags\" must be an array of strings");
            std::vector<std::string> tags;
            for (const auto& item : value.as_array()) {
                if (!item.is_string()) throw net::HttpError(400, "\"tags\" must be an array of strings");
                tags.emplace_back(item.as_string());
            }
            patch.tags = std::move(tags);
        } else if (key == "starred") {
            if (!value.is_bool()) throw net::HttpError(400, "\"starred\" must be true or false");
            patch.starred = value.as_bool();
        } else {
            throw net::HttpError(400, "unknown field \"" + std::string(key) + "\": give note, tags or starred");
        }
    }
    if (!patch.note && !patch.tags && !patch.starred)
        throw net::HttpError(400, "give at least one of note, tags or starred");
    return patch;
}

net::Response list_annotations(const AnnotationStore& store) {
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.key("annotations");
    writer.begin_object();
    for (const auto& [id, annotations] : store.all()) {
        writer.key(id);
        write_annotations(writer, annotations);
    }
    writer.end_object();
    writer.end_object();
    return net::Response::json_text(200, std::move(out));
}

net::Response patch_annotations(RunService& service, AnnotationStore& store, net::Hub& hub, net::Request& request) {
    const auto& id = request.params["id"];
    auto summary = service.summary(id);
    if (!summary) throw net::HttpError(404, no_such_run(id).message);
    auto patch = parse_patch(net::parse_json_object(request.body));
    if (auto valid = validate_patch(patch); !valid) throw net::HttpError(400, valid.error().message);
    auto stored = store.update(id, summary->path, patch, request.user, unix_now());
    if (!stored) throw net::HttpError(500, stored.error().message);
    std::string body;
    core::JsonWriter writer(body);
    write_annotations(writer, *stored);
    auto event = run_event("runs.annotations", id, "annotations", body);
    hub.publish(runs_topic, std::move(event));
    return net::Response::json_text(200, std::move(body));
}

}  // namespace

void write_annotations(core::JsonWriter& writer, const Annotations& annotations) {
    writer.begin_object();
    writer.field("note", annotations.note);
    writer.key("tags");
    writer.begin_array();
    for (const auto& tag : annotations.tags) writer.string(tag);
    writer.end_array();
    writer.key("starred");
    writer.boolean(annotations.starred);
    writer.key("updated_at");
    writer.optional_number(annotations.updated_at);
    writer.key("updated_by");
    if (annotations.updated_by.empty())
        writer.null();
    else
        writer.string(annotations.updated_by);
    writer.end_object();
}

void register_annotation_routes(net::Router& router, RunService& service, AnnotationStore& store, net::Hub& hub) {
    using net::Access;
    using net::Method;
    auto* runs = &service;
    auto* annotations = &store;
    auto* topic = &hub;
    // From memory: the I/O thread. A change writes SQLite (a commit, ~1 ms): the worker pool.
    router.add(
        Method::get, "/api/v1/runs/annotations", Access::token_required,
        [annotations](net::Request&) { return list_annotations(*annotations); }, net::Execution::io_thread);
    router.add(
        Method::patch, "/api/v1/runs/{id}/annotations", Access::token_required,
        [runs, annotations, topic](net::Request& request) {
            return patch_annotations(*runs, *annotations, *topic, request);
        },
        net::Execution::worker);
}

}  // namespace ailab::runs
