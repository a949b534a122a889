#include "client/http_client.hpp"

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "client/transport.hpp"
#include "core/version.hpp"

namespace ailab::client {
namespace http = boost::beast::http;
namespace beast = boost::beast;
namespace asio = boost::asio;

struct HttpClient::Connection {
    asio::io_context io;
    std::optional<transport::OpenStream> open;
    beast::flat_buffer buffer;
    int requests = 0;  // answered on this connection; > 0 means a reused keep-alive connection
};

HttpClient::HttpClient(ServerAccess access, std::chrono::milliseconds timeout)
    : access_(std::move(access)), timeout_(timeout), connection_(std::make_unique<Connection>()) {}

HttpClient::~HttpClient() {
    if (connection_->open) {
        boost::system::error_code ignored;
        transport::lowest_layer(connection_->open->stream)
            .socket()
            .shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    }
}

template <class MakeRequest>
core::Result<HttpReply> HttpClient::exchange(MakeRequest make_request) {
    auto& connection = *connection_;
    for (int attempt = 0;; ++attempt) {
        auto request = make_request();
        if (!request) return request.error();
        if (!connection.open) {
            auto opened =
                transport::open_stream(connection.io, access_, std::min(timeout_, std::chrono::milliseconds(15'000)));
            if (!opened) return opened.error();
            connection.open.emplace(std::move(*opened));
            connection.buffer.clear();
            connection.requests = 0;
        }
        const bool reused = connection.requests > 0;
        http::response_parser<http::string_body> parser;
        parser.body_limit(std::uint64_t{64} << 20);
        parser.header_limit(64 * 1024);
        bool answer_started = false;
        auto error = std::visit(
            [&](auto& stream) {
                beast::get_lowest_layer(stream).expires_after(timeout_);
                auto write_error = transport::run_operation(
                    connection.io, [&](auto handler) { http::async_write(stream, *request, std::move(handler)); });
                if (write_error) return write_error;
                // Headers first, so a dropped connection can be told from a half answer.
                auto read_error = transport::run_operation(connection.io, [&](auto handler) {
                    http::async_read_header(stream, connection.buffer, parser, std::move(handler));
                });
                if (read_error) return read_error;
                answer_started = true;
                return transport::run_operation(connection.io, [&](auto handler) {
                    http::async_read(stream, connection.buffer, parser, std::move(handler));
                });
            },
            connection.open->stream);
        if (error) {
            connection.open.reset();
            const bool stale = error == http::error::end_of_stream || error == asio::error::eof ||
                               error == asio::error::connection_reset || error == asio::error::broken_pipe ||
                               error == asio::ssl::error::stream_truncated;
            if (reused && stale && !answer_started && attempt == 0) continue;
            std::string text = "the connection to " + access_.url.text + " failed: " + transport::describe(error);
            // A TLS server drops a plain request without an answer.
            if (access_.url.scheme == Scheme::http && !reused && !answer_started && stale)
                text += " (is it an https:// server?)";
            return core::Error{error, text};
        }
        auto response = parser.release();
        ++connection.requests;
        HttpReply reply;
        reply.status = static_cast<int>(response.result_int());
        reply.content_type = std::string(response[http::field::content_type]);
        if (auto size = response.find("X-AILab-Output-Size"); size != response.end()) {
            try {
                reply.output_size = std::stoll(std::string(size->value()));
            } catch (const std::exception&) {
            }
        }
        reply.body = std::move(response.body());
        if (!response.keep_alive()) connection.open.reset();
        return reply;
    }
}

core::Result<HttpReply> HttpClient::request(Method method, std::string_view path, std::string body,
                                            std::string_view content_type) {
    return exchange([&]() -> core::Result<http::request<http::string_body>> {
        http::request<http::string_body> request;
        request.method(method == Method::get    ? http::verb::get
                       : method == Method::post ? http::verb::post
                                                : http::verb::put);
        request.target(access_.url.target(path));
        request.version(11);
        request.set(http::field::host, access_.url.host_header());
        request.set(http::field::user_agent, std::string("ailab-cli/") + ailab::version);
        if (!access_.token.empty()) request.set(http::field::authorization, "Bearer " + access_.token);
        if (method != Method::get) {
            request.set(http::field::content_type, content_type);
            request.body() = body;
            request.prepare_payload();
        }
        return request;
    });
}

core::Result<HttpReply> HttpClient::put_file(std::string_view path, const std::filesystem::path& file) {
    // A fresh request (and file position) for each attempt.
    return exchange([&]() -> core::Result<http::request<http::file_body>> {
        http::request<http::file_body> request;
        boost::system::error_code error;
        request.body().open(file.c_str(), beast::file_mode::scan, error);
        if (error) return core::Error{error, "cannot read " + file.string() + ": " + error.message()};
        request.method(http::verb::put);
        request.target(access_.url.target(path));
        request.version(11);
        request.set(http::field::host, access_.url.host_header());
        request.set(http::field::user_agent, std::string("ailab-cli/") + ailab::version);
        request.set(http::field::content_type, "application/octet-stream");
        if (!access_.token.empty()) request.set(http::field::authorization, "Bearer " + access_.token);
        request.prepare_payload();
        return request;
    });
}

std::string HttpReply::error_text() const {
    boost::system::error_code error;
    auto value = boost::json::parse(body, error);
    if (!error && value.is_object()) {
        if (const auto* text = value.as_object().if_contains("error"); text != nullptr && text->is_string())
            return std::string(text->as_string());
    }
    if (!body.empty() && body.size() < 300 && content_type.find("text") != std::string::npos) return body;
    return "HTTP " + std::to_string(status);
}

core::Error reply_error(const HttpReply& reply, std::string_view what, const ServerAccess& access) {
    std::string text = std::string(what) + ": " + reply.error_text() + " (HTTP " + std::to_string(reply.status) + ")";
    if (reply.status == 401) text += "; run: ailab login " + access.url.text;
    return core::Error::invalid(std::move(text));
}

}  // namespace ailab::client
