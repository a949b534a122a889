// The real binary on loopback: login, rate limit, tokens across restarts, 401s, CORS, static
// assets, WebSocket auth/origin/push, TLS with a real OpenSSL client, clean shutdown, bad configs.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "harness.hpp"

using namespace ailab::testing;

namespace {
std::string login_body(const std::string& password) {
    return boost::json::serialize(boost::json::object{{"user", "admin"}, {"password", password}});
}
}  // namespace

TEST(Server, HealthIsPublicAndEverythingElseNeedsAToken) {
    ServerProcess server;
    server.start();
    auto health = server.get("/api/v1/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.json().at("status").as_string(), "ok");
    EXPECT_FALSE(health.json().at("version").as_string().empty());

    auto token = server.login();
    auto routes = server.get("/api/v1/routes", token);
    ASSERT_EQ(routes.status, 200);
    int checked = 0;
    auto listing = routes.json();
    for (const auto& route : listing.at("routes").as_array()) {
        const auto& object = route.as_object();
        if (object.at("public").as_bool()) continue;
        std::string method(object.at("method").as_string());
        std::string path(object.at("path").as_string());
        HttpOptions options;
        auto result = http_request(server.port(), method, path, method == "GET" ? "" : "{}", options);
        EXPECT_EQ(result.status, 401) << method << " " << path;
        EXPECT_NE(result.body.find("\"error\""), std::string::npos) << path;
        ++checked;
    }
    EXPECT_GE(checked, 5);
    EXPECT_EQ(server.get("/api/v1/info", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").status,
              401);
    EXPECT_EQ(server.get("/api/v1/info", token).status, 200);
}

TEST(Server, LoginLogoutAndBadInput) {
    ServerProcess server;
    server.start();
    EXPECT_EQ(server.post("/api/v1/login", login_body("wrong")).status, 401);
    EXPECT_EQ(server.post("/api/v1/login", "not json").status, 400);
    EXPECT_EQ(server.post("/api/v1/login", R"({"user":"admin"})").status, 400);
    auto ok = server.post("/api/v1/login", login_body(test_password));
    ASSERT_EQ(ok.status, 200);
    auto token = std::string(ok.json().at("token").as_string());
    EXPECT_EQ(token.size(), 64u);
    EXPECT_GT(ok.json().at("expires_at").to_number<double>(), 0);
    EXPECT_EQ(server.get("/api/v1/info", token).status, 200);
    EXPECT_EQ(server.post("/api/v1/logout", "", token).status, 200);
    EXPECT_EQ(server.get("/api/v1/info", token).status, 401);
    // Passwords never reach the log.
    EXPECT_EQ(server.output().find(test_password), std::string::npos);
    EXPECT_EQ(server.output().find("\"wrong\""), std::string::npos);
}

TEST(Server, RepeatedFailuresGet429ThenRecover) {
    ServerProcess server;
    server.start();
    int status = 0;
    HttpResult limited;
    for (int i = 0; i < 8 && status != 429; ++i) {
        limited = server.post("/api/v1/login", login_body("wrong"));
        status = limited.status;
    }
    ASSERT_EQ(status, 429);
    auto retry_after = std::stoi(limited.header("retry-after"));
    EXPECT_GE(retry_after, 1);
    // Even the right password waits while locked out.
    EXPECT_EQ(server.post("/api/v1/login", login_body(test_password)).status, 429);
    std::this_thread::sleep_for(std::chrono::seconds(retry_after) + std::chrono::milliseconds(200));
    EXPECT_EQ(server.post("/api/v1/login", login_body(test_password)).status, 200);
}

TEST(Server, TokenSurvivesRestart) {
    ServerProcess server;
    server.start();
    auto token = server.login();
    EXPECT_EQ(server.stop(SIGTERM), 0);  // clean shutdown exits 0
    server.start();
    EXPECT_EQ(server.get("/api/v1/info", token).status, 200);
}

TEST(Server, TokenSurvivesAKilledServer) {
    ServerProcess server;
    server.start();
    auto token = server.login();
    server.stop(SIGKILL);
    server.start();
    EXPECT_EQ(server.get("/api/v1/info", token).status, 200);
}

TEST(Server, StaticAssetsEtagGzipAndPathEscapes) {
    ServerProcess server;
    server.start();
    HttpOptions gzip;
    gzip.headers = {{"Accept-Encoding", "gzip"}};
    auto index = server.get("/");
    ASSERT_EQ(index.status, 200);
    EXPECT_NE(index.body.find("<html"), std::string::npos);
    EXPECT_EQ(index.header("cache-control"), "no-cache");
    auto etag = index.header("etag");
    ASSERT_FALSE(etag.empty());
    HttpOptions revalidate;
    revalidate.headers = {{"If-None-Match", etag}};
    EXPECT_EQ(http_request(server.port(), "GET", "/index.html", "", revalidate).status, 304);
    // index.html (with or without the UI built) is large enough to be served compressed.
    auto zipped = http_request(server.port(), "GET", "/index.html", "", gzip);
    EXPECT_EQ(zipped.header("content-encoding"), "gzip");
    ASSERT_GE(zipped.body.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(zipped.body[0]), 0x1f);  // gzip magic
    EXPECT_EQ(static_cast<unsigned char>(zipped.body[1]), 0x8b);
    EXPECT_LT(zipped.body.size(), index.body.size());
    EXPECT_EQ(index.header("content-encoding"), "");  // identity for a client that asks for none
    EXPECT_EQ(server.get("/nope.js").status, 404);
    EXPECT_EQ(server.get("/assets/../../etc/passwd").status, 400);
    EXPECT_EQ(server.get("/%2e%2e/etc/passwd").status, 400);
    EXPECT_EQ(server.get("/api/v1/%zz").status, 400);
}

TEST(Server, CorsOnlyForAllowedOrigins) {
    ServerProcess server(boost::json::object{{"allowed_origins", boost::json::array{"http://gui.test:8080"}}});
    server.start();
    HttpOptions allowed;
    allowed.headers = {{"Origin", "http://gui.test:8080"}, {"Access-Control-Request-Method", "POST"}};
    auto preflight = http_request(server.port(), "OPTIONS", "/api/v1/login", "", allowed);
    EXPECT_EQ(preflight.status, 204);
    EXPECT_EQ(preflight.header("access-control-allow-origin"), "http://gui.test:8080");
    EXPECT_NE(preflight.header("access-control-allow-headers").find("Authorization"), std::string::npos);
    auto health = http_request(server.port(), "GET", "/api/v1/health", "", allowed);
    EXPECT_EQ(health.header("access-control-allow-origin"), "http://gui.test:8080");

    HttpOptions foreign;
    foreign.headers = {{"Origin", "http://evil.test"}};
    EXPECT_EQ(http_request(server.port(), "OPTIONS", "/api/v1/login", "", foreign).status, 403);
    EXPECT_EQ(http_request(server.port(), "GET", "/api/v1/health", "", foreign).header("access-control-allow-origin"),
              "");
}

TEST(Server, BigBodiesAreRefused) {
    ServerProcess server;
    server.start();
    std::string huge(17u << 20, 'x');
    auto result = server.post("/api/v1/login", huge);
    EXPECT_TRUE(result.status == 413 || result.status == 0) << result.status;
    EXPECT_EQ(server.get("/api/v1/health").status, 200);  // still serving
}

TEST(WebSocket, AuthenticatedSubscriberReceivesPushedEvents) {
    ServerProcess server;
    server.start();
    auto token = server.login();
    WsClient client;
    ASSERT_EQ(client.connect(server.port()), "");
    ASSERT_TRUE(client.authenticate(token));
    ASSERT_TRUE(client.subscribe({"test"}));
    auto published = server.post("/api/v1/ws/test", R"({"hello":"world"})", token);
    ASSERT_EQ(published.status, 200);
    EXPECT_EQ(published.json().at("delivered").as_int64(), 1);
    auto event = client.read_type("test.event");
    ASSERT_TRUE(event);
    EXPECT_EQ(event->at("payload").at("hello").as_string(), "world");
    ASSERT_TRUE(client.send(R"({"type":"ping"})"));
    EXPECT_TRUE(client.read_type("pong"));
}

TEST(WebSocket, AnythingButAValidAuthFirstIsClosedWith4401) {
    ServerProcess server;
    server.start();
    for (const char* first :
         {R"({"type":"auth","token":"0000000000000000000000000000000000000000000000000000000000000000"})",
          R"({"type":"subscribe","topics":["test"]})", R"(not json)", R"({"type":"auth"})"}) {
        WsClient client;
        ASSERT_EQ(client.connect(server.port()), "");
        client.send(first);
        EXPECT_FALSE(client.read(std::chrono::seconds(5)).has_value()) << first;
        EXPECT_TRUE(client.closed()) << first;
        EXPECT_EQ(client.close_code(), 4401) << first;
    }
}

TEST(WebSocket, NoAuthMessageIsClosedAfterTimeout) {
    ServerProcess server;
    server.start();
    WsClient client;
    ASSERT_EQ(client.connect(server.port()), "");
    auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(client.read(std::chrono::seconds(15)).has_value());
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              std::chrono::seconds(14));  // closed by the server, not our timeout
}

TEST(WebSocket, ForeignOriginIsRefusedAtUpgrade) {
    ServerProcess server(boost::json::object{{"allowed_origins", boost::json::array{"http://gui.test:8080"}}});
    server.start();
    WsClient foreign;
    EXPECT_EQ(foreign.connect(server.port(), "http://evil.test"), "403");
    WsClient allowed;
    EXPECT_EQ(allowed.connect(server.port(), "http://gui.test:8080"), "");
    WsClient own;
    EXPECT_EQ(own.connect(server.port(), "http://127.0.0.1:" + std::to_string(server.port())), "");
}

TEST(Tls, AutoCertificateWithARealOpenSslClient) {
    ServerProcess server(boost::json::object{{"tls", "auto"}});
    server.start();
    auto cert = server.state() / "tls" / "cert.pem";
    ASSERT_TRUE(std::filesystem::exists(cert));
    EXPECT_NE(server.output().find("fingerprint"), std::string::npos);
    // openssl s_client verifies the chain against the generated certificate and speaks HTTP.
    auto result = run_program({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(server.port()),
                               "-CAfile", cert.string(), "-verify_return_error", "-verify_ip", "127.0.0.1", "-quiet"},
                              "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    EXPECT_NE(result.output.find("HTTP/1.1 200"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("\"status\":\"ok\""), std::string::npos) << result.output;
    // The printed fingerprint is the certificate's.
    auto fingerprint = run_program({"openssl", "x509", "-in", cert.string(), "-noout", "-fingerprint", "-sha256"});
    auto equals = fingerprint.output.find('=');
    ASSERT_NE(equals, std::string::npos);
    auto expected = fingerprint.output.substr(equals + 1, 95);
    EXPECT_NE(server.output().find(expected), std::string::npos) << expected;
    // Plain HTTP on the TLS port gets no HTTP answer.
    HttpOptions plain;
    plain.timeout = std::chrono::milliseconds(3000);
    auto clear = http_request(server.port(), "GET", "/api/v1/health", "", plain);
    EXPECT_NE(clear.status, 200);
    // The certificate is reused on restart.
    auto before = fingerprint.output;
    server.stop();
    server.start();
    EXPECT_EQ(run_program({"openssl", "x509", "-in", cert.string(), "-noout", "-fingerprint", "-sha256"}).output,
              before);
    auto token = server.login();
    EXPECT_EQ(server.get("/api/v1/info", token).status, 200);
}

TEST(Tls, GivenCertificateFiles) {
    TempDir keys;
    auto cert = keys.path() / "c.pem", key = keys.path() / "k.pem";
    auto made = run_program({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                             "-nodes", "-keyout", key.string(), "-out", cert.string(), "-days", "2", "-subj",
                             "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    ServerProcess server(
        boost::json::object{{"tls", boost::json::object{{"cert", cert.string()}, {"key", key.string()}}}});
    server.start();
    auto result = run_program({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(server.port()),
                               "-CAfile", cert.string(), "-verify_return_error", "-quiet"},
                              "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(result.output.find("\"status\":\"ok\""), std::string::npos) << result.output;
}

TEST(Cli, ConfigErrorsExitWith2AndOneClearLine) {
    TempDir folder;
    auto file = folder.path() / "config.json";
    std::ofstream(file)
        << R"({"port":"abc","users":{"admin":"x"},"workspace":"/tmp","results":"/tmp","queue":"/tmp/q"})";
    auto result = run_program({AILAB_BINARY, file.string()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.output.find("config.json: \"port\" must be an integer from 1 to 65535, got \"abc\""),
              std::string::npos)
        << result.output;
    std::ofstream(file, std::ios::trunc)
        << R"({"users":{"admin":"CHANGE_THIS"},"workspace":"/tmp","results":"/tmp","queue":"/tmp/q"})";
    result = run_program({AILAB_BINARY, file.string()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.output.find("CHANGE_THIS"), std::string::npos);
    result = run_program({AILAB_BINARY, (folder.path() / "missing.json").string()});
    EXPECT_EQ(result.exit_code, 2);
}

TEST(Cli, VersionHelpAndHashPassword) {
    auto version = run_program({AILAB_BINARY, "--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_NE(version.output.find("ailab "), std::string::npos);
    auto help = run_program({AILAB_BINARY, "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.output.find("hash-password"), std::string::npos);
    auto hashed = run_program({AILAB_BINARY, "hash-password"}, "s3cret\n");
    EXPECT_EQ(hashed.exit_code, 0);
    EXPECT_EQ(hashed.output.rfind("$argon2id$", 0), 0u) << hashed.output;
    // The printed hash works in a config.
    auto hash = hashed.output.substr(0, hashed.output.find('\n'));
    ServerProcess server(boost::json::object{{"users", boost::json::object{{"admin", hash}}}});
    server.start();
    EXPECT_NO_THROW(server.login("admin", "s3cret"));
    EXPECT_EQ(server.output().find("plain text"), std::string::npos);
}
