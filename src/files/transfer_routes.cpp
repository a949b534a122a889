#include "files/transfer_routes.hpp"

#include <charconv>
#include <memory>

#include "core/json_writer.hpp"
#include "files/archive.hpp"
#include "files/paths.hpp"
#include "files/search.hpp"
#include "files/upload.hpp"

namespace ailab::files {
using net::Access;
using net::Execution;
using net::HttpError;
using net::Method;
using net::Request;
using net::Response;

namespace {

constexpr std::size_t max_query_bytes = 256;

[[noreturn]] void fail(const core::Error& error) { throw HttpError(status_of(error), error.message); }

// The `path` query parameter under the rules of every file route (files/paths.hpp).
std::string checked_path(const Request& request) {
    auto path = check_path(request.query_or("path", ""));
    if (!path) fail(path.error());
    return std::move(*path);
}

Root resolved_root(const Roots& roots, const Request& request) {
    const auto text = request.query_or("root", "");
    if (text.empty()) throw HttpError(400, "root is required (project:<name>, run:<id> or job:<id>)");
    auto root = roots.resolve(text);
    if (!root) fail(root.error());
    return std::move(*root);
}

std::uint64_t parse_count(const Request& request, const std::string& key, std::uint64_t fallback, bool required,
                          std::uint64_t high) {
    const auto found = request.query.find(key);
    if (found == request.query.end() || found->second.empty()) {
        if (required) throw HttpError(400, key + " is required");
        return fallback;
    }
    const auto& text = found->second;
    std::uint64_t value = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size() || value > high)
        throw HttpError(400, key + " must be a whole number from 0 to " + std::to_string(high));
    return value;
}

// A name for a download: letters, digits, '.', '_' and '-'; anything else becomes '_'.
std::string file_name_of(std::string_view text) {
    std::string name;
    for (const char c : text) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                           c == '_' || c == '-';
        name += plain ? c : '_';
    }
    if (name.empty() || name.front() == '.') name.insert(name.begin(), '_');
    return name;
}

Response archive(const Roots& roots, Request& request) {
    const auto root = resolved_root(roots, request);
    const auto path = checked_path(request);
    const auto slash = path.rfind('/');
    std::string top = path.empty() ? file_name_of(root.name.substr(root.name.find(':') + 1))
                                   : path.substr(slash == std::string::npos ? 0 : slash + 1);
    auto opened = FolderArchive::open(root.folder, path, top);
    if (!opened && opened.error().is(boost::system::errc::not_a_directory))
        throw HttpError(400, path + " is a file, not a folder (GET /files/content downloads it)");
    if (!opened) fail(opened.error());
    std::shared_ptr<FolderArchive> producer = std::move(*opened);
    auto answer = Response::stream("application/gzip", [producer] { return producer->next_chunk(); });
    answer.set_header("Content-Disposition", "attachment; filename=\"" + file_name_of(top) + ".tar.gz\"");
    answer.set_header("X-Content-Type-Options", "nosniff");
    return answer;
}

Response upload(const Roots& roots, const TransferSettings& settings, Request& request) {
    const auto root = resolved_root(roots, request);
    const auto path = checked_path(request);
    if (path.empty()) throw HttpError(400, "path names the file to create");
    if (root.is_read_only(path)) throw HttpError(403, path + " is read-only (a job's snapshot)");
    const auto total = parse_count(request, "total", 0, true, UINT64_MAX);
    const auto offset = parse_count(request, "offset", 0, true, UINT64_MAX);
    if (total > settings.max_upload_bytes)
        throw HttpError(413, "the file is larger than the server's upload limit, files_max_upload_mib (" +
                                 std::to_string(settings.max_upload_bytes >> 20) + " MiB)");
    auto answer = receive_upload_chunk(*root.folder, UploadChunk{path, offset, total, request.body});
    if (!answer) fail(answer.error());
    std::string body;
    core::JsonWriter json(body);
    json.begin_object();
    if (answer->state == UploadState::offset_mismatch) {
        json.field("error", "the server holds " + std::to_string(answer->received) +
                                " bytes of this upload; send the chunk that starts there");
        json.field("received", answer->received);
        json.end_object();
        return Response::json_text(409, std::move(body));
    }
    json.field("received", answer->received);
    json.field("complete", answer->state == UploadState::complete);
    json.end_object();
    return Response::json_text(200, std::move(body));
}

Response search(const Roots& roots, const TransferSettings& settings, Request& request) {
    const auto root = resolved_root(roots, request);
    const auto path = checked_path(request);
    SearchOptions options;
    options.query = request.query_or("q", "");
    if (options.query.empty()) throw HttpError(400, "q is required");
    if (options.query.size() > max_query_bytes) throw HttpError(400, "q is longer than 256 bytes");
    options.limit = static_cast<std::size_t>(parse_count(request, "limit", 200, false, settings.search_max_results));
    if (options.limit == 0) throw HttpError(400, "limit must be at least 1");
    options.max_file_bytes = settings.search_max_file_bytes;
    options.budget = settings.search_budget;
    auto result = search_files(root.folder, path, options);
    if (!result) fail(result.error());
    std::string body;
    core::JsonWriter json(body);
    json.begin_object();
    json.key("matches");
    json.begin_array();
    for (const auto& match : result->matches) {
        json.begin_object();
        json.field("path", match.path);
        if (match.line) {
            json.field("line", *match.line);
            json.field("text", match.text);
        }
        json.end_object();
    }
    json.end_array();
    json.field("truncated", result->truncated);
    json.end_object();
    return Response::json_text(200, std::move(body));
}

}  // namespace

TransferSettings read_transfer_settings(core::ConfigReader& settings) {
    TransferSettings out;
    out.max_upload_bytes = static_cast<std::uint64_t>(settings.integer("files_max_upload_mib", 4096, 1, 1 << 24)) << 20;
    out.search_max_file_bytes = static_cast<std::uint64_t>(settings.integer("files_search_max_kib", 1024, 1, 1 << 20))
                                << 10;
    return out;
}

void register_transfer_routes(net::Router& router, const Roots& roots, const TransferSettings& settings) {
    router.add(
        Method::get, "/api/v1/files/archive", Access::token_required,
        [&roots](Request& request) { return archive(roots, request); }, Execution::worker);
    router.add(
        Method::post, "/api/v1/files/upload", Access::token_required,
        [&roots, settings](Request& request) { return upload(roots, settings, request); }, Execution::worker);
    router.add(
        Method::get, "/api/v1/files/search", Access::token_required,
        [&roots, settings](Request& request) { return search(roots, settings, request); }, Execution::worker);
}

}  // namespace ailab::files
