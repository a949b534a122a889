#include "client/code_sync.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "client/git_state.hpp"
#include "client/parsing.hpp"
#include "sync/manifest.hpp"

namespace ailab::client {
namespace {

struct Blob {
    std::string hash;
    std::filesystem::path file;
    std::int64_t size = 0;
};

// Uploads every blob, biggest first, over up to `connections` connections; the first failure
// stops the others from taking more work.
core::Status upload_blobs(const ServerAccess& access, std::vector<Blob> blobs, int connections) {
    std::sort(blobs.begin(), blobs.end(), [](const Blob& a, const Blob& b) { return a.size > b.size; });
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;  // guards first_error
    std::optional<core::Error> first_error;
    auto worker = [&] {
        HttpClient client(access);
        while (!failed.load()) {
            const std::size_t index = next.fetch_add(1);
            if (index >= blobs.size()) return;
            const auto& blob = blobs[index];
            auto reply = client.put_file("/api/v1/sync/blobs/" + blob.hash, blob.file);
            std::optional<core::Error> error;
            if (!reply) {
                error = reply.error();
            } else if (!reply->ok()) {
                error = reply_error(*reply, "uploading " + blob.file.string() + " failed", access);
                if (reply->status == 400) error->message += " (did the file change while it was sent? submit again)";
            }
            if (error) {
                std::lock_guard lock(error_mutex);
                if (!first_error) first_error = std::move(*error);
                failed = true;
                return;
            }
        }
    };
    const auto count = static_cast<std::size_t>(std::max(1, connections));
    std::vector<std::thread> threads;
    for (std::size_t index = 1; index < std::min(count, blobs.size()); ++index) threads.emplace_back(worker);
    worker();
    for (auto& thread : threads) thread.join();
    if (first_error) return *first_error;
    return {};
}

core::Result<std::vector<std::string>> parse_hash_list(const std::string& body, std::string_view key) {
    boost::system::error_code error;
    auto value = boost::json::parse(body, error);
    const boost::json::value* list = nullptr;
    if (!error && value.is_object()) list = value.as_object().if_contains(key);
    if (list == nullptr || !list->is_array())
        return core::Error::invalid("the server's answer has no \"" + std::string(key) + "\" list");
    std::vector<std::string> hashes;
    for (const auto& item : list->as_array()) {
        if (item.is_string()) hashes.emplace_back(item.as_string());
    }
    return hashes;
}

}  // namespace

core::Result<SyncedSnapshot> sync_folder(HttpClient& client, const std::filesystem::path& folder,
                                         const SyncOptions& options) {
    auto say = [&](std::string_view line) {
        if (options.progress) options.progress(line);
    };
    // git runs beside the scan: both mostly wait (on git's processes, on the disk).
    auto git_future = std::async(std::launch::async, [folder] { return read_git_state(folder); });
    auto scanned = sync::scan_folder(folder);
    auto git = git_future.get();
    if (!scanned) return core::Error::from(scanned.error(), "cannot sync " + folder.string());
    const auto& manifest = scanned->manifest;
    const auto manifest_json = sync::to_json(manifest);

    SyncedSnapshot result;
    result.files = static_cast<std::int64_t>(manifest.files.size());
    result.bytes = manifest.total_bytes();
    result.git = git.has_value();

    auto asked = client.request(Method::post, "/api/v1/sync/manifest", manifest_json);
    if (!asked) return asked.error();
    if (!asked->ok()) return reply_error(*asked, "the server refused the manifest", client.access());
    auto missing = parse_hash_list(asked->body, "missing");
    if (!missing) return missing.error();

    std::unordered_map<std::string_view, std::size_t> by_hash;  // hash → an entry with those bytes
    for (std::size_t index = 0; index < manifest.files.size(); ++index) {
        if (!manifest.files[index].hash.empty()) by_hash.emplace(manifest.files[index].hash, index);
    }
    auto blobs_for = [&](const std::vector<std::string>& hashes) -> core::Result<std::vector<Blob>> {
        std::vector<Blob> blobs;
        for (const auto& hash : hashes) {
            auto found = by_hash.find(hash);
            if (found == by_hash.end())
                return core::Error::invalid("the server asked for " + hash + ", which is not in the manifest");
            blobs.push_back({hash, scanned->absolute_paths[found->second], manifest.files[found->second].size});
        }
        return blobs;
    };
    auto blobs = blobs_for(*missing);
    if (!blobs) return blobs.error();
    for (const auto& blob : *blobs) {
        ++result.uploaded_files;
        result.uploaded_bytes += blob.size;
    }
    if (!blobs->empty()) {
        say("uploading " + std::to_string(result.uploaded_files) + " of " + std::to_string(result.files) + " files (" +
            format_bytes(result.uploaded_bytes) + ")");
        if (auto uploaded = upload_blobs(client.access(), std::move(*blobs), options.connections); !uploaded)
            return uploaded.error();
    }

    // The snapshot request is the manifest plus the git state and the upload counts.
    std::string body = manifest_json;
    if (body.empty() || body.back() != '}') return core::Error::invalid("the manifest's JSON is not an object");
    body.pop_back();
    body += ",\"git\":" + git_state_json(git) + ",\"uploaded_files\":" + std::to_string(result.uploaded_files) +
            ",\"uploaded_bytes\":" + std::to_string(result.uploaded_bytes) + "}";
    for (int attempt = 0;; ++attempt) {
        auto made = client.request(Method::post, "/api/v1/sync/snapshots", body);
        if (!made) return made.error();
        if (made->status == 409 && attempt == 0) {
            // A blob went missing between the manifest and the snapshot: send those once more.
            auto again = parse_hash_list(made->body, "missing");
            if (!again) return again.error();
            auto retry = blobs_for(*again);
            if (!retry) return retry.error();
            if (auto uploaded = upload_blobs(client.access(), std::move(*retry), options.connections); !uploaded)
                return uploaded.error();
            continue;
        }
        if (!made->ok()) return reply_error(*made, "the server refused the snapshot", client.access());
        boost::system::error_code error;
        auto value = boost::json::parse(made->body, error);
        const boost::json::value* id = nullptr;
        if (!error && value.is_object()) id = value.as_object().if_contains("snapshot");
        if (id == nullptr || !id->is_string()) return core::Error::invalid("the server's answer has no snapshot id");
        result.snapshot = std::string(id->as_string());
        return result;
    }
}

}  // namespace ailab::client
