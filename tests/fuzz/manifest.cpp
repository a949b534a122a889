// Fuzzes sync::parse_manifest (the body of POST /sync/manifest and /sync/snapshots) with the
// default limits and with tiny ones, and the path rules it leans on. Contracts checked:
//   - a refusal has a message, and over_limit only comes with tiny limits or huge sizes;
//   - an accepted manifest is sorted by path with no duplicates, every path is safe, every hash
//     is 64 lower-case hex digits, every link stays inside, and it is within the limits;
//   - the canonical text is a fixed point: parsing to_json(m) accepts it and gives the same text,
//     and validate() accepts the manifest again;
//   - is_safe_relative_path and link_stays_inside never crash, and a safe path is never empty.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sync/hash.hpp"
#include "sync/manifest.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "manifest fuzz: %s\n", what);
    std::abort();
}

void check_accepted(const ailab::sync::Manifest& manifest, const ailab::sync::Limits& limits) {
    using namespace ailab::sync;
    for (std::size_t i = 0; i < manifest.files.size(); ++i) {
        const auto& entry = manifest.files[i];
        if (i > 0 && !(manifest.files[i - 1].path < entry.path)) fail("not sorted, or a duplicate path");
        if (!is_safe_relative_path(entry.path)) fail("an unsafe path was accepted");
        if (entry.link.empty()) {
            if (!is_hash(entry.hash)) fail("a bad hash was accepted");
            if (entry.size < 0 || entry.size > limits.max_file_bytes) fail("a size out of range was accepted");
            if (entry.mode > 0777) fail("a mode beyond the permission bits was accepted");
        } else if (!link_stays_inside(entry.path, entry.link)) {
            fail("a link that leaves was accepted");
        }
    }
    if (static_cast<std::int64_t>(manifest.files.size()) > limits.max_files) fail("too many files were accepted");
    if (manifest.total_bytes() > limits.max_total_bytes) fail("too many bytes were accepted");

    const std::string canonical = to_json(manifest);
    ManifestError error;
    auto again = parse_manifest(canonical, limits, error);
    if (!again) fail("the canonical text of an accepted manifest was refused");
    if (to_json(*again) != canonical) fail("the canonical text is not a fixed point");
    Manifest copy = manifest;
    if (validate(copy, limits)) fail("validate refused an accepted manifest");
}

void check(std::string_view text, const ailab::sync::Limits& limits) {
    ailab::sync::ManifestError error;
    auto manifest = ailab::sync::parse_manifest(text, limits, error);
    if (!manifest) {
        if (error.message.empty()) fail("a refusal without a message");
        return;
    }
    check_accepted(*manifest, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check(text, ailab::sync::Limits{});
    ailab::sync::Limits tiny;
    tiny.max_files = 3;
    tiny.max_file_bytes = 100;
    tiny.max_total_bytes = 150;
    check(text, tiny);

    // The raw input as a path, and split at the first '|' as a link and its target.
    if (ailab::sync::is_safe_relative_path(text) && text.empty()) fail("an empty path is safe");
    const auto bar = text.find('|');
    if (bar != std::string_view::npos) (void)ailab::sync::link_stays_inside(text.substr(0, bar), text.substr(bar + 1));
    return 0;
}
