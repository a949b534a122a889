#include "files/search.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "files/tree_walk.hpp"
#include "files/upload.hpp"

namespace ailab::files {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

// Whether `needle` (already lower case) occurs in `haystack`, ignoring ASCII case.
bool contains(std::string_view haystack, std::string_view needle) {
    if (needle.size() > haystack.size()) return false;
    const auto found = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                                   [](char a, char b) { return lower(a) == b; });
    return found != haystack.end();
}

std::string_view base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool left_out(std::string_view name) {
    return name == ".ailab-trash" || name == ".git" || name.starts_with(upload_prefix);
}

// Reads the whole of a file already known to be at most `limit` bytes.
bool read_all(int fd, std::uint64_t limit, std::string& out) {
    out.resize(static_cast<std::size_t>(limit));
    std::size_t got = 0;
    while (got < out.size()) {
        const auto result = ::read(fd, out.data() + got, out.size() - got);
        if (result < 0 && errno == EINTR) continue;
        if (result < 0) return false;
        if (result == 0) break;
        got += static_cast<std::size_t>(result);
    }
    out.resize(got);
    return true;
}

}  // namespace

core::Result<SearchResult> search_files(std::shared_ptr<const core::ConfinedRoot> root, std::string path,
                                        const SearchOptions& options) {
    if (options.query.empty()) return core::Error::invalid("an empty search");
    auto walk = TreeWalk::open(std::move(root), path);
    if (!walk) return walk.error();
    const auto needle = lowered(options.query);
    const auto deadline = std::chrono::steady_clock::now() + options.budget;
    SearchResult result;
    std::string content;
    auto full = [&] {
        if (result.matches.size() < options.limit && std::chrono::steady_clock::now() < deadline) return false;
        result.truncated = true;
        return true;
    };
    while (auto entry = walk->next()) {
        if (full()) break;
        const auto name = base_name(entry->path);
        if (left_out(name)) {
            walk->skip_folder();
            continue;
        }
        const auto root_path = walk->root_path(entry->path);
        if (contains(name, needle)) result.matches.push_back({root_path, std::nullopt, {}});
        if (entry->type != EntryType::file || static_cast<std::uint64_t>(entry->info.st_size) > options.max_file_bytes)
            continue;
        struct stat info {};
        auto fd = walk->open_file(*entry, info);
        if (!fd || static_cast<std::uint64_t>(info.st_size) > options.max_file_bytes) continue;
        if (!read_all(fd->get(), static_cast<std::uint64_t>(info.st_size), content)) continue;
        if (std::memchr(content.data(), '\0', std::min<std::size_t>(content.size(), 8192)) != nullptr) continue;
        std::string_view rest(content);
        std::uint64_t line = 0;
        while (!rest.empty()) {
            ++line;
            const auto end = rest.find('\n');
            const auto text = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
            if (!contains(text, needle)) continue;
            if (full()) break;
            std::string cut(text.substr(0, options.max_text_bytes));
            if (!cut.empty() && cut.back() == '\r') cut.pop_back();
            result.matches.push_back({root_path, line, std::move(cut)});
        }
        if (result.truncated) break;
    }
    return result;
}

}  // namespace ailab::files
