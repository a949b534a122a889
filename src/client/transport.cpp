#include "client/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include "client/fingerprint.hpp"

namespace ailab::client::transport {
namespace {

std::string certificate_sha256(X509* certificate) {
    if (certificate == nullptr) return {};
    int length = i2d_X509(certificate, nullptr);
    if (length <= 0) return {};
    std::string der(static_cast<std::size_t>(length), '\0');
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    i2d_X509(certificate, &out);
    return sha256_hex(der);
}

// What the verify callback saw, for the message after a failed handshake.
struct VerifyRecord {
    std::string presented;  // SHA-256 of the server's certificate (depth 0)
    std::string problem;    // OpenSSL's words for the first failure
};

std::string certificate_advice(const ServerAccess& access, const VerifyRecord& record) {
    std::string text = "cannot verify the TLS certificate of " + access.url.text;
    if (!record.problem.empty()) text += " (" + record.problem + ")";
    text += ". For an AI Lab server with \"tls\": \"auto\" (a self-signed certificate), pin it: ailab login " +
            access.url.text + " --fingerprint <the SHA-256 fingerprint the server printed at start>";
    if (!record.presented.empty())
        text += " (this server presents " + display_fingerprint(record.presented) +
                "; compare it with the server's log before you trust it)";
    text += ", or use --insecure";
    return text;
}

std::shared_ptr<asio::ssl::context> make_context(const TlsPolicy& policy) {
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    if (policy.verify == TlsVerify::system) {
        boost::system::error_code ignored;
        context->set_default_verify_paths(ignored);
    }
    return context;
}

core::Status handshake(asio::io_context& io, TlsStream& stream, const ServerAccess& access,
                       std::chrono::milliseconds timeout) {
    const auto& url = access.url;
    if (!is_ip_address(url.host)) SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str());
    auto record = std::make_shared<VerifyRecord>();
    const auto& policy = access.tls;
    if (policy.verify == TlsVerify::insecure) {
        stream.set_verify_mode(asio::ssl::verify_none);
    } else {
        stream.set_verify_mode(asio::ssl::verify_peer);
        auto host_check = asio::ssl::host_name_verification(url.host);
        const std::string host = url.host;
        stream.set_verify_callback(
            [record, host_check, policy, host](bool preverified, asio::ssl::verify_context& context) {
                X509_STORE_CTX* store = context.native_handle();
                const int depth = X509_STORE_CTX_get_error_depth(store);
                if (depth == 0 && record->presented.empty())
                    record->presented = certificate_sha256(X509_STORE_CTX_get_current_cert(store));
                if (policy.verify == TlsVerify::pinned) {
                    // The pin decides, whoever signed the certificate; the chain above it is ignored.
                    if (depth != 0) return true;
                    return certificate_sha256(X509_STORE_CTX_get_current_cert(store)) == policy.fingerprint;
                }
                if (!preverified && record->problem.empty())
                    record->problem = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
                bool accepted = host_check(preverified, context);
                if (!accepted && record->problem.empty()) record->problem = "the certificate is not for " + host;
                return accepted;
            });
    }
    beast::get_lowest_layer(stream).expires_after(timeout);
    auto error = run_operation(
        io, [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, std::move(handler)); });
    if (error) {
        if (policy.verify == TlsVerify::pinned && !record->presented.empty() && record->presented != policy.fingerprint)
            return core::Error::invalid(
                "the TLS certificate of " + url.text + " does not match the pinned fingerprint (pinned " +
                display_fingerprint(policy.fingerprint) + ", presented " + display_fingerprint(record->presented) +
                "); if the server's certificate changed, log in again with the new one");
        if (policy.verify == TlsVerify::system && (!record->problem.empty() || !record->presented.empty()) &&
            error.category() == asio::error::get_ssl_category())
            return core::Error::invalid(certificate_advice(access, *record));
        std::string text = "TLS handshake with " + url.text + " failed: " + describe(error);
        if (error.category() == asio::error::get_ssl_category() &&
            describe(error).find("wrong version number") != std::string::npos)
            text += " (is it an http:// server?)";
        return core::Error{error, text};
    }
    if (policy.verify == TlsVerify::pinned) {
        // The callback's answer, checked once more on the certificate the session ended up with.
        X509* peer = SSL_get1_peer_certificate(stream.native_handle());
        std::string presented = certificate_sha256(peer);
        X509_free(peer);
        if (presented != policy.fingerprint)
            return core::Error::invalid("the TLS certificate of " + url.text +
                                        " does not match the pinned fingerprint");
    }
    return {};
}

}  // namespace

std::string describe(const boost::system::error_code& error) {
    if (error == beast::error::timeout) return "timed out";
    if (error == asio::error::eof || error == beast::http::error::end_of_stream)
        return "the server closed the connection";
    if (error == asio::error::connection_reset) return "the connection was reset";
    if (error.category() == asio::error::get_ssl_category()) {
        const char* reason = ERR_reason_error_string(static_cast<unsigned long>(error.value()));
        if (reason != nullptr) return reason;
    }
    return error.message();
}

core::Result<OpenStream> open_stream(asio::io_context& io, const ServerAccess& access,
                                     std::chrono::milliseconds timeout) {
    const auto& url = access.url;
    asio::ip::tcp::resolver resolver(io);
    asio::ip::tcp::resolver::results_type endpoints;
    auto error = run_operation(io, [&](auto handler) {
        resolver.async_resolve(
            url.host, url.port,
            [&endpoints, handler = std::move(handler)](boost::system::error_code resolve_error,
                                                       asio::ip::tcp::resolver::results_type results) mutable {
                endpoints = std::move(results);
                handler(resolve_error);
            });
    });
    if (error) return core::Error{error, "cannot find " + url.host + ": " + describe(error)};

    PlainStream tcp(io);
    tcp.expires_after(timeout);
    error = run_operation(io, [&](auto handler) { tcp.async_connect(endpoints, std::move(handler)); });
    if (error) return core::Error{error, "cannot connect to " + url.text + ": " + describe(error)};
    tcp.socket().set_option(asio::ip::tcp::no_delay(true), error);

    if (url.scheme == Scheme::http) return OpenStream{nullptr, std::move(tcp)};

    auto context = make_context(access.tls);
    TlsStream tls(std::move(tcp), *context);
    if (auto status = handshake(io, tls, access, timeout); !status) return status.error();
    return OpenStream{std::move(context), std::move(tls)};
}

}  // namespace ailab::client::transport
