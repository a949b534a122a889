#include "runs/formats/tensorboard.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "runs/formats/tfevents_file.hpp"

namespace ailab::runs::formats {

namespace {

constexpr std::size_t max_listed_entries = 10000;
constexpr std::size_t max_subfolders = 256;
constexpr double no_limit = std::numeric_limits<double>::infinity();

bool is_gone(const core::Error& error) {
    return error.is(boost::system::errc::no_such_file_or_directory) || error.is(boost::system::errc::not_a_directory);
}

// An event file's name in a listing (folders end in '/'; hidden names are skipped).
bool is_event_file(std::string_view name) {
    return !name.empty() && name.front() != '.' && name.back() != '/' && is_tfevents_name(name);
}

bool is_subfolder(std::string_view name) { return name.size() > 1 && name.front() != '.' && name.back() == '/'; }

// The purge points of one scope (every tag, or one tag): a point (position p, step s) drops the
// points at positions before p whose step is >= s.
class PurgePoints {
public:
    bool empty() const { return positions_.empty(); }
    bool contains(std::uint64_t position) const { return std::ranges::binary_search(positions_, position); }
    void add(std::uint64_t position, double step) {
        auto at = std::ranges::lower_bound(positions_, position) - positions_.begin();
        positions_.insert(positions_.begin() + at, position);
        steps_.insert(steps_.begin() + at, step);
        suffix_minimum_.resize(steps_.size());
        double lowest = no_limit;
        for (std::size_t i = steps_.size(); i-- > 0;) suffix_minimum_[i] = lowest = std::min(lowest, steps_[i]);
    }
    // The lowest step dropped at `position`: the smallest step of the points after it.
    double limit(std::uint64_t position) const {
        auto after = std::ranges::upper_bound(positions_, position) - positions_.begin();
        return static_cast<std::size_t>(after) < suffix_minimum_.size() ? suffix_minimum_[after] : no_limit;
    }

private:
    std::vector<std::uint64_t> positions_;  // sorted
    std::vector<double> steps_;
    std::vector<double> suffix_minimum_;
};

// An event file of the run folder: its records are the run's.
struct RootFile {
    std::string name;
    EventFileTail tail;
    std::uint64_t base = 0;  // the global position of its byte 0, once started
    bool started = false;
};

// An event file one sub-folder down ("<folder>/<name>"): read for its hparams only.
struct SubFile {
    std::string name;
    EventFileTail tail;
    boost::json::object hparams;
    bool has_hparams = false;
};

class TensorBoardReader final : public RunReader {
public:
    ReadStatus read(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                    std::size_t max_bytes) override {
        bool restarted = false;
        for (int attempt = 0;; ++attempt) {
            ReadStatus status = read_pass(context, run_path, sink, max_bytes);
            if (restart_ == Restart::none) {
                return restarted && status == ReadStatus::unchanged ? ReadStatus::appended : status;
            }
            // A new purge point, or files replaced: forget everything and read again from 0.
            restart_all(sink);
            restarted = true;
            if (attempt == 2) return ReadStatus::more;  // files that keep changing: the next call goes on
        }
    }
    std::uint64_t position() const override { return position_; }
    FileIdentity identity() const override { return identity_; }
    const std::string& error() const override { return error_; }
    bool changed_on_disk(const std::string& run_folder) const override;

private:
    enum class Restart { none, purge, files };

    class RootVisitor;
    class SubVisitor;

    ReadStatus read_pass(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                         std::size_t max_bytes);
    ReadStatus read_root_files(const ReadContext& context, RecordSink& sink, std::size_t max_bytes);
    void read_sub_files(const ReadContext& context, std::string_view run_path, const std::vector<std::string>& folders,
                        RecordSink& sink, std::size_t max_bytes, ReadStatus& status);
    void send_params(RecordSink& sink);
    void restart_all(RecordSink& sink);

    void root_event(RecordSink& sink, const RootFile& file, const TfEvent& event, std::uint64_t position);
    void find_purges(const TfEvent& event, std::uint64_t position);
    void add_purge(PurgePoints& points, std::uint64_t position, double step);
    void emit(RecordSink& sink, const RootFile& file, const TfEvent& event, std::uint64_t position);

    std::vector<RootFile> root_files_;  // in name order
    std::vector<SubFile> sub_files_;    // in name order
    // Kept across the resets they cause: a fresh pass finds the same points again. Cleared when
    // files are replaced (the positions no longer mean the same bytes).
    PurgePoints every_tag_purges_;
    std::map<std::string, PurgePoints, std::less<>> tag_purges_;
    // What the purge search has seen so far in this pass from 0 (every event, dropped or not).
    std::map<std::string, double, std::less<>> last_step_;  // per tag
    double largest_step_ = -no_limit;
    bool any_scalar_ = false;
    Restart restart_ = Restart::none;

    boost::json::object root_hparams_;  // the last session_start_info of the run folder's files
    bool has_root_hparams_ = false;
    boost::json::object sent_params_;  // what format_params last had
    bool params_unsent_ = false;       // after a reset: send them again

    std::uint64_t position_ = 0;
    FileIdentity identity_;
    std::string error_;
    ParsedLine values_;  // reused for every record
};

class TensorBoardReader::RootVisitor final : public EventFileTail::Visitor {
public:
    RootVisitor(TensorBoardReader& reader, RecordSink& sink, const RootFile& file, std::uint64_t end)
        : reader_(reader), sink_(sink), file_(file), end_(end) {}
    void restart() override { reader_.restart_ = Restart::files; }
    void event(const TfEvent& event, std::uint64_t offset) override {
        if (reader_.restart_ == Restart::files) return;
        std::uint64_t position = file_.base + offset;
        // Past the start of the next file: this file grew after a later one was read.
        if (position >= end_) {
            reader_.restart_ = Restart::files;
            return;
        }
        reader_.root_event(sink_, file_, event, position);
    }
    void bad_record() override {
        if (reader_.restart_ == Restart::none) sink_.bad_record();
    }

private:
    TensorBoardReader& reader_;
    RecordSink& sink_;
    const RootFile& file_;
    std::uint64_t end_;
};

class TensorBoardReader::SubVisitor final : public EventFileTail::Visitor {
public:
    SubVisitor(RecordSink& sink, SubFile& file) : sink_(sink), file_(file) {}
    void restart() override {
        file_.hparams.clear();
        file_.has_hparams = false;
    }
    // Only the hparams: this folder's scalars and images belong to the hparams session (or to an
    // add_scalars series), not to the run's records.
    void event(const TfEvent& event, std::uint64_t) override {
        if (event.hparams_content.empty()) return;
        auto hparams = decode_hparams(event.hparams_content);
        if (!hparams || hparams->empty()) return;
        file_.hparams = std::move(*hparams);
        file_.has_hparams = true;
    }
    void bad_record() override { sink_.bad_record(); }

private:
    RecordSink& sink_;
    SubFile& file_;
};

ReadStatus TensorBoardReader::read_pass(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                                        std::size_t max_bytes) {
    auto names = context.root.list(run_path, max_listed_entries);
    if (!names) {
        error_ = "cannot list the run folder: " + names.error().message;
        return is_gone(names.error()) ? ReadStatus::vanished : ReadStatus::unreadable;
    }
    std::vector<std::string> files;
    std::vector<std::string> folders;
    for (auto& name : *names) {
        if (is_event_file(name)) {
            files.push_back(std::move(name));
        } else if (is_subfolder(name) && folders.size() < max_subfolders) {
            folders.push_back(std::move(name));
        }
    }
    if (files.empty()) {
        error_ = "no event file";
        return ReadStatus::vanished;
    }
    // The files read so far must still come first (new ones sort after them); else a file went
    // away or one appeared before the last: read everything again.
    bool known_first =
        root_files_.size() <= files.size() &&
        std::ranges::equal(root_files_, std::span(files).first(root_files_.size()), std::equal_to<>(), &RootFile::name);
    if (!known_first) {
        restart_ = Restart::files;
        return ReadStatus::appended;
    }
    for (std::size_t i = root_files_.size(); i < files.size(); ++i) {
        std::string relative(run_path);
        relative += '/';
        relative += files[i];
        root_files_.push_back(RootFile{std::move(files[i]), EventFileTail(std::move(relative))});
    }

    sink.begin_batch();
    ReadStatus status = read_root_files(context, sink, max_bytes);
    if (status == ReadStatus::unreadable) {
        sink.end_batch();
        return status;
    }
    if (restart_ == Restart::none) {
        read_sub_files(context, run_path, folders, sink, max_bytes, status);
        send_params(sink);
    }
    sink.end_batch();

    // The newest file stands for the run, with the size of all of them (a change anywhere shows).
    std::int64_t total = 0;
    for (const auto& file : root_files_) total += std::max<std::int64_t>(file.tail.identity().size, 0);
    for (const auto& file : sub_files_) total += std::max<std::int64_t>(file.tail.identity().size, 0);
    identity_ = root_files_.back().tail.identity();
    identity_.size = total;
    error_.clear();
    return status;
}

ReadStatus TensorBoardReader::read_root_files(const ReadContext& context, RecordSink& sink, std::size_t max_bytes) {
    ReadStatus status = ReadStatus::unchanged;
    std::uint64_t consumed = 0;
    for (std::size_t i = 0; i < root_files_.size(); ++i) {
        RootFile& file = root_files_[i];
        if (consumed >= max_bytes) return ReadStatus::more;
        if (!file.started) {
            const RootFile* previous = i > 0 ? &root_files_[i - 1] : nullptr;
            file.base = previous != nullptr ? previous->base + previous->tail.offset() : 0;
            file.started = true;
        }
        bool has_next = i + 1 < root_files_.size() && root_files_[i + 1].started;
        std::uint64_t end = has_next ? root_files_[i + 1].base : UINT64_MAX;
        RootVisitor visitor(*this, sink, file, end);
        std::uint64_t before = file.tail.offset();
        auto outcome = file.tail.read(context, visitor, static_cast<std::size_t>(max_bytes - consumed));
        if (outcome.status == ReadStatus::unreadable) {
            error_ = file.tail.error();
            return ReadStatus::unreadable;
        }
        if (outcome.status == ReadStatus::vanished) {
            // Gone since the listing. Never read (a dangling link, say): it counts as empty, and
            // should it come back with events it is an earlier file that grew.
            if (file.tail.identity().size >= 0) restart_ = Restart::files;
        }
        if (restart_ == Restart::files) return ReadStatus::appended;
        if (file.base + file.tail.offset() > end) {
            restart_ = Restart::files;  // grew by bytes that held no event (bad records)
            return ReadStatus::appended;
        }
        consumed += file.tail.offset() > before ? file.tail.offset() - before : 0;
        position_ = file.base + file.tail.offset();
        if (outcome.status == ReadStatus::more) return ReadStatus::more;
        if (outcome.status == ReadStatus::appended) status = ReadStatus::appended;
    }
    return status;
}

void TensorBoardReader::read_sub_files(const ReadContext& context, std::string_view run_path,
                                       const std::vector<std::string>& folders, RecordSink& sink, std::size_t max_bytes,
                                       ReadStatus& status) {
    std::vector<std::string> names;
    for (const auto& folder : folders) {
        std::string relative(run_path);
        relative += '/';
        relative.append(folder, 0, folder.size() - 1);
        auto inner = context.root.list(relative, max_listed_entries);
        if (!inner) continue;  // gone since the listing, or unreadable: no hparams from it
        for (const auto& name : *inner) {
            if (is_event_file(name)) names.push_back(folder + name);
        }
    }
    // Keep the tails of the files still there (both lists are in name order).
    if (!std::ranges::equal(sub_files_, names, std::equal_to<>(), &SubFile::name)) {
        std::vector<SubFile> kept;
        auto old = sub_files_.begin();
        for (auto& name : names) {
            while (old != sub_files_.end() && old->name < name) ++old;
            if (old != sub_files_.end() && old->name == name) {
                kept.push_back(std::move(*old));
            } else {
                std::string relative(run_path);
                relative += '/';
                relative += name;
                kept.push_back(SubFile{std::move(name), EventFileTail(std::move(relative))});
            }
        }
        sub_files_ = std::move(kept);
    }
    for (auto& file : sub_files_) {
        SubVisitor visitor(sink, file);
        auto outcome = file.tail.read(context, visitor, max_bytes);
        if (outcome.status == ReadStatus::more) status = ReadStatus::more;
        if (outcome.status == ReadStatus::appended && status == ReadStatus::unchanged) status = ReadStatus::appended;
        // vanished or unreadable: it counts as holding no hparams until it can be read.
    }
}

void TensorBoardReader::send_params(RecordSink& sink) {
    const boost::json::object* params = has_root_hparams_ ? &root_hparams_ : nullptr;
    for (const auto& file : sub_files_) {
        if (file.has_hparams) params = &file.hparams;
    }
    static const boost::json::object none;
    const boost::json::object& current = params != nullptr ? *params : none;
    if (current == sent_params_ && !(params_unsent_ && !current.empty())) return;
    sent_params_ = current;
    params_unsent_ = false;
    sink.format_params(current);
}

void TensorBoardReader::restart_all(RecordSink& sink) {
    sink.reset();
    if (restart_ == Restart::files) {
        every_tag_purges_ = PurgePoints();
        tag_purges_.clear();
    }
    restart_ = Restart::none;
    root_files_.clear();
    sub_files_.clear();
    last_step_.clear();
    largest_step_ = -no_limit;
    any_scalar_ = false;
    root_hparams_.clear();
    has_root_hparams_ = false;
    params_unsent_ = true;
    position_ = 0;
}

void TensorBoardReader::root_event(RecordSink& sink, const RootFile& file, const TfEvent& event,
                                   std::uint64_t position) {
    if (event.session_start) {
        // TensorBoard drops every tag's points from the session's step on, if there are any.
        auto step = static_cast<double>(event.step);
        if (any_scalar_ && step <= largest_step_) add_purge(every_tag_purges_, position, step);
        return;
    }
    if (!event.hparams_content.empty()) {
        if (auto hparams = decode_hparams(event.hparams_content); hparams && !hparams->empty()) {
            root_hparams_ = std::move(*hparams);
            has_root_hparams_ = true;
        }
    }
    find_purges(event, position);
    // After a new purge point, this pass only looks for more of them: everything is read again.
    if (restart_ == Restart::none) emit(sink, file, event, position);
}

void TensorBoardReader::find_purges(const TfEvent& event, std::uint64_t position) {
    if (event.scalars.empty()) return;
    auto step = static_cast<double>(event.step);
    for (const auto& scalar : event.scalars) {
        auto last = last_step_.find(scalar.tag);
        if (last == last_step_.end()) {
            last_step_.emplace(std::string(scalar.tag), step);  // once per tag
            continue;
        }
        if (step < last->second) {
            auto points = tag_purges_.find(scalar.tag);
            if (points == tag_purges_.end()) points = tag_purges_.emplace(std::string(scalar.tag), PurgePoints()).first;
            add_purge(points->second, position, step);
        }
        last->second = step;
    }
    largest_step_ = any_scalar_ ? std::max(largest_step_, step) : step;
    any_scalar_ = true;
}

void TensorBoardReader::add_purge(PurgePoints& points, std::uint64_t position, double step) {
    if (points.contains(position)) return;
    points.add(position, step);
    if (restart_ == Restart::none) restart_ = Restart::purge;
}

void TensorBoardReader::emit(RecordSink& sink, const RootFile& file, const TfEvent& event, std::uint64_t position) {
    auto step = static_cast<double>(event.step);
    if (step >= every_tag_purges_.limit(position)) return;  // a later session purged it
    std::string_view record = file.tail.record();
    auto record_start = reinterpret_cast<std::uintptr_t>(record.data());
    for (const auto& image : event.images) {
        auto start = reinterpret_cast<std::uintptr_t>(image.encoded.data());
        if (image.encoded.empty() || start < record_start ||
            start - record_start + image.encoded.size() > record.size())
            continue;
        RunImage listed;
        listed.tag = std::string(image.tag);
        listed.step = step;
        listed.wall_time = std::isnan(event.wall_time) ? 0 : event.wall_time;
        listed.width = static_cast<int>(std::clamp<std::int64_t>(image.width, 0, std::int64_t{1} << 20));
        listed.height = static_cast<int>(std::clamp<std::int64_t>(image.height, 0, std::int64_t{1} << 20));
        listed.file = file.name;
        listed.offset = file.tail.record_offset() + (start - record_start);
        listed.bytes = image.encoded.size();
        listed.type = std::string(image_type(image.encoded));
        sink.image(std::move(listed));
    }
    if (event.scalars.empty()) return;
    values_.clear();
    values_.step = step;
    if (!std::isnan(event.wall_time)) values_.timestamp = event.wall_time;
    for (const auto& scalar : event.scalars) {
        if (!tag_purges_.empty()) {
            auto points = tag_purges_.find(scalar.tag);
            if (points != tag_purges_.end() && step >= points->second.limit(position)) continue;
        }
        values_.metrics.push_back(MetricValue{scalar.tag, scalar.value});
    }
    if (!values_.metrics.empty()) sink.record(values_, position);
}

// --- changed_on_disk: names and stat() only ------------------------------------------------------

struct SeenFile {
    std::string name;  // as the reader names it: "<file>" or "<folder>/<file>"
    std::int64_t size;
    std::int64_t mtime_ns;
};

using DirectoryHandle = std::unique_ptr<DIR, int (*)(DIR*)>;

DirectoryHandle open_directory(int at, const char* path) {
    int fd = ::openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return {nullptr, ::closedir};
    DIR* directory = ::fdopendir(fd);
    if (directory == nullptr) ::close(fd);
    return {directory, ::closedir};
}

// The event files of `directory` (regular files, links followed) into `out`; with `folders`, the
// names of its sub-folders (with a trailing '/') too.
void scan_directory(DIR* directory, const std::string& prefix, std::vector<SeenFile>& out,
                    std::vector<std::string>* folders) {
    while (const dirent* entry = ::readdir(directory)) {
        std::string_view name(entry->d_name);
        if (name.empty() || name.front() == '.') continue;
        bool maybe_folder = entry->d_type == DT_DIR || entry->d_type == DT_LNK || entry->d_type == DT_UNKNOWN;
        bool tfevents = is_tfevents_name(name);
        if (!tfevents && (folders == nullptr || !maybe_folder)) continue;
        struct stat status {};
        if (::fstatat(::dirfd(directory), entry->d_name, &status, 0) != 0) continue;
        if (S_ISDIR(status.st_mode)) {
            if (folders != nullptr) folders->push_back(std::string(name) + '/');
        } else if (tfevents && S_ISREG(status.st_mode)) {
            FileIdentity identity = identity_of(status);
            out.push_back(SeenFile{prefix + std::string(name), identity.size, identity.mtime_ns});
        }
    }
}

bool TensorBoardReader::changed_on_disk(const std::string& run_folder) const {
    DirectoryHandle directory = open_directory(AT_FDCWD, run_folder.c_str());
    if (!directory) return true;
    std::vector<SeenFile> seen;
    std::vector<std::string> folders;
    scan_directory(directory.get(), "", seen, &folders);
    std::ranges::sort(folders);
    if (folders.size() > max_subfolders) folders.resize(max_subfolders);
    for (const auto& folder : folders) {
        std::string name = folder.substr(0, folder.size() - 1);
        DirectoryHandle inner = open_directory(::dirfd(directory.get()), name.c_str());
        if (inner) scan_directory(inner.get(), folder, seen, nullptr);
    }
    std::ranges::sort(seen, {}, &SeenFile::name);

    std::vector<std::pair<std::string_view, const FileIdentity*>> known;
    known.reserve(root_files_.size() + sub_files_.size());
    // A file never read is left out: if it is on disk now, the counts differ; if it is not (a
    // dangling link), there is nothing to read.
    for (const auto& file : root_files_) {
        if (file.tail.identity().size >= 0) known.emplace_back(file.name, &file.tail.identity());
    }
    for (const auto& file : sub_files_) {
        if (file.tail.identity().size >= 0) known.emplace_back(file.name, &file.tail.identity());
    }
    std::ranges::sort(known, {}, &std::pair<std::string_view, const FileIdentity*>::first);
    if (known.size() != seen.size()) return true;
    return !std::ranges::equal(seen, known, [](const SeenFile& disk, const auto& read) {
        return disk.name == read.first && disk.size == read.second->size && disk.mtime_ns == read.second->mtime_ns;
    });
}

int marker_rank(std::string_view name, bool is_folder) { return !is_folder && is_tfevents_name(name) ? 5 : 0; }

bool watches(std::string_view name) { return is_tfevents_name(name); }

std::unique_ptr<RunReader> make_reader(std::string_view) { return std::make_unique<TensorBoardReader>(); }

}  // namespace

const Format& tensorboard_format() {
    static const Format format{RunFormat::tensorboard, marker_rank, make_reader, watches, false, false};
    return format;
}

}  // namespace ailab::runs::formats
