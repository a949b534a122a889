// POST /sync/manifest, PUT /sync/blobs/{hash}, POST /sync/snapshots (docs/API.md "Code sync").
#include <boost/json.hpp>

#include "jobs/routes.hpp"
#include "jobs/service.hpp"
#include "jobs/snapshots.hpp"
#include "sync/hash.hpp"
#include "sync/manifest.hpp"

namespace ailab::jobs {
namespace json = boost::json;
using net::Access;
using net::Execution;
using net::HttpError;
using net::Method;
using net::Request;
using net::Response;

namespace {

sync::Manifest parse_or_throw(const std::string& body, const sync::Limits& limits) {
    sync::ManifestError error;
    auto manifest = sync::parse_manifest(body, limits, error);
    if (!manifest) throw HttpError(error.over_limit ? 413 : 400, error.message);
    return std::move(*manifest);
}

json::array hashes(const std::vector<std::string>& list) {
    json::array out;
    for (const auto& hash : list) out.emplace_back(hash);
    return out;
}

std::optional<GitState> parse_git(const json::object& body) {
    const auto* git = body.if_contains("git");
    if (git == nullptr || git->is_null()) return std::nullopt;
    if (!git->is_object()) throw HttpError(400, "\"git\" must be an object {commit, branch, dirty, diff}");
    GitState state;
    const auto& object = git->as_object();
    auto text = [&](const char* key, std::string& into) {
        const auto* value = object.if_contains(key);
        if (value == nullptr || value->is_null()) return;
        if (!value->is_string()) throw HttpError(400, std::string("git.") + key + " must be a string");
        into = std::string(value->as_string());
    };
    text("commit", state.commit);
    text("branch", state.branch);
    text("diff", state.diff);
    if (state.diff.size() > (std::size_t{1} << 20)) state.diff.resize(std::size_t{1} << 20);
    if (const auto* dirty = object.if_contains("dirty"); dirty != nullptr && dirty->is_bool())
        state.dirty = dirty->as_bool();
    return state;
}

std::int64_t count(const json::object& body, const char* key) {
    const auto* value = body.if_contains(key);
    return value != nullptr && value->is_int64() && value->as_int64() >= 0 ? value->as_int64() : 0;
}

}  // namespace

void register_sync_routes(net::Router& router, JobService& service) {
    router.add(
        Method::post, "/api/v1/sync/manifest", Access::token_required,
        [&service](Request& request) {
            auto manifest = parse_or_throw(request.body, service.settings().limits);
            std::vector<std::string> wanted;
            wanted.reserve(manifest.files.size());
            for (const auto& entry : manifest.files)
                if (entry.link.empty()) wanted.push_back(entry.hash);
            const auto missing = service.blobs().missing(wanted);
            return Response::json_text(200, json::serialize(json::object{{"missing", hashes(missing)},
                                                                         {"files", manifest.files.size()},
                                                                         {"bytes", manifest.total_bytes()}}));
        },
        Execution::worker);

    const auto max_blob = static_cast<std::size_t>(service.settings().limits.max_file_bytes);
    router.add(
        Method::put, "/api/v1/sync/blobs/{hash}", Access::token_required,
        [&service](Request& request) {
            const auto& hash = request.params.at("hash");
            if (!sync::is_hash(hash))
                throw HttpError(400,
                                "\"" + hash + "\" is not a content hash (64 lower-case hex digits of BLAKE2b-256)");
            if (static_cast<std::int64_t>(request.body.size()) > service.settings().limits.max_file_bytes)
                throw HttpError(413, "the file is over the limit of one file (sync_max_file_mib = " +
                                         std::to_string(service.settings().limits.max_file_bytes >> 20) + ")");
            auto stored = service.blobs().put(hash, request.body);
            if (!stored) {
                const auto& error = stored.error();
                if (error.is(boost::system::errc::invalid_argument)) throw HttpError(400, error.message);
                if (error.is(boost::system::errc::no_space_on_device)) throw HttpError(507, error.message);
                throw HttpError(500, error.message);
            }
            const bool fresh = *stored == PutOutcome::stored;
            return Response::json_text(
                fresh ? 201 : 200,
                json::serialize(json::object{{"hash", hash}, {"size", request.body.size()}, {"stored", fresh}}));
        },
        Execution::worker, max_blob + 4096);

    router.add(
        Method::post, "/api/v1/sync/snapshots", Access::token_required,
        [&service](Request& request) {
            auto manifest = parse_or_throw(request.body, service.settings().limits);
            const auto body = json::parse(request.body).as_object();  // valid: parse_manifest read it
            const auto missing = missing_blobs(service.blobs(), manifest);
            if (!missing.empty()) {
                return Response::json_text(
                    409, json::serialize(json::object{
                             {"error", std::to_string(missing.size()) + " of the snapshot's files are not uploaded"},
                             {"missing", hashes(missing)}}));
            }
            SyncStats uploads{0, count(body, "uploaded_files"), count(body, "uploaded_bytes")};
            auto id = service.create_snapshot(manifest, parse_git(body), uploads);
            if (!id) throw HttpError(500, id.error().message);
            return Response::json_text(
                201, json::serialize(json::object{
                         {"snapshot", *id}, {"files", manifest.files.size()}, {"bytes", manifest.total_bytes()}}));
        },
        Execution::worker);
}

}  // namespace ailab::jobs
