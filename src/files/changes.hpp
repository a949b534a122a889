#pragma once
// The changes a client makes to a root's tree (POST /api/v1/files/mkdir, /move, /trash, /restore).
// Every path has passed check_path; every operation goes through the root's ConfinedRoot (moves
// are renameat2(RENAME_NOREPLACE) between confined parent folders), never replaces anything and
// never unlinks: "trash" moves into <root>/.ailab-trash/<date>/<path> (a second trash of the same
// path on one day goes to <date>-2/, -3/, …), and "restore" moves it back. A path that is, or holds,
// a read-only file (a job's snapshot) is refused with EACCES. Thread-safe (the kernel arbitrates).

#include <string>

#include "core/error.hpp"
#include "files/roots.hpp"

namespace ailab::files {

inline constexpr std::string_view trash_folder = ".ailab-trash";

// Creates one folder (its parent must exist); EEXIST when something is there.
core::Status make_folder(const Root& root, const std::string& path);
// Moves from to to; EEXIST when `to` exists.
core::Status move_entry(const Root& root, const std::string& from, const std::string& to);
// Moves path into the trash; returns the trash path relative to the root.
core::Result<std::string> trash_entry(const Root& root, const std::string& path);
// Moves a trash path (as trash_entry returned it) back; returns the restored path.
core::Result<std::string> restore_entry(const Root& root, const std::string& trash_path);

}  // namespace ailab::files
