#include <gtest/gtest.h>

#include "net/http.hpp"
#include "net/router.hpp"

using namespace ailab::net;

namespace {

TokenVerifier accept_only(std::string good) {
    return [good](std::string_view token) -> std::optional<std::string> {
        if (token == good) return std::string("admin");
        return std::nullopt;
    };
}

Request make(Method method, std::string path, std::string token = "") {
    Request request;
    request.method = method;
    request.path = std::move(path);
    if (!token.empty()) request.headers.emplace_back("authorization", "Bearer " + token);
    return request;
}

}  // namespace

TEST(Router, MatchesCapturesAndChecksTokens) {
    Router router;
    router.add(Method::get, "/api/v1/runs/{id}/metrics", Access::token_required,
               [](Request& request) { return Response::text(200, request.params.at("id") + " " + request.user); });
    router.add(Method::get, "/api/v1/health", Access::public_route, [](Request&) { return Response::text(200, "ok"); });

    auto ok = make(Method::get, "/api/v1/runs/abc/metrics", "tok");
    EXPECT_EQ(router.dispatch(ok, accept_only("tok")).body, "abc admin");

    auto no_token = make(Method::get, "/api/v1/runs/abc/metrics");
    auto response = router.dispatch(no_token, accept_only("tok"));
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer");
    EXPECT_NE(response.body.find("\"error\""), std::string::npos);

    auto bad_token = make(Method::get, "/api/v1/runs/abc/metrics", "nope");
    EXPECT_EQ(router.dispatch(bad_token, accept_only("tok")).status, 401);

    auto health = make(Method::get, "/api/v1/health");
    EXPECT_EQ(router.dispatch(health, accept_only("tok")).status, 200);
    auto head = make(Method::head, "/api/v1/health");
    EXPECT_EQ(router.dispatch(head, accept_only("tok")).status, 200);

    auto wrong_method = make(Method::post, "/api/v1/health");
    EXPECT_EQ(router.dispatch(wrong_method, accept_only("tok")).status, 405);
    auto unknown = make(Method::get, "/api/v1/nothing");
    EXPECT_EQ(router.dispatch(unknown, accept_only("tok")).status, 404);
    auto too_long = make(Method::get, "/api/v1/runs/abc/metrics/more", "tok");
    EXPECT_EQ(router.dispatch(too_long, accept_only("tok")).status, 404);
}

TEST(Router, WrapperTurnsExceptionsIntoJsonErrors) {
    Router router;
    router.add(Method::get, "/a", Access::public_route,
               [](Request&) -> Response { throw HttpError(400, "bad \"x\""); });
    router.add(Method::get, "/b", Access::public_route, [](Request&) -> Response { throw std::runtime_error("boom"); });
    router.add(Method::get, "/c", Access::public_route, [](Request&) -> Response { throw 42; });
    auto a = make(Method::get, "/a");
    auto response = router.dispatch(a, accept_only(""));
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(response.body, R"({"error":"bad \"x\""})");
    auto b = make(Method::get, "/b");
    EXPECT_EQ(router.dispatch(b, accept_only("")).status, 500);
    auto c = make(Method::get, "/c");
    EXPECT_EQ(router.dispatch(c, accept_only("")).status, 500);
}

TEST(Http, PercentDecodingAndQueries) {
    EXPECT_EQ(percent_decode("/a%20b+c", DecodeMode::path), "/a b+c");
    EXPECT_EQ(percent_decode("a+b", DecodeMode::query), "a b");
    EXPECT_FALSE(percent_decode("%zz", DecodeMode::path).has_value());
    EXPECT_FALSE(percent_decode("%4", DecodeMode::path).has_value());
    EXPECT_FALSE(percent_decode("%00", DecodeMode::path).has_value());
    auto query = parse_query("keys=loss%2Cscore&x=step&&max_points=10&flag");
    ASSERT_TRUE(query);
    EXPECT_EQ(query->at("keys"), "loss,score");
    EXPECT_EQ(query->at("x"), "step");
    EXPECT_EQ(query->at("max_points"), "10");
    EXPECT_EQ(query->at("flag"), "");
    // A bad escape anywhere makes the whole query malformed (the server answers 400).
    EXPECT_FALSE(parse_query("format=%zz").has_value());
    EXPECT_FALSE(parse_query("a=1&%g1=2").has_value());
    EXPECT_FALSE(parse_query("a=%").has_value());
    EXPECT_EQ(split_path("//a/b/"), (std::vector<std::string>{"a", "b"}));
}

TEST(Http, HeaderLookupIsCaseInsensitive) {
    Request request;
    request.headers.emplace_back("content-type", "application/json");
    EXPECT_EQ(request.header("Content-Type"), "application/json");
    EXPECT_EQ(request.header("Accept"), "");
    Response response;
    response.set_header("ETag", "\"1\"");
    response.set_header("etag", "\"2\"");
    EXPECT_EQ(response.headers.size(), 1u);
    EXPECT_EQ(response.header("ETAG"), "\"2\"");
}

TEST(Router, ExecutionIsPerRouteAndUnexpectedErrorsHideTheirText) {
    Router router;
    router.add(Method::get, "/api/v1/runs/{id}/export", Access::public_route,
               [](Request&) -> Response { throw std::runtime_error("cannot read /secret/server/path"); },
               Execution::worker);
    router.add(Method::get, "/api/v1/runs", Access::public_route, [](Request&) { return Response::text(200, "ok"); });
    Request slow;
    slow.method = Method::get;
    slow.path = "/api/v1/runs/abc/export";
    EXPECT_EQ(router.execution_of(slow), Execution::worker);
    Request fast = slow;
    fast.path = "/api/v1/runs";
    EXPECT_EQ(router.execution_of(fast), Execution::io_thread);
    fast.path = "/unknown";
    EXPECT_EQ(router.execution_of(fast), Execution::io_thread);
    auto response = router.dispatch(slow, [](std::string_view) { return std::nullopt; });
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.body.find("/secret"), std::string::npos) << response.body;
}
