// Manifests: parsing, validation and the canonical form (scan_folder lives in scan.cpp).

#include "sync/manifest.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <numeric>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/json_writer.hpp"
#include "core/strings.hpp"
#include "sync/describe.hpp"
#include "sync/hash.hpp"

namespace ailab::sync {

std::int64_t Manifest::total_bytes() const {
    std::int64_t total = 0;
    for (const auto& entry : files)
        if (entry.link.empty()) total += entry.size;
    return total;
}

namespace {

constexpr std::size_t max_path_bytes = 4096;
constexpr int max_link_hops = 40;                   // the kernel's MAXSYMLINKS
constexpr std::int64_t link_step_budget = 1 << 20;  // for all the links of one manifest together

enum class PathProblem { none, empty, absolute, too_long, nul, backslash, empty_segment, dot, dot_dot, climbs };

PathProblem path_problem(std::string_view path) {
    if (path.empty()) return PathProblem::empty;
    if (path.size() > max_path_bytes) return PathProblem::too_long;
    if (path.front() == '/') return PathProblem::absolute;
    if (path.find('\0') != std::string_view::npos) return PathProblem::nul;
    if (path.find('\\') != std::string_view::npos) return PathProblem::backslash;
    int depth = 0;
    PathProblem found = PathProblem::none;
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = path.find('/', start);
        const std::string_view segment = path.substr(start, slash - start);
        if (segment.empty()) return PathProblem::empty_segment;
        if (segment == ".") {
            if (found == PathProblem::none) found = PathProblem::dot;
        } else if (segment == "..") {
            if (--depth < 0) return PathProblem::climbs;
            found = PathProblem::dot_dot;
        } else {
            ++depth;
        }
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return found;
}

std::string describe_path_problem(PathProblem problem, std::string_view path) {
    const std::string shown = "path " + quote(path);
    switch (problem) {
    case PathProblem::none: return {};
    case PathProblem::empty: return "the path is empty";
    case PathProblem::absolute: return shown + " is absolute";
    case PathProblem::too_long: return shown + " is longer than 4096 bytes";
    case PathProblem::nul: return shown + " holds a NUL byte";
    case PathProblem::backslash: return shown + " holds a backslash";
    case PathProblem::empty_segment: return shown + " has an empty segment";
    case PathProblem::dot: return shown + " has a \".\" segment";
    case PathProblem::dot_dot: return shown + " has a \"..\" segment";
    case PathProblem::climbs: return shown + " leaves the snapshot";
    }
    return {};
}

std::string entry_name(std::size_t index) { return "files[" + std::to_string(index) + "]"; }
std::string entry_name(std::size_t index, std::string_view path) {
    return entry_name(index) + " (" + quote(path) + ")";
}

// The checks of one entry on its own; "" when it is fine.
std::string entry_problem(const ManifestEntry& entry, std::size_t index) {
    const PathProblem problem = path_problem(entry.path);
    if (problem != PathProblem::none) return entry_name(index) + ": " + describe_path_problem(problem, entry.path);
    if (!core::is_valid_utf8(entry.path))
        return entry_name(index) + ": path " + quote(entry.path) + " is not valid UTF-8";
    const std::string name = entry_name(index, entry.path);
    if (!entry.link.empty()) {
        if (!entry.hash.empty()) return name + ": has both a hash and a link";
        const std::string shown = "link target " + quote(entry.link);
        if (entry.link.front() == '/') return name + ": " + shown + " is absolute";
        if (entry.link.size() > max_path_bytes) return name + ": " + shown + " is longer than 4096 bytes";
        if (entry.link.find('\0') != std::string::npos) return name + ": " + shown + " holds a NUL byte";
        if (!core::is_valid_utf8(entry.link)) return name + ": " + shown + " is not valid UTF-8";
        if (!link_stays_inside(entry.path, entry.link)) return name + ": " + shown + " leaves the snapshot";
        return {};
    }
    if (!is_hash(entry.hash)) return name + ": hash " + quote(entry.hash) + " is not 64 lower-case hex digits";
    if (entry.size < 0) return name + ": size " + std::to_string(entry.size) + " is negative";
    if (entry.mode > 0777)
        return name + ": mode " + std::to_string(entry.mode) + " is more than the permission bits (0 to 511, 0o777)";
    return {};
}

// A trie of the folders that hold links, to follow links through other links of the same
// manifest (a lexical check of each link alone misses "s/t -> .." with "s/u -> t/..").
class LinkResolver {
public:
    explicit LinkResolver(const std::vector<ManifestEntry>& files) : files_(files) {
        nodes_.emplace_back();
        for (std::size_t i = 0; i < files.size(); ++i) {
            if (files[i].link.empty()) continue;
            std::size_t node = 0;
            std::string_view path = files[i].path;
            for (std::size_t start = 0;;) {
                const std::size_t slash = path.find('/', start);
                const std::string_view segment = path.substr(start, slash - start);
                auto [it, added] = nodes_[node].children.try_emplace(segment, nodes_.size());
                if (added) nodes_.push_back(Node{{}, node, -1});
                node = it->second;
                if (slash == std::string_view::npos) break;
                start = slash + 1;
            }
            nodes_[node].link = static_cast<std::ptrdiff_t>(i);
        }
    }

    enum class Outcome { inside, leaves, too_complex };

    // Follows the link files_[index] as the kernel would, within the manifest.
    Outcome follow(std::size_t index, std::string& through) {
        std::size_t node = parent_of(files_[index].path);
        std::size_t below = 0;  // segments under `node` that hold no link (not in the trie)
        std::vector<std::string_view> pending;
        push_segments(files_[index].link, pending);
        int hops = 0;
        while (!pending.empty()) {
            if (--budget_ < 0) return Outcome::too_complex;
            const std::string_view segment = pending.back();
            pending.pop_back();
            if (segment.empty() || segment == ".") continue;
            if (segment == "..") {
                if (below > 0) {
                    --below;
                } else if (node == 0) {
                    return Outcome::leaves;
                } else {
                    node = nodes_[node].parent;
                }
                continue;
            }
            if (below > 0) {
                ++below;
                continue;
            }
            const auto it = nodes_[node].children.find(segment);
            if (it == nodes_[node].children.end()) {
                below = 1;
                continue;
            }
            node = it->second;
            if (nodes_[node].link < 0) continue;
            // Another link of the manifest: go on from its folder with its target.
            if (++hops > max_link_hops) return Outcome::inside;  // ELOOP: leads nowhere
            const auto& other = files_[static_cast<std::size_t>(nodes_[node].link)];
            through = other.path;
            node = nodes_[node].parent;
            push_segments(other.link, pending);
        }
        return Outcome::inside;
    }

private:
    struct Node {
        std::unordered_map<std::string_view, std::size_t> children;
        std::size_t parent = 0;
        std::ptrdiff_t link = -1;  // index in files_ of the link at this path
    };

    static void push_segments(std::string_view target, std::vector<std::string_view>& pending) {
        const std::size_t first = pending.size();
        for (std::size_t start = 0;;) {
            const std::size_t slash = target.find('/', start);
            pending.push_back(target.substr(start, slash - start));
            if (slash == std::string_view::npos) break;
            start = slash + 1;
        }
        std::reverse(pending.begin() + static_cast<std::ptrdiff_t>(first), pending.end());
    }

    std::size_t parent_of(std::string_view path) const {
        std::size_t node = 0;
        for (std::size_t start = 0;;) {
            const std::size_t slash = path.find('/', start);
            if (slash == std::string_view::npos) return node;
            node = nodes_[node].children.at(path.substr(start, slash - start));
            start = slash + 1;
        }
    }

    const std::vector<ManifestEntry>& files_;
    std::vector<Node> nodes_;
    std::int64_t budget_ = link_step_budget;
};

std::optional<ManifestError> refuse(std::string message) { return ManifestError{false, std::move(message)}; }
std::optional<ManifestError> over_limit(std::string message) { return ManifestError{true, std::move(message)}; }

// Path order (bytes, as memcmp: the order of code points in UTF-8) with the original indices.
std::vector<std::size_t> path_order(const std::vector<ManifestEntry>& files) {
    std::vector<std::size_t> order(files.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return files[a].path < files[b].path; });
    return order;
}

// Duplicates, and entries below another entry (a file or a link is not a folder).
std::optional<ManifestError> check_tree(const std::vector<ManifestEntry>& files,
                                        const std::vector<std::size_t>& order) {
    for (std::size_t i = 1; i < order.size(); ++i) {
        if (files[order[i]].path == files[order[i - 1]].path) {
            const auto [first, second] = std::minmax(order[i - 1], order[i]);
            return refuse(entry_name(second) + ": path " + quote(files[second].path) + " appears twice (also " +
                          entry_name(first) + ")");
        }
    }
    std::unordered_map<std::string_view, std::size_t> by_path;
    by_path.reserve(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) by_path.emplace(files[i].path, i);
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::string_view path = files[i].path;
        for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
            const auto it = by_path.find(path.substr(0, slash));
            if (it == by_path.end()) continue;
            const auto& above = files[it->second];
            return refuse(entry_name(i) + ": path " + quote(path) + " lies below " + entry_name(it->second) + " (" +
                          quote(above.path) + "), which is " + (above.link.empty() ? "a file" : "a link"));
        }
    }
    return std::nullopt;
}

std::optional<ManifestError> check_links(const std::vector<ManifestEntry>& files) {
    if (std::none_of(files.begin(), files.end(), [](const ManifestEntry& e) { return !e.link.empty(); }))
        return std::nullopt;
    LinkResolver resolver(files);
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (files[i].link.empty()) continue;
        std::string through;
        switch (resolver.follow(i, through)) {
        case LinkResolver::Outcome::inside: break;
        case LinkResolver::Outcome::leaves:
            return refuse(entry_name(i, files[i].path) + ": link target " + quote(files[i].link) +
                          " leaves the snapshot through the link " + quote(through));
        case LinkResolver::Outcome::too_complex:
            return refuse(entry_name(i, files[i].path) + ": the links of the manifest are too many to follow");
        }
    }
    return std::nullopt;
}

std::optional<ManifestError> check_limits(const std::vector<ManifestEntry>& files, const Limits& limits) {
    std::vector<FileSize> sizes;
    sizes.reserve(files.size());
    for (const auto& entry : files)
        if (entry.link.empty()) sizes.push_back({entry.path, entry.size});
    if (auto message = limit_problem(sizes, static_cast<std::int64_t>(files.size()), limits))
        return over_limit(*message);
    return std::nullopt;
}

// Boost.JSON → entries; errors name the entry and the key.
std::optional<ManifestError> read_entries(const boost::json::value& body, std::vector<ManifestEntry>& files) {
    const auto* object = body.if_object();
    if (object == nullptr) return refuse("the manifest is not a JSON object");
    const auto* list_value = object->if_contains("files");
    if (list_value == nullptr || !list_value->is_array()) return refuse("the manifest has no \"files\" array");
    const auto& list = list_value->get_array();
    files.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto* item = list[i].if_object();
        if (item == nullptr) return refuse(entry_name(i) + ": not an object");
        ManifestEntry entry;
        const auto* path = item->if_contains("path");
        if (path == nullptr || !path->is_string()) return refuse(entry_name(i) + ": \"path\" must be a string");
        entry.path = std::string(path->get_string());
        const std::string name = entry_name(i, entry.path);
        const auto* link = item->if_contains("link");
        const auto* hash = item->if_contains("hash");
        if (link != nullptr && !link->is_null()) {
            if (!link->is_string() || link->get_string().empty())
                return refuse(name + ": \"link\" must be a non-empty string");
            if (hash != nullptr && !hash->is_null()) return refuse(name + ": has both a hash and a link");
            entry.link = std::string(link->get_string());
            entry.size = 0;
            files.push_back(std::move(entry));
            continue;
        }
        if (hash == nullptr || !hash->is_string()) return refuse(name + ": \"hash\" must be a string");
        entry.hash = std::string(hash->get_string());
        const auto* size = item->if_contains("size");
        if (size == nullptr) return refuse(name + ": \"size\" is missing");
        if (const auto* value = size->if_int64()) {
            entry.size = *value;
        } else if (const auto* big = size->if_uint64()) {
            (void)big;  // over 2^63: no limit admits it
            entry.size = std::numeric_limits<std::int64_t>::max();
        } else {
            return refuse(name + ": \"size\" must be a whole number");
        }
        if (const auto* mode = item->if_contains("mode")) {
            const auto* value = mode->if_int64();
            if (value == nullptr || *value < 0 || *value > 0777)
                return refuse(name + ": \"mode\" must be permission bits, a whole number from 0 to 511 (0o777)");
            entry.mode = static_cast<std::uint32_t>(*value);
        }
        files.push_back(std::move(entry));
    }
    return std::nullopt;
}

}  // namespace

bool is_safe_relative_path(std::string_view path) { return path_problem(path) == PathProblem::none; }

bool link_stays_inside(std::string_view path, std::string_view target) {
    if (target.empty() || target.front() == '/' || target.find('\0') != std::string_view::npos) return false;
    // Depth of the link's folder, then the target's segments from there.
    std::int64_t depth = static_cast<std::int64_t>(std::count(path.begin(), path.end(), '/'));
    for (std::size_t start = 0;;) {
        const std::size_t slash = target.find('/', start);
        const std::string_view segment = target.substr(start, slash - start);
        if (segment == "..") {
            if (--depth < 0) return false;
        } else if (!segment.empty() && segment != ".") {
            ++depth;
        }
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

std::optional<ManifestError> validate(Manifest& manifest, const Limits& limits) {
    auto& files = manifest.files;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (std::string problem = entry_problem(files[i], i); !problem.empty()) return refuse(std::move(problem));
    }
    const std::vector<std::size_t> order = path_order(files);
    if (auto error = check_tree(files, order)) return error;
    if (auto error = check_links(files)) return error;
    if (auto error = check_limits(files, limits)) return error;
    std::vector<ManifestEntry> sorted;
    sorted.reserve(files.size());
    for (std::size_t index : order) sorted.push_back(std::move(files[index]));
    files = std::move(sorted);
    return std::nullopt;
}

std::optional<Manifest> parse_manifest(std::string_view json, const Limits& limits, ManifestError& error) {
    boost::system::error_code parse_error;
    boost::json::value body = boost::json::parse(json, parse_error);
    if (parse_error) {
        error = ManifestError{false, "the manifest is not valid JSON: " + parse_error.message()};
        return std::nullopt;
    }
    Manifest manifest;
    if (auto problem = read_entries(body, manifest.files)) {
        error = *problem;
        return std::nullopt;
    }
    if (auto problem = validate(manifest, limits)) {
        error = *problem;
        return std::nullopt;
    }
    return manifest;
}

std::string to_json(const Manifest& manifest) {
    std::vector<const ManifestEntry*> entries;
    entries.reserve(manifest.files.size());
    for (const auto& entry : manifest.files) entries.push_back(&entry);
    const auto by_path = [](const ManifestEntry* a, const ManifestEntry* b) { return a->path < b->path; };
    if (!std::is_sorted(entries.begin(), entries.end(), by_path))
        std::stable_sort(entries.begin(), entries.end(), by_path);

    std::string out;
    out.reserve(32 + manifest.files.size() * 128);
    core::JsonWriter writer(out);
    writer.begin_object();
    writer.key("files");
    writer.begin_array();
    for (const auto* entry : entries) {
        writer.begin_object();
        writer.field("path", entry->path);
        if (!entry->link.empty()) {
            writer.field("link", entry->link);
        } else {
            writer.field("size", entry->size);
            writer.field("mode", static_cast<std::int64_t>(entry->mode));
            writer.field("hash", entry->hash);
        }
        writer.end_object();
    }
    writer.end_array();
    writer.end_object();
    return out;
}

}  // namespace ailab::sync
