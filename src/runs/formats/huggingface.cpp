#include "runs/formats/huggingface.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "runs/formats/hf_state.hpp"
#include "runs/formats/tf_event.hpp"
#include "runs/formats/tfevents_file.hpp"

namespace ailab::runs::formats {

namespace {

constexpr std::string_view state_name = "trainer_state.json";
constexpr std::string_view events_folder_name = "runs";
constexpr std::size_t max_state_bytes = std::size_t{64} << 20;
constexpr std::size_t max_listing_entries = 10000;
// How many checkpoint folders, from the newest, may be passed over for lacking their state file.
constexpr int checkpoint_tries = 3;
constexpr double no_step = -std::numeric_limits<double>::infinity();
constexpr std::size_t max_tail_bytes = std::size_t{1} << 40;  // per read: "no limit"

bool is_missing(const core::Error& error) {
    return error.is(boost::system::errc::no_such_file_or_directory) || error.is(boost::system::errc::not_a_directory);
}

bool same_step(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

std::string join(std::string_view folder, std::string_view name) {
    std::string path(folder);
    path.push_back('/');
    path += name;
    return path;
}

// The names of a folder's entries below `folder` (absolute) that satisfy `keep`, sorted; folders
// as "name/" like ResultsRoot::list. Empty when the folder cannot be listed.
template <class Keep>
std::vector<std::string> list_absolute(const std::string& folder, Keep keep) {
    std::vector<std::string> names;
    std::error_code error;
    for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        std::string name = it->path().filename().string();
        std::error_code type_error;
        if (it->is_directory(type_error)) name.push_back('/');
        if (keep(name)) names.push_back(std::move(name));
    }
    std::ranges::sort(names);
    return names;
}

bool is_folder_entry(std::string_view name) { return name.ends_with('/'); }
std::string_view without_slash(std::string_view name) { return name.substr(0, name.size() - 1); }
bool is_event_file_entry(std::string_view name) { return !is_folder_entry(name) && is_tfevents_name(name); }

// The checkpoint folders among listed entries, without their '/'.
std::vector<std::string> checkpoint_folders(const std::vector<std::string>& entries) {
    std::vector<std::string> names;
    for (const auto& entry : entries)
        if (is_folder_entry(entry) && is_checkpoint_name(without_slash(entry)))
            names.emplace_back(without_slash(entry));
    return names;
}

// One trainer_state.json that may be chosen, as last looked at.
struct StateFile {
    std::string name;                     // relative to the run's folder; empty: none
    FileIdentity identity;                // size -1: missing, or not looked at
    bool usable = false;                  // it parsed
    double global_step = no_step;         // when usable
    std::optional<HfTrainerState> state;  // the parsed file, held during one read only
};

class HuggingFaceReader final : public RunReader {
public:
    ReadStatus read(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                    std::size_t max_bytes) override;
    std::uint64_t position() const override { return count_; }
    FileIdentity identity() const override;
    const std::string& error() const override { return error_; }
    bool changed_on_disk(const std::string& run_folder) const override;

private:
    enum class Look { found, missing, unreadable };

    // Hands events from the tails to the reader during one read.
    class EventRecords final : public EventFileTail::Visitor {
    public:
        EventRecords(HuggingFaceReader& reader, RecordSink& sink) : reader_(reader), sink_(sink) {}
        void event(const TfEvent& event, std::uint64_t /*offset*/) override { reader_.add_event(event, sink_); }
        void bad_record() override { sink_.bad_record(); }
        // A replaced or truncated event file: its events come again, maybe others.
        void restart() override { reader_.events_restarted_ = true; }

    private:
        HuggingFaceReader& reader_;
        RecordSink& sink_;
    };

    struct Tail {
        std::string name;  // the file's name in the events folder
        std::unique_ptr<EventFileTail> tail;
    };

    Look look(const ResultsRoot& root, std::string_view run_path, StateFile& file, bool force);
    StateFile* choose_state(const ResultsRoot& root, std::string_view run_path, const std::vector<std::string>& entries,
                            bool& unreadable);
    void start_over(RecordSink& sink);
    bool apply_state(const HfTrainerState& state, RecordSink& sink);
    void choose_events_folder(const ResultsRoot& root, std::string_view run_path,
                              const std::vector<std::string>& entries, RecordSink& sink);
    ReadStatus read_events(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                           std::size_t max_bytes);
    void add_event(const TfEvent& event, RecordSink& sink);
    void flush_events(RecordSink& sink);
    std::uint64_t event_bytes() const;

    std::string error_;
    bool started_ = false;     // the first reset was sent
    std::uint64_t count_ = 0;  // records emitted since the last reset: the next position
    bool emitted_ = false;     // something was emitted, reset or counted during this read

    // The state files looked at, and the one whose entries were emitted.
    StateFile root_state_;
    StateFile checkpoint_state_;
    StateFile passed_over_;          // a newer checkpoint's state that did not parse
    std::string newest_checkpoint_;  // the newest checkpoint folder listed, with or without a state
    std::string applied_name_;
    FileIdentity applied_identity_;
    std::vector<double> applied_steps_;  // the steps of its log_history, entry by entry
    std::optional<double> max_steps_;
    double covered_step_ = no_step;  // the largest step of the state's entries

    // The events: the chosen runs/ subfolder, the subfolders listed when it was chosen, its files.
    std::string events_folder_;  // relative to the run's folder ("runs/<date>"); empty: none
    std::vector<std::string> runs_listing_;
    std::vector<Tail> tails_;
    double event_step_ = no_step;          // the largest step emitted from events
    std::vector<std::string> event_keys_;  // the keys emitted from events at event_step_
    bool events_restarted_ = false;        // an event file restarted during this read

    // The events of one step not yet emitted (one record per step and read).
    double pending_step_ = no_step;
    double pending_epoch_ = absent;
    std::vector<std::pair<std::string, double>> pending_;
    std::string key_;   // reused by add_event()
    std::string text_;  // reused by look()
    ParsedLine values_;
};

// Opens the state file `file.name` and, when its identity differs from the one cached (or when
// `force`), reads and parses it. A file that does not parse (the Trainer writes it in place, so it
// may be half written) or is too large is found but not usable until its identity changes.
HuggingFaceReader::Look HuggingFaceReader::look(const ResultsRoot& root, std::string_view run_path, StateFile& file,
                                                bool force) {
    auto opened = root.open_for_reading(join(run_path, file.name));
    if (!opened) {
        file.identity = FileIdentity{};
        file.usable = false;
        if (is_missing(opened.error())) return Look::missing;
        error_ = opened.error().message;
        return Look::unreadable;
    }
    struct stat status {};
    if (::fstat(opened->get(), &status) != 0) {
        error_ = std::strerror(errno);
        return Look::unreadable;
    }
    FileIdentity seen = identity_of(status);
    if (seen == file.identity && !force) return Look::found;  // as before: its global_step stands
    file.identity = seen;
    file.usable = false;
    file.state.reset();
    if (seen.size > static_cast<std::int64_t>(max_state_bytes)) {
        error_ = file.name + " is larger than 64 MiB";
        return Look::found;
    }
    text_.resize(static_cast<std::size_t>(seen.size));
    auto got = read_at(opened->get(), text_.data(), text_.size(), 0);
    if (!got) {
        file.identity = FileIdentity{};  // tried again next time
        error_ = got.error().message;
        return Look::unreadable;
    }
    auto parsed = parse_trainer_state(std::string_view(text_.data(), *got));
    if (!parsed) {
        error_ = file.name + ": " + parsed.error().message;
        return Look::found;
    }
    file.usable = true;
    file.global_step = parsed->global_step.value_or(0);
    file.state = std::move(*parsed);
    return Look::found;
}

// The state file to read: of the root's and the newest checkpoint's that parse, the one with the
// larger global_step (the root on ties). nullptr when none is usable.
StateFile* HuggingFaceReader::choose_state(const ResultsRoot& root, std::string_view run_path,
                                           const std::vector<std::string>& entries, bool& unreadable) {
    bool has_root = std::ranges::find(entries, state_name) != entries.end();
    if (has_root) {
        if (root_state_.name.empty()) root_state_.name = state_name;
        unreadable = look(root, run_path, root_state_, false) == Look::unreadable;
    } else {
        root_state_ = StateFile{};
    }

    // The newest checkpoint whose state file parses. The file chosen last time keeps its cache, and
    // so does a newer one passed over (half written, or broken), so neither is parsed again until
    // it changes.
    std::vector<std::string> checkpoints = checkpoint_folders(entries);
    newest_checkpoint_ = newest_checkpoint(checkpoints).value_or("");
    bool checkpoint_found = false;
    for (int tries = 0; tries < checkpoint_tries && !checkpoint_found; ++tries) {
        auto newest = newest_checkpoint(checkpoints);
        if (!newest) break;
        std::erase(checkpoints, *newest);
        std::string name = join(*newest, state_name);
        StateFile other{name};
        StateFile& file = name == checkpoint_state_.name ? checkpoint_state_
                          : name == passed_over_.name    ? passed_over_
                                                         : other;
        Look result = look(root, run_path, file, false);
        if (result == Look::unreadable) unreadable = true;
        if (result != Look::found) continue;
        if (!file.usable) {
            if (&file == &other) passed_over_ = std::move(other);
            continue;
        }
        checkpoint_found = true;
        bool was_passed_over = &file == &passed_over_;
        if (&file != &checkpoint_state_) checkpoint_state_ = std::move(file);
        if (was_passed_over) passed_over_ = StateFile{};
    }
    if (!checkpoint_found) checkpoint_state_ = StateFile{};

    StateFile* chosen = root_state_.usable ? &root_state_ : nullptr;
    if (checkpoint_state_.usable && (chosen == nullptr || checkpoint_state_.global_step > chosen->global_step))
        chosen = &checkpoint_state_;
    return chosen;
}

void HuggingFaceReader::start_over(RecordSink& sink) {
    sink.reset();
    emitted_ = true;
    count_ = 0;
    applied_name_.clear();
    applied_identity_ = FileIdentity{};
    applied_steps_.clear();
    covered_step_ = no_step;
    for (Tail& tail : tails_) tail.tail = std::make_unique<EventFileTail>(std::string(tail.tail->relative()));
    event_step_ = no_step;
    event_keys_.clear();
    pending_.clear();
    pending_step_ = no_step;
}

// Emits what `state` adds to the records; false when it is a restart (the caller starts over).
bool HuggingFaceReader::apply_state(const HfTrainerState& state, RecordSink& sink) {
    const auto& history = state.log_history;
    std::size_t known = applied_steps_.size();
    if (history.size() < known ||
        !std::ranges::equal(history.begin(), history.begin() + static_cast<std::ptrdiff_t>(known),
                            applied_steps_.begin(), applied_steps_.end(), same_step, &HfLogEntry::step))
        return false;

    // The entries to emit: the new ones, less the steps the events showed already.
    std::vector<std::pair<std::size_t, bool>> chosen;  // index, only the keys the events lacked
    for (std::size_t i = known; i < history.size(); ++i) {
        double step = history[i].step;
        if (present(step) && step < event_step_) continue;
        bool partial = present(step) && step == event_step_;
        if (partial && std::ranges::all_of(history[i].values, [&](const auto& value) {
                return std::ranges::find(event_keys_, value.first) != event_keys_.end();
            }))
            continue;
        chosen.emplace_back(i, partial);
    }
    for (std::size_t i = known; i < history.size(); ++i) {
        applied_steps_.push_back(history[i].step);
        if (present(history[i].step)) covered_step_ = std::max(covered_step_, history[i].step);
    }
    max_steps_ = state.max_steps;
    if (chosen.empty()) return true;

    sink.begin_batch();
    for (std::size_t n = 0; n < chosen.size(); ++n) {
        const HfLogEntry& entry = history[chosen[n].first];
        bool last = n + 1 == chosen.size();
        values_.clear();
        values_.step = entry.step;
        values_.epoch = entry.epoch;
        for (const auto& [key, value] : entry.values) {
            if (chosen[n].second && std::ranges::find(event_keys_, key) != event_keys_.end()) continue;
            values_.metrics.push_back(MetricValue{key, value});
        }
        if (last) {
            if (!present(values_.epoch) && state.epoch) values_.epoch = *state.epoch;
            if (state.max_steps && state.global_step) {
                values_.progress = std::min(1.0, *state.global_step / *state.max_steps);
                if (*state.global_step >= *state.max_steps) {
                    values_.has_goal = true;
                    values_.goal = "done";
                }
            }
        }
        sink.record(values_, count_++);
    }
    sink.end_batch();
    emitted_ = true;
    return true;
}

// Picks the runs/ subfolder whose newest event file changed last, when the subfolders listed
// differ from the last time (a new training process makes a new one) or none had event files.
void HuggingFaceReader::choose_events_folder(const ResultsRoot& root, std::string_view run_path,
                                             const std::vector<std::string>& entries, RecordSink& sink) {
    std::vector<std::string> listing;
    std::string runs_path = join(run_path, events_folder_name);
    if (std::ranges::find(entries, std::string(events_folder_name) + "/") != entries.end()) {
        if (auto listed = root.list(runs_path, max_listing_entries)) listing = std::move(*listed);
        std::erase_if(listing, [](const std::string& name) { return !is_folder_entry(name); });
    }
    if (listing == runs_listing_ && (!events_folder_.empty() || listing.empty())) return;
    runs_listing_ = listing;

    std::string best;
    std::int64_t best_mtime = std::numeric_limits<std::int64_t>::min();
    for (const auto& subfolder : listing) {
        std::string folder = join(runs_path, without_slash(subfolder));
        auto files = root.list(folder, max_listing_entries);
        if (!files) continue;
        for (const auto& file : *files) {
            if (!is_event_file_entry(file)) continue;
            auto opened = root.open_for_reading(join(folder, file));
            struct stat status {};
            if (!opened || ::fstat(opened->get(), &status) != 0) continue;
            std::int64_t mtime = identity_of(status).mtime_ns;
            if (mtime >= best_mtime) {
                best_mtime = mtime;
                best = join(events_folder_name, without_slash(subfolder));
            }
        }
    }
    if (best == events_folder_) return;
    // Records already shown from the old folder's events would stay: read everything again.
    if (event_step_ > covered_step_) start_over(sink);
    events_folder_ = std::move(best);
    tails_.clear();
    pending_.clear();
}

void HuggingFaceReader::add_event(const TfEvent& event, RecordSink& sink) {
    if (!event.has_summary || event.scalars.empty()) return;
    auto step = static_cast<double>(event.step);
    if (step <= covered_step_ || step < event_step_) return;  // shown from the state, or went back
    if (step != pending_step_) flush_events(sink);
    pending_step_ = step;
    for (const TfScalar& scalar : event.scalars) {
        hf_key_of_tag(scalar.tag, key_);
        if (key_ == "epoch") {
            pending_epoch_ = scalar.value;
            continue;
        }
        auto it = std::ranges::find(pending_, key_, &std::pair<std::string, double>::first);
        if (it != pending_.end())
            it->second = scalar.value;
        else
            pending_.emplace_back(key_, scalar.value);
    }
}

void HuggingFaceReader::flush_events(RecordSink& sink) {
    if (pending_.empty()) {
        pending_epoch_ = absent;
        return;
    }
    values_.clear();
    values_.step = pending_step_;
    values_.epoch = pending_epoch_;
    if (max_steps_) values_.progress = std::min(1.0, pending_step_ / *max_steps_);
    for (const auto& [key, value] : pending_) values_.metrics.push_back(MetricValue{key, value});
    sink.record(values_, count_++);
    if (pending_step_ > event_step_) event_keys_.clear();
    event_step_ = pending_step_;
    for (auto& [key, value] : pending_)
        if (std::ranges::find(event_keys_, key) == event_keys_.end()) event_keys_.push_back(std::move(key));
    pending_.clear();
    pending_epoch_ = absent;
    emitted_ = true;
}

ReadStatus HuggingFaceReader::read_events(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                                          std::size_t max_bytes) {
    if (events_folder_.empty()) return ReadStatus::unchanged;
    std::string folder = join(run_path, events_folder_);
    auto files = context.root.list(folder, max_listing_entries);
    if (!files) return ReadStatus::unchanged;  // gone: chosen again when runs/ changes
    for (const auto& file : *files) {
        if (!is_event_file_entry(file) || std::ranges::find(tails_, file, &Tail::name) != tails_.end()) continue;
        tails_.push_back(Tail{file, std::make_unique<EventFileTail>(join(folder, file))});
    }
    std::ranges::sort(tails_, {}, &Tail::name);

    ReadStatus result = ReadStatus::unchanged;
    EventRecords visitor(*this, sink);
    sink.begin_batch();
    for (Tail& tail : tails_) {
        std::uint64_t before = tail.tail->offset();
        // Clamped so that offset + max_bytes cannot overflow inside the tail.
        auto outcome = tail.tail->read(context, visitor, std::min(max_bytes, max_tail_bytes));
        std::uint64_t consumed = tail.tail->offset() - std::min(before, tail.tail->offset());
        if (consumed > 0) result = ReadStatus::appended;
        max_bytes -= std::min<std::size_t>(max_bytes, consumed);
        if (outcome.status == ReadStatus::more || (max_bytes == 0 && outcome.status == ReadStatus::appended)) {
            result = ReadStatus::more;
            break;
        }
    }
    flush_events(sink);
    sink.end_batch();
    if (events_restarted_) {
        // What came from the old bytes may not be there any more: read everything again.
        events_restarted_ = false;
        start_over(sink);
        return ReadStatus::more;
    }
    return result;
}

ReadStatus HuggingFaceReader::read(const ReadContext& context, std::string_view run_path, RecordSink& sink,
                                   std::size_t max_bytes) {
    auto listed = context.root.list(run_path, max_listing_entries);
    if (!listed) {
        error_ = listed.error().message;
        return is_missing(listed.error()) ? ReadStatus::vanished : ReadStatus::unreadable;
    }
    const std::vector<std::string>& entries = *listed;
    bool marked = std::ranges::find(entries, state_name) != entries.end() || !checkpoint_folders(entries).empty();
    if (!marked) {
        error_ = "no trainer_state.json or checkpoint folder is left";
        return ReadStatus::vanished;
    }
    emitted_ = false;
    if (!started_) {
        started_ = true;
        start_over(sink);  // the first read
    }

    choose_events_folder(context.root, run_path, entries, sink);
    bool unreadable = false;
    StateFile* chosen = choose_state(context.root, run_path, entries, unreadable);
    if (chosen != nullptr && (chosen->name != applied_name_ || !(chosen->identity == applied_identity_))) {
        // A file cached from an earlier read is parsed again (only the chosen one's entries are kept).
        if (!chosen->state) look(context.root, run_path, *chosen, true);
        if (chosen->state) {
            if (!apply_state(*chosen->state, sink)) {
                start_over(sink);  // a restart from an earlier checkpoint
                apply_state(*chosen->state, sink);
            }
            applied_name_ = chosen->name;
            applied_identity_ = chosen->identity;
        }
    }
    root_state_.state.reset();
    checkpoint_state_.state.reset();
    if (chosen == nullptr && unreadable && applied_name_.empty()) return ReadStatus::unreadable;
    if (!unreadable) error_.clear();

    ReadStatus events = read_events(context, run_path, sink, max_bytes);
    if (events == ReadStatus::more) return ReadStatus::more;
    return emitted_ || events == ReadStatus::appended ? ReadStatus::appended : ReadStatus::unchanged;
}

std::uint64_t HuggingFaceReader::event_bytes() const {
    std::uint64_t bytes = 0;
    for (const Tail& tail : tails_) bytes += tail.tail->offset();
    return bytes;
}

FileIdentity HuggingFaceReader::identity() const {
    FileIdentity identity = applied_identity_;
    identity.size = std::max<std::int64_t>(identity.size, 0) + static_cast<std::int64_t>(event_bytes());
    for (const Tail& tail : tails_) identity.mtime_ns = std::max(identity.mtime_ns, tail.tail->identity().mtime_ns);
    return identity;
}

bool HuggingFaceReader::changed_on_disk(const std::string& run_folder) const {
    // A state file that appeared, went or changed.
    auto differs = [&](const StateFile& file, const std::string& name) {
        auto seen = stat_identity(join(run_folder, name));
        if (!seen) return file.identity.size >= 0;
        return !(*seen == file.identity);
    };
    if (differs(root_state_, std::string(state_name))) return true;
    auto entries = list_absolute(run_folder, [](const std::string& name) {
        return is_folder_entry(name) && is_checkpoint_name(without_slash(name));
    });
    std::vector<std::string> checkpoints;
    checkpoints.reserve(entries.size());
    for (const auto& entry : entries) checkpoints.emplace_back(without_slash(entry));
    if (newest_checkpoint(checkpoints).value_or("") != newest_checkpoint_) return true;
    if (!checkpoint_state_.name.empty() && differs(checkpoint_state_, checkpoint_state_.name)) return true;
    std::string newest_state = newest_checkpoint_.empty() ? "" : join(newest_checkpoint_, state_name);
    if (!newest_state.empty() && newest_state != checkpoint_state_.name &&
        differs(newest_state == passed_over_.name ? passed_over_ : StateFile{}, newest_state))
        return true;  // the newest checkpoint got its state file, or it changed

    // The events: other subfolders, other files, or files that changed.
    auto subfolders = list_absolute(join(run_folder, events_folder_name), is_folder_entry);
    if (subfolders != runs_listing_) return true;
    if (events_folder_.empty()) return false;
    auto files = list_absolute(join(run_folder, events_folder_), is_event_file_entry);
    if (files.size() != tails_.size()) return true;
    return !std::ranges::all_of(tails_, [&](const Tail& tail) {
        auto seen = stat_identity(join(join(run_folder, events_folder_), tail.name));
        return seen && *seen == tail.tail->identity();
    });
}

int marker_rank(std::string_view name, bool is_folder) {
    if (is_folder) return is_checkpoint_name(name) ? 3 : 0;
    return name == state_name ? 3 : 0;
}

bool watches(std::string_view name) {
    return name == state_name || is_checkpoint_name(name) || name == events_folder_name;
}

std::unique_ptr<RunReader> make_reader(std::string_view /*marker*/) { return std::make_unique<HuggingFaceReader>(); }

}  // namespace

const Format& huggingface_format() {
    static const Format format{RunFormat::huggingface, marker_rank, make_reader, watches, false, true};
    return format;
}

}  // namespace ailab::runs::formats
