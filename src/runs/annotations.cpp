#include "runs/annotations.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace ailab::runs {

namespace {

constexpr std::string_view schema = R"(
CREATE TABLE IF NOT EXISTS run_annotations (
    run_id TEXT PRIMARY KEY,
    run_path TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    starred INTEGER NOT NULL DEFAULT 0,
    updated_at REAL,
    updated_by TEXT NOT NULL DEFAULT ''
))";

std::string quoted(std::string_view text) {
    std::string shown(text.substr(0, 80));
    if (text.size() > 80) shown += "…";
    return "\"" + shown + "\"";
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::string tags_json(const std::vector<std::string>& tags) {
    boost::json::array array;
    for (const auto& tag : tags) array.emplace_back(tag);
    return boost::json::serialize(array);
}

std::vector<std::string> tags_from_json(const std::string& text) {
    std::vector<std::string> tags;
    boost::system::error_code error;
    auto value = boost::json::parse(text, error);
    if (error || !value.is_array()) return tags;
    for (const auto& item : value.as_array())
        if (item.is_string()) tags.emplace_back(item.as_string());
    return tags;
}

}  // namespace

core::Status validate_patch(AnnotationsPatch& patch) {
    if (patch.note && patch.note->size() > max_note_bytes)
        return core::Error::invalid("a note is at most 64 KiB, this one has " + std::to_string(patch.note->size()) +
                                    " bytes");
    if (patch.tags) {
        std::vector<std::string> tags;
        for (const auto& raw : *patch.tags) {
            auto tag = trim(raw);
            if (tag.empty()) return core::Error::invalid("a tag cannot be empty");
            if (tag.size() > max_tag_bytes)
                return core::Error::invalid("a tag is at most 64 bytes: " + quoted(tag) + " has " +
                                            std::to_string(tag.size()));
            for (unsigned char c : tag) {
                if (c < 0x20 || c == 0x7f)
                    return core::Error::invalid("a tag cannot hold control characters: " + quoted(tag));
                if (c == ',') return core::Error::invalid("a tag cannot hold a comma: " + quoted(tag));
            }
            if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.emplace_back(tag);
        }
        if (tags.size() > max_tags)
            return core::Error::invalid("a run has at most 32 tags, not " + std::to_string(tags.size()));
        patch.tags = std::move(tags);
    }
    return {};
}

AnnotationStore::AnnotationStore(core::Database database, core::Statement upsert)
    : database_(std::move(database)), upsert_(std::move(upsert)) {}

core::Result<std::unique_ptr<AnnotationStore>> AnnotationStore::open(const std::filesystem::path& file) {
    std::error_code made;
    std::filesystem::create_directories(file.parent_path(), made);
    auto database = core::Database::open(file);
    if (!database) return core::Error::from(database.error(), "run annotations (" + file.string() + ")");
    if (auto created = database->exec(schema); !created)
        return core::Error::from(created.error(), "run annotations (" + file.string() + ")");
    auto upsert = database->prepare(
        "INSERT INTO run_annotations (run_id, run_path, note, tags, starred, updated_at, updated_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET run_path = excluded.run_path, "
        "note = excluded.note, tags = excluded.tags, starred = excluded.starred, "
        "updated_at = excluded.updated_at, updated_by = excluded.updated_by");
    if (!upsert) return upsert.error();
    auto select = database->prepare("SELECT run_id, note, tags, starred, updated_at, updated_by FROM run_annotations");
    if (!select) return select.error();
    std::unique_ptr<AnnotationStore> store(new AnnotationStore(std::move(*database), std::move(*upsert)));
    for (;;) {
        auto step = select->step();
        if (!step) return step.error();
        if (*step == core::Step::done) break;
        Annotations annotations;
        annotations.note = select->column_text(1);
        annotations.tags = tags_from_json(select->column_text(2));
        annotations.starred = select->column_int64(3) != 0;
        if (!select->column_is_null(4)) annotations.updated_at = select->column_double(4);
        annotations.updated_by = select->column_text(5);
        store->cache_.emplace(select->column_text(0), std::move(annotations));
    }
    return store;
}

Annotations AnnotationStore::get(const std::string& run_id) const {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(run_id);
    return it == cache_.end() ? Annotations{} : it->second;
}

std::vector<std::pair<std::string, Annotations>> AnnotationStore::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, Annotations>> out;
    out.reserve(cache_.size());
    for (const auto& [id, annotations] : cache_)
        if (!annotations.empty()) out.emplace_back(id, annotations);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

core::Result<Annotations> AnnotationStore::update(const std::string& run_id, const std::string& run_path,
                                                  const AnnotationsPatch& patch, const std::string& user, double now) {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(run_id);
    Annotations next = it == cache_.end() ? Annotations{} : it->second;
    if (patch.note) next.note = *patch.note;
    if (patch.tags) next.tags = *patch.tags;
    if (patch.starred) next.starred = *patch.starred;
    next.updated_at = now;
    next.updated_by = user;
    upsert_.reset();
    upsert_.bind(1, run_id)
        .bind(2, run_path)
        .bind(3, next.note)
        .bind(4, tags_json(next.tags))
        .bind(5, next.starred ? 1 : 0)
        .bind(6, now)
        .bind(7, user);
    if (auto written = upsert_.run(); !written)
        return core::Error::from(written.error(), "run annotations: cannot save");
    cache_[run_id] = next;
    return next;
}

}  // namespace ailab::runs
