#include "files/routes.hpp"

#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/json_writer.hpp"
#include "files/changes.hpp"
#include "files/listing.hpp"
#include "files/paths.hpp"

namespace ailab::files {
namespace json = boost::json;
using net::Access;
using net::Execution;
using net::HttpError;
using net::Method;
using net::Request;
using net::Response;

namespace {

constexpr std::size_t max_page_entries = 5000;

[[noreturn]] void fail(const core::Error& error) { throw HttpError(status_of(error), error.message); }

template <class T>
T value_or_fail(core::Result<T> result) {
    if (!result) fail(result.error());
    return std::move(*result);
}

json::object project_json(const Project& project) {
    return {{"name", project.name}, {"path", project.path.string()}, {"source", source_name(project.source)}};
}

json::object body_object(const Request& request) {
    boost::system::error_code error;
    auto value = json::parse(request.body, error);
    if (error || !value.is_object()) throw HttpError(400, "the body must be a JSON object");
    return std::move(value.as_object());
}

std::string string_field(const json::object& body, std::string_view key, bool required = true) {
    const auto* value = body.if_contains(key);
    if (value == nullptr) {
        if (required) throw HttpError(400, "\"" + std::string(key) + "\" is missing");
        return {};
    }
    if (!value->is_string()) throw HttpError(400, "\"" + std::string(key) + "\" must be a string");
    return std::string(value->as_string());
}

std::string query_field(const Request& request, const std::string& key, bool required) {
    auto found = request.query.find(key);
    if (found == request.query.end()) {
        if (required) throw HttpError(400, "the query parameter \"" + key + "\" is missing");
        return {};
    }
    return found->second;
}

std::size_t query_number(const Request& request, const std::string& key, std::size_t fallback, std::size_t high) {
    auto text = query_field(request, key, false);
    if (text.empty()) return fallback;
    std::size_t value = 0;
    auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
    if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || value > high)
        throw HttpError(400, key + " must be a whole number from 0 to " + std::to_string(high));
    return value;
}

Root resolve_root(const Roots& roots, const std::string& text) { return value_or_fail(roots.resolve(text)); }
std::string checked(const std::string& path) { return value_or_fail(check_path(path)); }

Response list(const Roots& roots, const Request& request) {
    const auto root_text = query_field(request, "root", true);
    const auto path = checked(query_field(request, "path", false));
    const auto offset = query_number(request, "offset", 0, SIZE_MAX / 2);
    const auto limit = query_number(request, "limit", max_page_entries, max_page_entries);
    const auto root = resolve_root(roots, root_text);
    auto listing = value_or_fail(list_folder(*root.folder, path, offset, limit));
    std::string out;
    out.reserve(128 + listing.entries.size() * 96);
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.field("root", root_text);
    writer.field("path", path);
    writer.key("entries");
    writer.begin_array();
    for (const auto& entry : listing.entries) {
        writer.begin_object();
        writer.field("name", entry.name);
        writer.field("type", type_name(entry.type));
        writer.field("size", entry.size);
        writer.field("mtime", entry.mtime);
        writer.field("hidden", entry.hidden);
        if (entry.type == EntryType::symlink) writer.field("target_type", entry.target_type);
        writer.end_object();
    }
    writer.end_array();
    writer.field("total", static_cast<std::int64_t>(listing.total));
    const auto next = offset + listing.entries.size();
    writer.key("next_offset");
    if (next < listing.total) {
        writer.integer(static_cast<std::int64_t>(next));
    } else {
        writer.null();
    }
    writer.end_object();
    return Response::json_text(200, std::move(out));
}

// attachment; filename="plain ASCII"; filename*=UTF-8''percent-encoded
std::string disposition(std::string_view name) {
    std::string plain;
    std::string encoded;
    static constexpr char digits[] = "0123456789ABCDEF";
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        plain += (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') ? c : '_';
        if (std::isalnum(byte) || c == '.' || c == '-' || c == '_') {
            encoded += c;
        } else {
            encoded += '%';
            encoded += digits[byte >> 4];
            encoded += digits[byte & 15];
        }
    }
    return "attachment; filename=\"" + plain + "\"; filename*=UTF-8''" + encoded;
}

std::string quoted_etag(const std::string& etag) { return "\"" + etag + "\""; }

Response read_content(const Roots& roots, ContentStore& store, const Request& request) {
    const auto root = resolve_root(roots, query_field(request, "root", true));
    const auto path = checked(query_field(request, "path", true));
    std::optional<ByteRange> range;
    if (auto header = request.header("range"); !header.empty()) range = parse_range(header);
    auto content = value_or_fail(store.read(root, path, range));
    Response response;
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Content-Security-Policy",
                        "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'");
    response.set_header("Accept-Ranges", "bytes");
    if (root.is_read_only(path)) response.set_header("X-AILab-Read-Only", "1");
    if (content.outcome == ReadOutcome::unsatisfiable) {
        response = Response::error(
            416, "the range is past the end of " + path + " (" + std::to_string(content.size) + " bytes)");
        response.set_header("Content-Range", "bytes */" + std::to_string(content.size));
        response.set_header("X-Content-Type-Options", "nosniff");
        return response;
    }
    if (!content.etag.empty()) {
        response.set_header("ETag", quoted_etag(content.etag));
        if (content.outcome == ReadOutcome::whole && request.header("if-none-match") == quoted_etag(content.etag)) {
            response.status = 304;
            response.content_type.clear();
            return response;
        }
    }
    response.content_type = content.type.mime;
    if (!content.type.inline_safe) response.set_header("Content-Disposition", disposition(name_of(path)));
    if (content.outcome == ReadOutcome::partial) {
        response.status = 206;
        response.set_header("Content-Range", "bytes " + std::to_string(content.first) + "-" +
                                                 std::to_string(content.last) + "/" + std::to_string(content.size));
    }
    if (content.outcome == ReadOutcome::streamed) {
        // 1 MiB at a time from the open file, up to the size it had when it was opened.
        auto file = content.file;
        auto offset = std::make_shared<std::int64_t>(0);
        const auto size = content.size;
        response.producer = [file, offset, size]() -> std::optional<std::string> {
            if (*offset >= size) return std::nullopt;
            std::string chunk(static_cast<std::size_t>(std::min<std::int64_t>(size - *offset, 1 << 20)), '\0');
            const auto n = ::pread(file->get(), chunk.data(), chunk.size(), *offset);
            if (n < 0) throw std::runtime_error("cannot read the file: " + std::string(std::strerror(errno)));
            if (n == 0) return std::nullopt;  // it shrank meanwhile
            chunk.resize(static_cast<std::size_t>(n));
            *offset += n;
            return chunk;
        };
        response.set_header("X-AILab-Size", std::to_string(size));
        return response;
    }
    response.body = std::move(content.bytes);
    return response;
}

Response save_content(const Roots& roots, ContentStore& store, const Request& request) {
    const auto root = resolve_root(roots, query_field(request, "root", true));
    const auto path = checked(query_field(request, "path", true));
    const auto if_match = request.header("if-match");
    const auto if_none_match = request.header("if-none-match");
    Precondition precondition = Precondition::if_match;
    std::string etag;
    if (if_none_match == "*") {
        precondition = Precondition::create_only;
    } else if (if_match.size() >= 2 && if_match.front() == '"' && if_match.back() == '"') {
        etag = std::string(if_match.substr(1, if_match.size() - 2));
    } else if (!if_match.empty() && if_match.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
        etag = std::string(if_match);  // the bare hex the JSON answers carry
    } else {
        throw HttpError(428,
                        "a save needs If-Match: \"<etag>\" (the ETag the file was read with) to overwrite, or "
                        "If-None-Match: * to create");
    }
    auto saved = value_or_fail(store.save(root, path, precondition, etag, request.body));
    if (saved.outcome == SaveOutcome::precondition_failed) {
        json::object answer{
            {"error", precondition == Precondition::create_only ? path + " exists already"
                                                                : path + " changed since it was read (or is gone)"},
            {"etag", saved.etag.empty() ? json::value(nullptr) : json::value(saved.etag)}};
        auto response = Response::json_text(412, json::serialize(answer));
        if (!saved.etag.empty()) response.set_header("ETag", quoted_etag(saved.etag));
        return response;
    }
    auto response = Response::json_text(200, json::serialize(json::object{{"etag", saved.etag}, {"size", saved.size}}));
    response.set_header("ETag", quoted_etag(saved.etag));
    return response;
}

using BodyHandler = std::function<Response(const Roots&, const json::object&)>;

void add_post(net::Router& router, const Roots& roots, std::string pattern, BodyHandler handler) {
    router.add(
        Method::post, std::move(pattern), Access::token_required,
        [&roots, handler = std::move(handler)](Request& request) { return handler(roots, body_object(request)); },
        Execution::worker);
}

}  // namespace

void register_project_routes(net::Router& router, Projects& projects) {
    router.add(
        Method::get, "/api/v1/projects", Access::token_required,
        [&projects](Request&) {
            json::array list;
            for (const auto& project : projects.list()) list.push_back(project_json(project));
            return Response::json_text(200, json::serialize(json::object{{"projects", std::move(list)}}));
        },
        Execution::worker);
    router.add(
        Method::post, "/api/v1/projects", Access::token_required,
        [&projects](Request& request) {
            const auto name = string_field(body_object(request), "name");
            auto project = value_or_fail(projects.create(name));
            return Response::json_text(201, json::serialize(json::object{{"project", project_json(project)}}));
        },
        Execution::worker);
}

void register_file_routes(net::Router& router, const Roots& roots, ContentStore& content) {
    router.add(
        Method::get, "/api/v1/files/list", Access::token_required,
        [&roots](Request& request) { return list(roots, request); }, Execution::worker);
    router.add(
        Method::get, "/api/v1/files/content", Access::token_required,
        [&roots, &content](Request& request) { return read_content(roots, content, request); }, Execution::worker);
    router.add(
        Method::put, "/api/v1/files/content", Access::token_required,
        [&roots, &content](Request& request) { return save_content(roots, content, request); }, Execution::worker);
    add_post(router, roots, "/api/v1/files/mkdir", [](const Roots& all, const json::object& body) {
        const auto root = resolve_root(all, string_field(body, "root"));
        const auto path = checked(string_field(body, "path"));
        if (auto made = make_folder(root, path); !made) fail(made.error());
        return Response::json_text(201, json::serialize(json::object{{"path", path}}));
    });
    add_post(router, roots, "/api/v1/files/move", [](const Roots& all, const json::object& body) {
        const auto root = resolve_root(all, string_field(body, "root"));
        const auto from = checked(string_field(body, "from"));
        const auto to = checked(string_field(body, "to"));
        if (auto moved = move_entry(root, from, to); !moved) fail(moved.error());
        return Response::json_text(200, json::serialize(json::object{{"path", to}}));
    });
    add_post(router, roots, "/api/v1/files/trash", [](const Roots& all, const json::object& body) {
        const auto root = resolve_root(all, string_field(body, "root"));
        const auto path = checked(string_field(body, "path"));
        auto trash_path = value_or_fail(trash_entry(root, path));
        return Response::json_text(200, json::serialize(json::object{{"trash_path", trash_path}}));
    });
    add_post(router, roots, "/api/v1/files/restore", [](const Roots& all, const json::object& body) {
        const auto root = resolve_root(all, string_field(body, "root"));
        const auto trash_path = checked(string_field(body, "trash_path"));
        auto path = value_or_fail(restore_entry(root, trash_path));
        return Response::json_text(200, json::serialize(json::object{{"path", path}}));
    });
}

}  // namespace ailab::files
