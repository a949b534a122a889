#pragma once
// Notes, tags and stars on runs: what researchers write about a run, kept by the server in its
// state folder (`<queue>/runs.db`, SQLite through core::Database), never in the results folder, and
// shared by every user of the server. Keyed by the run's id (the hash of its path below results),
// so an annotation survives a restart, a clean-up into the trash and a restore.
//
// Rules (validate_patch): a tag is 1–64 bytes after trimming spaces, without control characters
// or commas; a run has at most 32 tags (kept in the order given, duplicates dropped); a note is at
// most 64 KiB.
//
// Threads: every member may be called from any thread; `mutex_` guards the database, its
// statement and the cache, and is never held while calling out.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/sqlite.hpp"

namespace ailab::runs {

inline constexpr std::size_t max_tag_bytes = 64;
inline constexpr std::size_t max_tags = 32;
inline constexpr std::size_t max_note_bytes = std::size_t{64} * 1024;

struct Annotations {
    std::string note;
    std::vector<std::string> tags;
    bool starred = false;
    std::optional<double> updated_at;  // Unix seconds of the last change
    std::string updated_by;            // the user who made it ("" when never changed)

    bool empty() const { return note.empty() && tags.empty() && !starred; }
};

// A change: only the fields that are set change.
struct AnnotationsPatch {
    std::optional<std::string> note;
    std::optional<std::vector<std::string>> tags;
    std::optional<bool> starred;
};

// Checks a patch and normalises its tags (trimmed, duplicates dropped). The error says which rule
// a value broke and quotes the value (cut to 80 bytes).
core::Status validate_patch(AnnotationsPatch& patch);

class AnnotationStore {
public:
    // Opens or creates the store at `file` (its folder is made). Errors: the database cannot be
    // opened or its schema made.
    static core::Result<std::unique_ptr<AnnotationStore>> open(const std::filesystem::path& file);

    // The run's annotations (blank when it has none).
    Annotations get(const std::string& run_id) const;
    // Every run whose annotations are not blank, by run id.
    std::vector<std::pair<std::string, Annotations>> all() const;
    // Applies a validated patch, records who and when, and commits. `run_path` is stored beside
    // the id for people who read the database. Errors: the database could not write.
    core::Result<Annotations> update(const std::string& run_id, const std::string& run_path,
                                     const AnnotationsPatch& patch, const std::string& user, double now);

private:
    AnnotationStore(core::Database database, core::Statement upsert);

    mutable std::mutex mutex_;
    core::Database database_;
    core::Statement upsert_;
    std::unordered_map<std::string, Annotations> cache_;  // every stored row, by run id
};

}  // namespace ailab::runs
