#include "net/static_files.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace ailab::net {

bool accepts_gzip(std::string_view accept_encoding) {
    std::size_t start = 0;
    while (start < accept_encoding.size()) {
        auto comma = accept_encoding.find(',', start);
        auto item =
            accept_encoding.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        start = comma == std::string_view::npos ? accept_encoding.size() : comma + 1;
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        auto semicolon = item.find(';');
        auto coding = item.substr(0, semicolon);
        while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
        if (coding != "gzip" && coding != "*") continue;
        if (semicolon == std::string_view::npos) return true;
        auto params = item.substr(semicolon + 1);
        auto q = params.find("q=");
        if (q == std::string_view::npos) return true;
        double value = std::atof(std::string(params.substr(q + 2)).c_str());
        return value > 0.0;
    }
    return false;
}

namespace {

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    if (if_none_match == "*") return true;
    // A list of tags, strong or weak (W/"..."): weak comparison is what GET revalidation uses.
    return if_none_match.find(etag) != std::string_view::npos;
}

}  // namespace

std::optional<Response> serve_static(const Request& request, std::span<const EmbeddedAsset> assets) {
    std::string_view path = request.path == "/" ? std::string_view("/index.html") : std::string_view(request.path);
    auto it = std::lower_bound(assets.begin(), assets.end(), path,
                               [](const EmbeddedAsset& asset, std::string_view key) { return asset.path < key; });
    if (it == assets.end() || path != it->path) return std::nullopt;
    const EmbeddedAsset& asset = *it;

    Response response;
    response.content_type = asset.mime;
    response.set_header("ETag", asset.etag);
    response.set_header("Cache-Control", asset.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    response.set_header("X-Content-Type-Options", "nosniff");
    if (asset.gzip_data) response.set_header("Vary", "Accept-Encoding");
    if (std::string(asset.mime).rfind("text/html", 0) == 0) {
        response.set_header(
            "Content-Security-Policy",
            "default-src 'self'; connect-src 'self' http: https: ws: wss:; img-src 'self' data: blob:; "
            "style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'");
        response.set_header("Referrer-Policy", "no-referrer");
        response.set_header("X-Frame-Options", "DENY");
    }
    auto if_none_match = request.header("if-none-match");
    if (!if_none_match.empty() && etag_matches(if_none_match, asset.etag)) {
        response.status = 304;
        return response;
    }
    if (asset.gzip_data && accepts_gzip(request.header("accept-encoding"))) {
        response.set_header("Content-Encoding", "gzip");
        response.body.assign(reinterpret_cast<const char*>(asset.gzip_data), asset.gzip_size);
    } else {
        response.body.assign(reinterpret_cast<const char*>(asset.data), asset.size);
    }
    return response;
}

}  // namespace ailab::net
