#include "net/router.hpp"

#include "core/strings.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace ailab::net {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        auto end = slash == std::string_view::npos ? path.size() : slash;
        if (end > start) segments.emplace_back(path.substr(start, end - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return segments;
}

void Router::add(Method method, std::string pattern, Access access, Handler handler, Execution execution,
                 std::size_t max_body_bytes) {
    auto segments = split_path(pattern);
    Route route{RouteInfo{method, std::move(pattern), access, execution, max_body_bytes}, std::move(segments),
                std::move(handler)};
    routes_.push_back(std::move(route));
}

std::vector<RouteInfo> Router::routes() const {
    std::vector<RouteInfo> infos;
    infos.reserve(routes_.size());
    for (const auto& route : routes_) infos.push_back(route.info);
    return infos;
}

namespace {

bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
           std::map<std::string, std::string>& params) {
    if (pattern.size() != segments.size()) return false;
    std::map<std::string, std::string> captured;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const auto& p = pattern[i];
        if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
            captured[p.substr(1, p.size() - 2)] = segments[i];
        } else if (p != segments[i]) {
            return false;
        }
    }
    params = std::move(captured);
    return true;
}

std::string_view bearer_token(const Request& request) { return bearer_token_of(request.header("authorization")); }

}  // namespace

std::string_view bearer_token_of(std::string_view authorization) {
    constexpr std::string_view prefix = "Bearer ";
    if (authorization.size() <= prefix.size() || !core::starts_with_ignoring_case(authorization, prefix)) return {};
    return authorization.substr(prefix.size());
}

const RouteInfo* Router::find(Method method, std::string_view path) const {
    const auto segments = split_path(path);
    if (method == Method::head) method = Method::get;
    std::map<std::string, std::string> unused;
    for (const auto& route : routes_) {
        if (route.info.method == method && match(route.segments, segments, unused)) return &route.info;
    }
    return nullptr;
}

Execution Router::execution_of(const Request& request) const {
    const auto* route = find(request.method, request.path);
    return route != nullptr ? route->execution : Execution::io_thread;
}

Response Router::dispatch(Request& request, const TokenVerifier& verify) const {
    auto segments = split_path(request.path);
    bool path_known = false;
    for (const auto& route : routes_) {
        std::map<std::string, std::string> params;
        if (!match(route.segments, segments, params)) continue;
        path_known = true;
        Method method = request.method == Method::head ? Method::get : request.method;
        if (route.info.method != method) continue;
        if (route.info.access == Access::token_required) {
            auto token = bearer_token(request);
            auto user = token.empty() ? std::nullopt : verify(token);
            if (!user) {
                auto response =
                    Response::error(401, token.empty() ? "authentication required: send Authorization: Bearer <token>"
                                                       : "invalid or expired token");
                response.set_header("WWW-Authenticate", "Bearer");
                return response;
            }
            request.user = *user;
            request.token = std::string(token);
        }
        request.params = std::move(params);
        // The one wrapper that turns whatever escapes a handler into a JSON error.
        try {
            return route.handler(request);
        } catch (const HttpError& error) {
            return Response::error(error.status(), error.what());
        } catch (const std::exception& error) {
            // The text may hold server paths or internals: it goes to the log, not to the client.
            spdlog::error("{} {}: unhandled error: {}", method_name(request.method), request.path, error.what());
            return Response::error(500, "internal error (the server's log has the details)");
        } catch (...) {
            spdlog::error("{} {}: unhandled non-standard exception", method_name(request.method), request.path);
            return Response::error(500, "internal error");
        }
    }
    if (path_known) return Response::error(405, "method not allowed");
    return Response::error(404, "not found: " + request.path);
}

}  // namespace ailab::net
