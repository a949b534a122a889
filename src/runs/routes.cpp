#include "runs/routes.hpp"

#include <boost/json.hpp>

#include <charconv>

#include "core/json_writer.hpp"
#include "net/json.hpp"
#include "net/router.hpp"
#include "runs/annotation_routes.hpp"
#include "runs/annotations.hpp"
#include "runs/service.hpp"

namespace ailab::runs {

namespace {

constexpr std::size_t max_points_limit = 100'000;

// A failed lookup or read: 404 for an unknown run; 503 when a replay ran out of time or the
// server is stopping; 409 when the run's log cannot be read (gone, a device, a link out of
// results). Messages name the run by its path below results, never by the server's own paths.
[[noreturn]] void fail(const core::Error& error) {
    if (is_no_such_run(error)) throw net::HttpError(404, error.message);
    if (error.is(boost::system::errc::timed_out) || error.is(boost::system::errc::operation_canceled))
        throw net::HttpError(503, error.message);
    throw net::HttpError(409, error.message);
}

XAxis parse_axis(const std::string& text) {
    if (text == "step") return XAxis::step;
    if (text == "time") return XAxis::time;
    if (text == "epoch") return XAxis::epoch;
    throw net::HttpError(400, "x must be step, time or epoch, not \"" + text + "\"");
}

std::string_view axis_name(XAxis axis) { return axis == XAxis::step ? "step" : axis == XAxis::time ? "time" : "epoch"; }

std::size_t parse_max_points(const std::string& text) {
    std::size_t value = 0;
    auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size() || value < 2 || value > max_points_limit)
        throw net::HttpError(400, "max_points must be a whole number from 2 to " + std::to_string(max_points_limit));
    return value;
}

std::vector<std::string> split_keys(const std::string& text) {
    std::vector<std::string> keys;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        auto end = comma == std::string::npos ? text.size() : comma;
        if (end > start) keys.push_back(text.substr(start, end - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return keys;
}

std::vector<std::string> string_list(const boost::json::object& body, std::string_view key) {
    auto it = body.find(key);
    if (it == body.end() || !it->value().is_array())
        throw net::HttpError(400, "\"" + std::string(key) + "\" must be an array of strings");
    std::vector<std::string> values;
    for (const auto& item : it->value().as_array()) {
        if (!item.is_string()) throw net::HttpError(400, "\"" + std::string(key) + "\" must be an array of strings");
        values.emplace_back(item.as_string());
    }
    return values;
}

net::Response json_text(std::string body) { return net::Response::json_text(200, std::move(body)); }

net::Response list_runs(RunService& service) {
    auto runs = service.list();
    std::string out;
    out.reserve(runs.size() * 512 + 16);
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.key("runs");
    writer.begin_array();
    for (const auto& run : runs) write_summary(writer, run);
    writer.end_array();
    writer.end_object();
    return json_text(std::move(out));
}

// {"params":{"<id>":{…}}}: the worker keeps each run's params as JSON text, so this only copies.
net::Response list_params(const RunService& service) {
    auto all = service.all_params();
    std::size_t size = 32;
    for (const auto& run : all) size += run.id.size() + run.params_json.size() + 4;
    std::string out;
    out.reserve(size);
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.key("params");
    writer.begin_object();
    for (const auto& run : all) {
        writer.key(run.id);
        writer.raw(run.params_json);
    }
    writer.end_object();
    writer.end_object();
    return json_text(std::move(out));
}

// {"values":{"<id>":{"loss":[last,min,max],…}}}.
net::Response list_values(const RunService& service) {
    auto all = service.all_values();
    std::string out;
    out.reserve(all.size() * 128 + 16);
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.key("values");
    writer.begin_object();
    for (const auto& run : all) {
        writer.key(run.id);
        write_values(writer, run.names, run.totals);
    }
    writer.end_object();
    writer.end_object();
    return json_text(std::move(out));
}

net::Response run_detail(RunService& service, const AnnotationStore* annotations, const std::string& id) {
    auto detail = service.detail(id);
    if (!detail) throw net::HttpError(404, no_such_run(id).message);
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    write_summary_fields(writer, detail->summary);
    writer.key("config");
    boost::system::error_code error;
    boost::json::value config;
    if (detail->config_json) config = boost::json::parse(*detail->config_json, error);
    if (detail->config_json && !error && config.is_object())
        writer.raw(boost::json::serialize(config));
    else
        writer.null();
    writer.key("config_text");
    if (detail->hparams_text)
        writer.string(*detail->hparams_text);
    else if (detail->config_json && (error || !config.is_object()))
        writer.string(*detail->config_json);
    else
        writer.null();
    writer.key("files");
    writer.begin_array();
    for (const auto& name : detail->files) writer.string(name);
    writer.end_array();
    writer.key("params");
    writer.raw(detail->params_json);
    writer.key("params_error");
    if (detail->params_error.empty())
        writer.null();
    else
        writer.string(detail->params_error);
    writer.key("annotations");
    write_annotations(writer, annotations ? annotations->get(id) : Annotations{});
    writer.end_object();
    return json_text(std::move(out));
}

net::Response run_metrics(RunService& service, net::Request& request) {
    const auto& id = request.params["id"];
    MetricsQuery query;
    query.keys = split_keys(request.query_or("keys", ""));
    query.axis = parse_axis(request.query_or("x", "step"));
    query.max_points = parse_max_points(request.query_or("max_points", "2000"));
    auto result = service.metrics(id, query);
    if (!result) fail(result.error());
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.field("x", axis_name(query.axis));
    writer.key("series");
    writer.begin_object();
    for (const auto& [name, series] : result->series) {
        writer.key(name);
        writer.begin_object();
        writer.key("x");
        writer.begin_array();
        for (double x : series.x) writer.number(x);
        writer.end_array();
        writer.key("y");
        writer.begin_array();
        // Values are held as floats in memory; print them in float's shortest form either way.
        for (double y : series.y) {
            if (static_cast<double>(static_cast<float>(y)) == y)
                writer.number(static_cast<float>(y));
            else
                writer.number(y);
        }
        writer.end_array();
        writer.end_object();
    }
    writer.end_object();
    writer.end_object();
    auto response = json_text(std::move(out));
    response.set_header("X-AILab-Source", result->from_disk ? "disk" : "memory");
    return response;
}

net::Response run_export(RunService& service, net::Request& request) {
    const auto& id = request.params["id"];
    auto format_name = request.query_or("format", "csv");
    ExportFormat format;
    if (format_name == "csv")
        format = ExportFormat::csv;
    else if (format_name == "jsonl")
        format = ExportFormat::jsonl;
    else
        throw net::HttpError(400, "format must be csv or jsonl, not \"" + format_name + "\"");
    auto exported = service.export_points(id, format);
    if (!exported) fail(exported.error());
    auto response = net::Response::text(
        200, std::move(exported->body),
        format == ExportFormat::csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
    std::string quoted;
    core::append_json_string(quoted, exported->file_name);  // a quoted, escaped name is a valid quoted-string here
    response.set_header("Content-Disposition", "attachment; filename=" + quoted);
    return response;
}

net::Response run_images(RunService& service, const std::string& id) {
    auto images = service.images(id);
    if (!images) throw net::HttpError(404, no_such_run(id).message);
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.key("images");
    writer.begin_array();
    for (std::size_t i = 0; i < images->images.size(); ++i) {
        const auto& image = images->images[i];
        writer.begin_object();
        writer.field("index", static_cast<double>(i));
        writer.field("tag", image.tag);
        writer.field("step", image.step);
        writer.field("wall_time", image.wall_time);
        writer.field("width", static_cast<double>(image.width));
        writer.field("height", static_cast<double>(image.height));
        writer.field("type", image.type);
        writer.field("bytes", static_cast<double>(image.bytes));
        writer.end_object();
    }
    writer.end_array();
    writer.field("truncated", images->truncated);
    writer.end_object();
    return json_text(std::move(out));
}

net::Response run_image(RunService& service, net::Request& request) {
    const auto& text = request.params["index"];
    std::size_t index = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), index);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        throw net::HttpError(400, "the image index must be a number, not \"" + text + "\"");
    auto image = service.image(request.params["id"], index);
    if (!image) {
        if (image.error().is(boost::system::errc::invalid_argument)) throw net::HttpError(404, image.error().message);
        fail(image.error());
    }
    auto response = net::Response::text(200, std::move(image->bytes), image->type);
    response.set_header("Cache-Control", "private, max-age=3600");
    response.set_header("X-Content-Type-Options", "nosniff");
    return response;
}

// Writes "key": [{...}, ...], one object per item, its fields written by write_fields(item).
template <class Items, class WriteFields>
void write_objects(core::JsonWriter& writer, std::string_view key, const Items& items, WriteFields write_fields) {
    writer.key(key);
    writer.begin_array();
    for (const auto& item : items) {
        writer.begin_object();
        write_fields(item);
        writer.end_object();
    }
    writer.end_array();
}

net::Response cleanup(RunService& service, net::Request& request) {
    auto body = net::parse_json_object(request.body);
    auto ids = string_list(body, "ids");
    auto scope = CleanupScope::only_finished;
    if (auto it = body.find("force"); it != body.end()) {
        if (!it->value().is_bool()) throw net::HttpError(400, "\"force\" must be true or false");
        if (it->value().as_bool()) scope = CleanupScope::forced;
    }
    auto result = service.cleanup(ids, scope);
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    write_objects(writer, "moved", result.moved, [&writer](const auto& moved) {
        writer.field("id", moved.id);
        writer.field("path", moved.path);
        writer.field("trash_path", moved.trash_path);
    });
    write_objects(writer, "errors", result.errors, [&writer](const auto& failed) {
        writer.field("id", failed.id);
        writer.field("error", failed.error);
    });
    writer.end_object();
    return json_text(std::move(out));
}

net::Response trash(RunService& service) {
    auto items = service.trash();
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    write_objects(writer, "items", items, [&writer](const auto& item) {
        writer.field("trash_path", item.trash_path);
        writer.field("path", item.path);
        writer.field("moved_at", item.moved_at);
    });
    writer.end_object();
    return json_text(std::move(out));
}

net::Response restore(RunService& service, net::Request& request) {
    auto body = net::parse_json_object(request.body);
    auto result = service.restore(string_list(body, "items"));
    std::string out;
    core::JsonWriter writer(out);
    writer.begin_object();
    write_objects(writer, "restored", result.restored, [&writer](const auto& restored) {
        writer.field("trash_path", restored.trash_path);
        writer.field("path", restored.path);
        writer.field("id", restored.id);
    });
    write_objects(writer, "errors", result.errors, [&writer](const auto& failed) {
        writer.field("trash_path", failed.trash_path);
        writer.field("error", failed.error);
    });
    writer.end_object();
    return json_text(std::move(out));
}

}  // namespace

void register_run_routes(net::Router& router, RunService& service, const AnnotationStore* annotations) {
    using net::Access;
    using net::Method;
    // From memory in microseconds: on the I/O thread. Everything that reads files (a side file, a
    // whole log, the trash) or waits for the runs worker runs on the server's worker pool.
    constexpr auto io_thread = net::Execution::io_thread;
    constexpr auto worker = net::Execution::worker;
    auto* runs = &service;
    router.add(
        Method::get, "/api/v1/runs", Access::token_required, [runs](net::Request&) { return list_runs(*runs); },
        io_thread);
    // Literal routes before /runs/{id}: the router takes the first match.
    router.add(
        Method::get, "/api/v1/runs/trash", Access::token_required, [runs](net::Request&) { return trash(*runs); },
        worker);
    router.add(
        Method::get, "/api/v1/runs/params", Access::token_required,
        [runs](net::Request&) { return list_params(*runs); }, io_thread);
    router.add(
        Method::get, "/api/v1/runs/values", Access::token_required,
        [runs](net::Request&) { return list_values(*runs); }, io_thread);
    router.add(
        Method::post, "/api/v1/runs/cleanup", Access::token_required,
        [runs](net::Request& request) { return cleanup(*runs, request); }, worker);
    router.add(
        Method::post, "/api/v1/runs/restore", Access::token_required,
        [runs](net::Request& request) { return restore(*runs, request); }, worker);
    router.add(
        Method::get, "/api/v1/runs/{id}", Access::token_required,
        [runs, annotations](net::Request& request) { return run_detail(*runs, annotations, request.params["id"]); },
        worker);
    router.add(
        Method::get, "/api/v1/runs/{id}/metrics", Access::token_required,
        [runs](net::Request& request) { return run_metrics(*runs, request); }, worker);
    router.add(
        Method::get, "/api/v1/runs/{id}/images", Access::token_required,
        [runs](net::Request& request) { return run_images(*runs, request.params["id"]); }, io_thread);
    router.add(
        Method::get, "/api/v1/runs/{id}/images/{index}", Access::token_required,
        [runs](net::Request& request) { return run_image(*runs, request); }, worker);
    router.add(
        Method::get, "/api/v1/runs/{id}/export", Access::token_required,
        [runs](net::Request& request) { return run_export(*runs, request); }, worker);
}

}  // namespace ailab::runs
