#pragma once
// The path rules of every file route (docs/API.md "Projects and files"), applied before a path
// reaches the ConfinedRoot: a path is names separated by "/", relative, valid UTF-8 (an overlong
// "." is not a "."), without NUL, backslash, "." or ".." segments, at most PATH_MAX bytes. What
// passes is normalised (empty segments and a trailing "/" dropped): "" names the root itself.
// The ConfinedRoot then keeps symbolic links inside the root; these rules make the answer clear
// (400) before any lookup happens.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/confined.hpp"
#include "core/error.hpp"

namespace ailab::files {

// The normalised path, or invalid_argument (or filename_too_long) naming what is wrong.
core::Result<std::string> check_path(std::string_view path);

// The HTTP status for an error of a file operation: 400 bad path or request, 403 leaves the root
// or not allowed, 404 not found, 409 exists, 412/428 preconditions, 413 too large, 507 disk full,
// 500 otherwise.
int status_of(const core::Error& error);

// The path of an opened descriptor relative to the root ("" for the root itself), read from
// /proc/self/fd; error when it is not beneath the root (it was moved out meanwhile).
core::Result<std::string> relative_path_of(const core::ConfinedRoot& root, int fd);

// "a/b/c" -> "a/b"; "c" -> "".
std::string parent_of(std::string_view path);
std::string name_of(std::string_view path);

}  // namespace ailab::files
