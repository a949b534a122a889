// Issue 8, the server-level holes, each through the real binary:
// - malformed HTTP gets a 400 (and a request without Host, and a bad %-escape in a query);
// - subscribe amplification: only declared topics, answers list only what changed, a cap per
//   message, and a client that sends without reading is cut off with bounded memory;
// - a subscriber that never reads while 8 MB messages are published: bounded memory, back to idle;
// - the accept loop at the descriptor limit (prlimit): no spinning, one log line per episode,
//   /health answered again within 1 s once connections free;
// - connection caps per address.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <iostream>
#include <thread>

#include "harness.hpp"

using namespace ailab::testing;
using namespace std::chrono_literals;

namespace {

// Resident memory says nothing under AddressSanitizer: its allocator keeps freed memory in a
// quarantine and ignores the server's mallopt settings. The memory figures are checked in the
// regular build only; the behaviour (the slow client is cut off) in both.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool memory_is_measurable = false;
#else
constexpr bool memory_is_measurable = true;
#endif

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
    return count;
}

}  // namespace

TEST(Hardening, MalformedRequestsGet400) {
    ServerProcess server;
    server.start();
    // Each: what we sent, and why it is malformed.
    const std::vector<std::string> malformed = {
        "GARBAGE\r\n\r\n",                                                        // no request line
        "GET / HTTP/1.1\r\nHost localhost\r\n\r\n",                               // header without a colon
        "GET / HTTP/9.9\r\nHost: x\r\n\r\n",                                      // unknown version
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",                // bad length
        "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  // bad chunk
    };
    for (const auto& request : malformed) {
        const auto answer = raw_exchange(server.port(), request);
        EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << "sent: " << request << "\ngot: " << answer;
    }
    EXPECT_EQ(server.get("/api/v1/health").status, 200);  // and the server is fine
    EXPECT_EQ(server.stop(), 0);
}

TEST(Hardening, Http11WithoutHostIs400AndHttp10IsServed) {
    ServerProcess server;
    server.start();
    auto answer = raw_exchange(server.port(), "GET /api/v1/health HTTP/1.1\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("missing Host"), std::string::npos) << answer;
    answer = raw_exchange(server.port(), "GET /api/v1/health HTTP/1.0\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.0 200", 0), 0u) << answer;
    EXPECT_EQ(server.stop(), 0);
}

TEST(Hardening, BadEscapeInQueryIs400NotDefaults) {
    ServerProcess server;
    server.start();
    const auto token = server.login();
    for (const auto* target : {"/api/v1/health?format=%zz", "/api/v1/info?x=%", "/api/v1/info?%g0=1"}) {
        auto result = server.get(target, token);
        EXPECT_EQ(result.status, 400) << target << ": " << result.body;
    }
    EXPECT_EQ(server.get("/api/v1/info?x=%41", token).status, 200);
    EXPECT_EQ(server.stop(), 0);
}

TEST(Hardening, OnlyDeclaredTopicsAndAnswersListOnlyTheChange) {
    ServerProcess server;
    server.start();
    const auto token = server.login();
    WsClient client;
    ASSERT_EQ(client.connect(server.port()), "");
    ASSERT_TRUE(client.authenticate(token));
    ASSERT_TRUE(client.send(R"({"type":"subscribe","topics":["test","no-such-topic"]})"));
    auto answer = client.read_type("subscribed");
    ASSERT_TRUE(answer);
    EXPECT_EQ(boost::json::serialize(answer->at("topics")), R"(["test"])");
    EXPECT_EQ(boost::json::serialize(answer->at("unknown")), R"(["no-such-topic"])");
    // A second subscribe answers with its own change only, not the whole list.
    ASSERT_TRUE(client.send(R"({"type":"subscribe","topics":["system"]})"));
    answer = client.read_type("subscribed");
    ASSERT_TRUE(answer);
    EXPECT_EQ(boost::json::serialize(answer->at("topics")), R"(["system"])");
    // Too many names in one message.
    boost::json::array many;
    for (int i = 0; i < 100; ++i) many.emplace_back("t" + std::to_string(i));
    ASSERT_TRUE(client.send(boost::json::serialize(boost::json::object{{"type", "subscribe"}, {"topics", many}})));
    auto error = client.read_type("error");
    ASSERT_TRUE(error);
    EXPECT_NE(std::string(error->at("error").as_string()).find("at most"), std::string::npos);
    EXPECT_EQ(server.stop(), 0);
}

TEST(Hardening, SubscribeFloodFromAClientThatNeverReadsIsBounded) {
    ServerProcess server;
    server.start();
    const auto token = server.login();
    std::this_thread::sleep_for(500ms);
    const auto idle_kib = server.resident_kib();
    {
        WsClient client;
        ASSERT_EQ(client.connect(server.port()), "");
        ASSERT_TRUE(client.authenticate(token));
        // ~4.7 MB of subscribe messages, never reading an answer.
        boost::json::array names;
        for (int i = 0; i < 60; ++i) names.emplace_back(i % 2 ? "test" : "system");
        const auto message = boost::json::serialize(boost::json::object{{"type", "subscribe"}, {"topics", names}});
        std::size_t sent = 0;
        while (sent < 4'700'000 && client.send(message)) sent += message.size();
        std::this_thread::sleep_for(500ms);
        const auto peak_kib = server.resident_kib();
        if (memory_is_measurable) {
            EXPECT_LE(peak_kib, idle_kib + 64 * 1024) << "idle " << idle_kib << " KiB, under flood " << peak_kib;
        }
        std::cout << "[ figure   ] subscribe flood: idle " << idle_kib << " KiB, under flood " << peak_kib << " KiB\n";
    }
    std::this_thread::sleep_for(1s);
    if (memory_is_measurable) {
        EXPECT_LE(server.resident_kib(), idle_kib + 16 * 1024) << "idle " << idle_kib << " KiB";
    }
    std::cout << "[ figure   ] subscribe flood: after the client left " << server.resident_kib() << " KiB\n";
    EXPECT_EQ(server.get("/api/v1/health").status, 200);
    EXPECT_EQ(server.stop(), 0);
}

TEST(Hardening, BigMessagesForASubscriberThatNeverReadsAreBounded) {
    ServerProcess server;
    server.start();
    const auto token = server.login();
    std::this_thread::sleep_for(500ms);
    const auto idle_kib = server.resident_kib();
    std::size_t peak_kib = 0;
    {
        WsClient client;
        ASSERT_EQ(client.connect(server.port()), "");
        ASSERT_TRUE(client.authenticate(token));
        ASSERT_TRUE(client.subscribe({"test"}));
        const std::string payload = "\"" + std::string(8u << 20, 'x') + "\"";  // an 8 MB JSON string
        for (int i = 0; i < 40; ++i) {
            auto result = server.post("/api/v1/ws/test", payload, token);
            ASSERT_EQ(result.status, 200) << result.body;
            peak_kib = std::max(peak_kib, server.resident_kib());
        }
        // The client that never read was cut off: its queue passed the byte limit.
        EXPECT_FALSE(client.read_message(2s).has_value());
    }
    std::this_thread::sleep_for(1s);
    if (memory_is_measurable) {
        EXPECT_LE(peak_kib, idle_kib + 64 * 1024) << "idle " << idle_kib << " KiB, peak " << peak_kib;
        EXPECT_LE(server.resident_kib(), idle_kib + 16 * 1024) << "idle " << idle_kib << " KiB";
    }
    std::cout << "[ figure   ] 40 x 8 MB to a reader that never reads: idle " << idle_kib << " KiB, peak " << peak_kib
              << " KiB, after " << server.resident_kib() << " KiB\n";
    EXPECT_EQ(server.stop(), 0);
}

TEST(Hardening, AcceptBacksOffAtTheDescriptorLimit) {
    ServerProcess server({{"max_connections", 100000}, {"max_connections_per_address", 100000}});
    server.set_open_file_limit(256);
    server.start();
    std::vector<int> idle;
    for (int i = 0; i < 500; ++i) {
        const int fd = open_idle_connection(server.port());
        if (fd >= 0) idle.push_back(fd);
    }
    ASSERT_GE(idle.size(), 400u);
    std::this_thread::sleep_for(1s);
    const double cpu_before = server.cpu_seconds();
    std::this_thread::sleep_for(3s);
    const double cpu_share = (server.cpu_seconds() - cpu_before) / 3.0;
    EXPECT_LE(cpu_share, 0.05) << "the server used " << cpu_share * 100 << " % of a core while saturated";
    const auto log = server.output();
    EXPECT_LE(count_of(log, "pausing accepts"), 2u) << log.substr(0, 2000);
    EXPECT_LT(log.size(), 64u * 1024) << "the log grew while saturated";

    for (const int fd : idle) close(fd);
    const auto freed = std::chrono::steady_clock::now();
    HttpOptions options;
    options.timeout = 3s;
    auto health = http_request(server.port(), "GET", "/api/v1/health", "", options);
    const auto waited = std::chrono::steady_clock::now() - freed;
    EXPECT_EQ(health.status, 200) << health.error;
    EXPECT_LE(waited, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms";
    std::cout << "[ figure   ] at the fd limit (256, " << idle.size() << " idle connections): server CPU "
              << cpu_share * 100 << " %, log " << log.size() << " bytes, /health "
              << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms after freeing\n";
    EXPECT_EQ(server.stop(), 0);
}

// Whether a kept-alive request on fd is answered 200 (so the server admitted the connection and
// still counts it).
bool answers_on(int fd) {
    timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const std::string request = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return false;
    char buffer[512];
    const auto count = recv(fd, buffer, sizeof buffer, 0);
    return count > 12 && std::string_view(buffer, 12) == "HTTP/1.1 200";
}

TEST(Hardening, ConnectionsPerAddressAreCapped) {
    ServerProcess server({{"max_connections_per_address", 4}});
    server.start();
    // Four connections the server has admitted and keeps (each answered a request). The start-up
    // health check may still hold a slot for a moment: a connection refused then is tried again.
    std::vector<int> kept;
    for (int attempt = 0; kept.size() < 4 && attempt < 50; ++attempt) {
        const int fd = open_idle_connection(server.port());
        if (fd >= 0 && answers_on(fd)) {
            kept.push_back(fd);
        } else {
            if (fd >= 0) close(fd);
            std::this_thread::sleep_for(100ms);
        }
    }
    ASSERT_EQ(kept.size(), 4u);
    // The fifth is closed at once: the client sees the end of the stream, not an answer.
    EXPECT_EQ(raw_exchange(server.port(), "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", 2s), "") << server.output();
    // Once one closes, its slot is given back (the server sees the end of the stream first).
    close(kept.back());
    kept.pop_back();
    int status = 0;
    for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
        std::this_thread::sleep_for(100ms);
        status = server.get("/api/v1/health").status;
    }
    EXPECT_EQ(status, 200);
    for (const int fd : kept) close(fd);
    EXPECT_NE(server.output().find("max_connections_per_address"), std::string::npos);
    EXPECT_EQ(server.stop(), 0);
}
