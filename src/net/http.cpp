#include "net/http.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

namespace ailab::net {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string_view method_name(Method method) {
    switch (method) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::del: return "DELETE";
    case Method::options: return "OPTIONS";
    case Method::other: break;
    }
    return "OTHER";
}

Method parse_method(std::string_view name) {
    for (Method m :
         {Method::get, Method::head, Method::post, Method::put, Method::patch, Method::del, Method::options}) {
        if (method_name(m) == name) return m;
    }
    return Method::other;
}

std::string_view Request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return {};
}

std::string Request::query_or(const std::string& key, const std::string& fallback) const {
    auto it = query.find(key);
    return it == query.end() ? fallback : it->second;
}

void Response::set_header(std::string name, std::string value) {
    for (auto& [key, existing] : headers) {
        if (iequals(key, name)) {
            existing = std::move(value);
            return;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
}

std::string_view Response::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return {};
}

Response Response::stream(std::string content_type, BodyProducer producer) {
    Response response;
    response.content_type = std::move(content_type);
    response.producer = std::move(producer);
    return response;
}

Response Response::json_text(int status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

Response Response::error(int status, std::string_view message) {
    boost::json::object object;
    object["error"] = message;
    return json_text(status, boost::json::serialize(object));
}

Response Response::text(int status, std::string body, std::string content_type) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    response.content_type = std::move(content_type);
    return response;
}

std::optional<std::string> percent_decode(std::string_view text, DecodeMode mode) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            int high = hex_value(text[i + 1]);
            int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            char decoded = static_cast<char>(high * 16 + low);
            if (decoded == '\0') return std::nullopt;  // never let a NUL reach a path
            out.push_back(decoded);
            i += 2;
        } else if (c == '\0') {
            return std::nullopt;  // nor a raw one
        } else if (c == '+' && mode == DecodeMode::query) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<std::map<std::string, std::string>> parse_query(std::string_view query_string) {
    std::map<std::string, std::string> result;
    while (!query_string.empty()) {
        auto amp = query_string.find('&');
        std::string_view pair = query_string.substr(0, amp);
        query_string = amp == std::string_view::npos ? std::string_view{} : query_string.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        auto key = percent_decode(pair.substr(0, eq), DecodeMode::query);
        auto value =
            percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), DecodeMode::query);
        if (!key || !value) return std::nullopt;
        result.emplace(std::move(*key), std::move(*value));
    }
    return result;
}

std::optional<std::string> decode_request_path(std::string_view target_path) {
    if (target_path.empty() || target_path.front() != '/') return std::nullopt;  // origin-form only
    const auto decoded = percent_decode(target_path, DecodeMode::path);
    if (!decoded) return std::nullopt;
    // Segment by segment: dot segments are refused, empty ones dropped. "//etc" must become "/etc":
    // root / "/etc" (what joining its remainder to a root gives) would be /etc, outside the root.
    const std::string_view decoded_path = *decoded;
    std::string path;
    path.reserve(decoded_path.size());
    std::size_t start = 0;
    while (start < decoded_path.size()) {
        const auto slash = std::min(decoded_path.find('/', start), decoded_path.size());
        const auto segment = decoded_path.substr(start, slash - start);
        if (segment == "." || segment == "..") return std::nullopt;
        if (!segment.empty()) {
            path += '/';
            path += segment;
        }
        start = slash + 1;
    }
    if (path.empty() || decoded_path.back() == '/') path += '/';
    return path;
}

}  // namespace ailab::net
