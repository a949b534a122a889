#pragma once
// A synchronous HTTP/1.1 client for one server over one keep-alive connection (TLS when the URL
// says https). Not thread-safe: one thread per HttpClient; parallel uploads use one each.
// Beast stays in http_client.cpp.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/server_access.hpp"
#include "core/error.hpp"

namespace ailab::client {

struct HttpReply {
    int status = 0;
    std::string body;
    std::string content_type;
    std::optional<std::int64_t> output_size;  // X-AILab-Output-Size, when present

    bool ok() const { return status >= 200 && status < 300; }
    // The server's {"error": …} text, else the body (cut short), else "HTTP <status>".
    std::string error_text() const;
};

enum class Method { get, post, put };

class HttpClient {
public:
    explicit HttpClient(ServerAccess access, std::chrono::milliseconds timeout = std::chrono::seconds(120));
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    const ServerAccess& access() const { return access_; }

    // `path` starts with /api/v1 (the URL's base is put in front). A transport failure (connect,
    // TLS, timeout, a dropped connection) is an Error; any HTTP status is a reply. A request on a
    // reused keep-alive connection that the server closed meanwhile is sent again once on a new
    // connection, when no byte of an answer had come.
    core::Result<HttpReply> request(Method method, std::string_view path, std::string body = {},
                                    std::string_view content_type = "application/json");
    // PUT of a file's bytes, streamed from disk (application/octet-stream).
    core::Result<HttpReply> put_file(std::string_view path, const std::filesystem::path& file);

private:
    struct Connection;
    // Sends make_request()'s request (called again for the one retry) and reads the answer.
    template <class MakeRequest>
    core::Result<HttpReply> exchange(MakeRequest make_request);

    ServerAccess access_;
    std::chrono::milliseconds timeout_;
    std::unique_ptr<Connection> connection_;
};

// The message for a reply that is not 2xx: "<what>: <server's error> (HTTP 404)"; a 401 adds
// "run: ailab login URL".
core::Error reply_error(const HttpReply& reply, std::string_view what, const ServerAccess& access);

}  // namespace ailab::client
