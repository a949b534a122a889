#include "terminals/routes.hpp"

#include <boost/json.hpp>

#include "terminals/host.hpp"

namespace ailab::terminals {
namespace json = boost::json;
using net::HttpError;
using net::Request;
using net::Response;

namespace {

int status_of(const core::Error& error) {
    using boost::system::errc::errc_t;
    if (error.is(errc_t::invalid_argument)) return 400;
    if (error.is(errc_t::permission_denied) || error.is(errc_t::cross_device_link)) return 403;
    if (error.is(errc_t::not_a_directory)) return 400;
    if (error.is(errc_t::no_such_file_or_directory)) return 404;
    if (error.is(errc_t::resource_unavailable_try_again)) return 429;
    if (error.is(errc_t::function_not_supported)) return 501;
    if (error.is(errc_t::operation_canceled)) return 503;
    return 500;
}

json::object to_json(const TerminalInfo& info) {
    json::value exit = nullptr;
    if (!info.running)
        exit = json::object{{"code", info.exit_code ? json::value(*info.exit_code) : nullptr},
                            {"signal", info.exit_signal ? json::value(*info.exit_signal) : nullptr}};
    return {{"id", info.id},
            {"user", info.user},
            {"command", info.command},
            {"root", info.root ? json::value(*info.root) : nullptr},
            {"folder", info.folder},
            {"cols", info.cols},
            {"rows", info.rows},
            {"state", info.running ? "running" : "exited"},
            {"exit", std::move(exit)},
            {"started_at", info.started_at},
            {"last_activity", info.last_activity},
            {"clients", info.clients},
            {"output_bytes", info.output_bytes},
            {"title", info.title}};
}

Response answer(int status, const TerminalInfo& info) {
    return Response::json_text(status, json::serialize(json::object{{"terminal", to_json(info)}}));
}

int dimension(const json::object& body, std::string_view key, int fallback) {
    const auto* value = body.if_contains(key);
    if (!value || value->is_null()) return fallback;
    if (!value->is_int64() || value->as_int64() < 1 || value->as_int64() > max_dimension)
        throw HttpError(400, std::string(key) + " must be a whole number from 1 to 1000");
    return static_cast<int>(value->as_int64());
}

std::optional<std::string> optional_text(const json::object& body, std::string_view key) {
    const auto* value = body.if_contains(key);
    if (!value || value->is_null()) return std::nullopt;
    if (!value->is_string() || value->as_string().empty())
        throw HttpError(400, std::string(key) + " must be null or a non-empty string");
    return std::string(value->as_string());
}

Response open_terminal(TerminalHost& host, Request& request) {
    boost::system::error_code error;
    auto body = request.body.empty() ? json::value(json::object{}) : json::parse(request.body, error);
    if (error || !body.is_object()) throw HttpError(400, "the body must be a JSON object");
    const auto& object = body.as_object();
    OpenRequest open;
    open.user = request.user;
    open.root = optional_text(object, "root");
    open.command = optional_text(object, "command");
    open.path = optional_text(object, "path").value_or("");
    if (open.command && open.command->find('\0') != std::string::npos)
        throw HttpError(400, "command must not contain a NUL byte");
    open.cols = dimension(object, "cols", 80);
    open.rows = dimension(object, "rows", 24);
    auto opened = host.open(open);
    if (!opened) throw HttpError(status_of(opened.error()), opened.error().message);
    return answer(201, *opened);
}

Response list_terminals(TerminalHost& host, Request& request) {
    json::array list;
    for (const auto& info : host.list(request.user)) list.push_back(to_json(info));
    return Response::json_text(200, json::serialize(json::object{{"terminals", std::move(list)}}));
}

Response close_terminal(TerminalHost& host, Request& request) {
    const auto& id = request.params.at("id");
    auto closed = host.close(id, request.user);
    if (!closed) throw HttpError(404, "no terminal " + id);
    return answer(200, *closed);
}

}  // namespace

void register_terminal_routes(net::Router& router, TerminalHost& host) {
    using net::Access;
    using net::Execution;
    using net::Method;
    router.add(
        Method::post, "/api/v1/terminals", Access::token_required,
        [&host](Request& request) { return open_terminal(host, request); }, Execution::worker);
    router.add(Method::get, "/api/v1/terminals", Access::token_required,
               [&host](Request& request) { return list_terminals(host, request); });
    router.add(
        Method::del, "/api/v1/terminals/{id}", Access::token_required,
        [&host](Request& request) { return close_terminal(host, request); }, Execution::worker);
}

}  // namespace ailab::terminals
