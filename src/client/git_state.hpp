#pragma once
// The git state of a folder being submitted, recorded with the job (docs/API.md: "git"). Only
// reads: git runs with GIT_OPTIONAL_LOCKS=0, so not even `git status` rewrites the index, and
// nothing is ever committed on the user's behalf.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace ailab::client {

struct GitState {
    std::optional<std::string> commit;  // `git rev-parse HEAD`; none in a repository without commits
    std::optional<std::string> branch;  // none on a detached HEAD
    bool dirty = false;                 // `git status --porcelain` printed anything for the folder
    std::string diff;                   // `git diff HEAD` of the folder, cut at max_diff_bytes
    bool diff_truncated = false;
};

inline constexpr std::size_t max_diff_bytes = std::size_t{1} << 20;

// Nothing when the folder is not inside a git work tree or git is not installed.
std::optional<GitState> read_git_state(const std::filesystem::path& folder);

// {"commit","branch","dirty","diff"} or null, as the snapshot request carries it. Bytes of the
// diff that are not UTF-8 become U+FFFD (the JSON must stay valid).
std::string git_state_json(const std::optional<GitState>& state);

}  // namespace ailab::client
