// The scheduling decision (see scheduler.hpp for the rules).
//
// Cost (bench/jobs_bench.cpp; <= 1 ms for 10,000 queued jobs): reading the jobs dominates, so each
// Job is read once, with its cache lines prefetched a few jobs ahead, into a flat array of sort
// keys and the few fields the decision needs. Ordering is skipped when the caller kept the queue in
// order, is one linear bucket pass by priority when the queue comes in submit order (a map by id),
// and a full sort otherwise. Dependencies are looked up in an open-addressing table built only when
// some queued job has `after`. The flat array and that table are kept per thread between rounds.
// Per job nothing is allocated but its reason: a repeating reason (every GPU job behind a full
// machine waits for the same GPUs) is formatted once and copied, and past the first 500 waiting
// jobs reasons are short texts that std::string holds inline (see WaitDecision).
//
// Within a round, a job whose dependency fails earlier in queue order fails at once; one whose
// dependency fails later in the round waits, and fails in the next round (the caller runs one after
// applying the failures, as after any change).

#include "jobs/scheduler.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <string_view>

namespace ailab::jobs {
namespace {

// ---------------------------------------------------------------------------------------------
// Text helpers: append to one scratch string, so building a reason allocates nothing new.

void append_number(std::string& out, std::int64_t value) {
    char digits[24];
    auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, end);
}

void append_gpu_count(std::string& out, std::int64_t count) {
    append_number(out, count);
    out += count == 1 ? " GPU" : " GPUs";
}

// Past this many waiting jobs (in queue order), reasons are short (see WaitDecision).
constexpr std::size_t worded_waits = 500;

// At most 15 characters, so libstdc++'s std::string holds them without allocating.
std::string_view short_reason(WaitReason why) {
    switch (why) {
    case WaitReason::gpu: return "waits for GPUs";
    case WaitReason::dependency: return "waits for jobs";
    case WaitReason::group_limit: return "group is full";
    case WaitReason::slurm:  // the Slurm executor's own, never the local scheduler's
    case WaitReason::submit_retry:
    case WaitReason::none: break;
    }
    return "waits";
}

// ---------------------------------------------------------------------------------------------
// Queue order.

// A queued job's sort keys and what decide() needs of it, copied in one pass over the jobs (in the
// caller's order, which is usually their order in memory), so deciding touches a Job itself only
// when it has dependencies or explicit GPU ids.
struct QueueEntry {
    int priority = 0;
    double submitted_at = 0;
    JobId id = 0;
    const Job* job = nullptr;
    int gpus = 0;          // gpus_requested
    int group = -1;        // index into the round's group limits, -1 for none or unlimited
    bool after = false;    // has dependencies
    bool gpu_ids = false;  // has gpu_ids_requested
};

bool entry_before(const QueueEntry& a, const QueueEntry& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.submitted_at != b.submitted_at) return a.submitted_at < b.submitted_at;
    return a.id < b.id;
}

// ---------------------------------------------------------------------------------------------
// What the scheduler knows about a job id that is not finished: queued, running, or queued and
// failed earlier in this round. Open addressing, linear probing, one allocation for all entries.

enum class Known : std::uint8_t { queued, running, failed_now };

class IdTable {
public:
    // Empties the table and sizes it for `count` ids (keeping its memory from earlier rounds).
    void reset(std::size_t count) {
        std::size_t capacity = 16;
        int bits = 4;
        while (capacity < count * 2) {
            capacity *= 2;
            ++bits;
        }
        slots_.assign(capacity, Slot{});
        mask_ = capacity - 1;
        shift_ = 64 - bits;
    }
    void set(JobId id, Known known) {
        Slot& slot = find(id);
        slot.id = id;
        slot.known = known;
    }
    // nullptr when the id is not in the table.
    const Known* get(JobId id) const {
        const Slot& slot = const_cast<IdTable*>(this)->find(id);
        return slot.id == empty ? nullptr : &slot.known;
    }

private:
    static constexpr JobId empty = std::numeric_limits<JobId>::min();
    struct Slot {
        JobId id = empty;
        Known known = Known::queued;
    };
    Slot& find(JobId id) {
        // Fibonacci hashing: the top bits of the product spread consecutive ids over the table.
        std::size_t index = (static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ull) >> shift_;
        while (slots_[index].id != empty && slots_[index].id != id) index = (index + 1) & mask_;
        return slots_[index];
    }
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    int shift_ = 60;
};

// ---------------------------------------------------------------------------------------------
// Group limits: the map's names in its (sorted) order, with how many jobs of each run.

struct GroupSlot {
    std::string_view name;
    int limit = 0;
    int running = 0;
    std::string reason;       // "group \"eval\" runs 2 of 2", built when first needed
    int reason_running = -1;  // the running count `reason` describes
};

// The index of `name` in groups (sorted by name), -1 when it has no limit.
int find_group(const std::vector<GroupSlot>& groups, std::string_view name) {
    if (name.empty() || groups.empty()) return -1;
    auto position = std::lower_bound(groups.begin(), groups.end(), name,
                                     [](const GroupSlot& slot, std::string_view key) { return slot.name < key; });
    return position != groups.end() && position->name == name ? static_cast<int>(position - groups.begin()) : -1;
}

// ---------------------------------------------------------------------------------------------
// GPUs during one round.

enum class GpuUse : std::uint8_t { usable, held, foreign, memory_busy, kept, taken };

struct GpuSlot {
    int id = 0;
    GpuUse use = GpuUse::usable;
    JobId job = 0;                              // held, kept or taken: by/for which job
    const std::string* foreign_text = nullptr;  // foreign: the view's text
};

class GpuBoard {
public:
    GpuBoard(const std::vector<GpuView>& views, const std::vector<const Job*>& running) {
        slots_.reserve(views.size());
        for (const GpuView& view : views) {
            GpuSlot slot{view.id};
            if (view.held_by) {
                slot.use = GpuUse::held;
                slot.job = *view.held_by;
            } else if (view.foreign_process) {
                slot.use = GpuUse::foreign;
                slot.foreign_text = &view.foreign_text;
            } else if (view.memory_busy) {
                slot.use = GpuUse::memory_busy;
            }
            slots_.push_back(slot);
        }
        std::sort(slots_.begin(), slots_.end(), [](const GpuSlot& a, const GpuSlot& b) { return a.id < b.id; });
        // A running job's own record counts as a hold too, should a view have missed it.
        for (const Job* job : running)
            for (int id : job->gpus)
                if (GpuSlot* slot = find(id); slot != nullptr && slot->use != GpuUse::held) {
                    slot->use = GpuUse::held;
                    slot->job = job->id;
                }
        for (const GpuSlot& slot : slots_) usable_ += slot.use == GpuUse::usable ? 1 : 0;
    }

    std::size_t size() const { return slots_.size(); }
    int usable() const { return usable_; }
    // Bumped whenever a GPU changes hands, so cached reasons know they are stale.
    std::uint64_t generation() const { return generation_; }
    std::vector<GpuSlot>& slots() { return slots_; }

    GpuSlot* find(int id) {
        auto position = std::lower_bound(slots_.begin(), slots_.end(), id,
                                         [](const GpuSlot& slot, int key) { return slot.id < key; });
        return position != slots_.end() && position->id == id ? &*position : nullptr;
    }

    void assign(GpuSlot& slot, GpuUse use, JobId job) {
        if (slot.use == GpuUse::usable) --usable_;
        slot.use = use;
        slot.job = job;
        ++generation_;
    }

private:
    std::vector<GpuSlot> slots_;  // id order
    int usable_ = 0;
    std::uint64_t generation_ = 0;
};

// "GPU 0: held by job 7"
void append_gpu_use(std::string& out, const GpuSlot& slot) {
    out += "GPU ";
    append_number(out, slot.id);
    out += ": ";
    switch (slot.use) {
    case GpuUse::usable: out += "free"; break;
    case GpuUse::held:
    case GpuUse::taken:
        out += "held by job ";
        append_number(out, slot.job);
        break;
    case GpuUse::foreign:
        if (slot.foreign_text != nullptr && !slot.foreign_text->empty())
            out += *slot.foreign_text;
        else
            out += "foreign process";
        break;
    case GpuUse::memory_busy: out += "memory in use"; break;
    case GpuUse::kept:
        out += "kept for job ";
        append_number(out, slot.job);
        break;
    }
}

// "free: GPU 1 (GPU 0: held by job 7)" over the given slots; `free` lists the usable ones.
void append_gpu_situation(std::string& out, const std::vector<GpuSlot*>& considered) {
    out += "; free: ";
    bool any_free = false;
    for (const GpuSlot* slot : considered) {
        if (slot->use != GpuUse::usable) continue;
        out += any_free ? ", GPU " : "GPU ";
        append_number(out, slot->id);
        any_free = true;
    }
    if (!any_free) out += "none";
    bool opened = false;
    for (const GpuSlot* slot : considered) {
        if (slot->use == GpuUse::usable) continue;
        out += opened ? ", " : " (";
        append_gpu_use(out, *slot);
        opened = true;
    }
    if (opened) out += ')';
}

// ---------------------------------------------------------------------------------------------
// One round.

class Round {
public:
    explicit Round(const SchedulerInput& input) : input_(input), board_(input.gpus, input.running) {}

    Decision run() {
        prepare_groups();
        order_queue();
        prepare_dependencies();
        decision_.waits.reserve(queue_.size());
        all_slots_.reserve(board_.size());
        for (GpuSlot& slot : board_.slots()) all_slots_.push_back(&slot);
        count_reasons_.resize(board_.size() + 1);
        for (const QueueEntry& entry : queue_) decide(entry);
        return std::move(decision_);
    }

private:
    void prepare_groups() {
        groups_.reserve(input_.group_limits.size());
        for (const auto& [name, limit] : input_.group_limits) groups_.push_back({name, limit});
        for (const Job* job : input_.running)
            if (int group = find_group(groups_, job->group); group >= 0) ++groups_[group].running;
    }

    void order_queue() {
        // Reading the jobs is what costs here: each is one allocation of several cache lines, met
        // in the caller's order. Asking for the lines of a job a few places ahead lets the memory
        // work while this one is copied (measured: about twice as fast for 10,000 jobs).
        constexpr std::size_t ahead = 8;
        const std::vector<const Job*>& queued = input_.queued;
        queue_.reserve(queued.size());
        for (std::size_t index = 0; index < queued.size(); ++index) {
            if (index + ahead < queued.size()) {
                const Job* later = queued[index + ahead];
                __builtin_prefetch(&later->id);
                __builtin_prefetch(&later->gpus_requested);
                __builtin_prefetch(&later->group);
                __builtin_prefetch(&later->submitted_at);
            }
            const Job* job = queued[index];
            queue_.push_back({job->priority, job->submitted_at, job->id, job, job->gpus_requested,
                              find_group(groups_, job->group), !job->after.empty(), !job->gpu_ids_requested.empty()});
            any_after_ = any_after_ || queue_.back().after;
        }
        if (std::is_sorted(queue_.begin(), queue_.end(), entry_before)) return;
        if (!order_by_priority_buckets()) std::sort(queue_.begin(), queue_.end(), entry_before);
    }

    // The usual unsorted input is in submit order (a map by id) with a few priorities: then a
    // stable bucket pass by priority orders it in linear time. False when that does not apply.
    bool order_by_priority_buckets() {
        constexpr std::size_t most_priorities = 32;
        const auto submit_order = [](const QueueEntry& a, const QueueEntry& b) {
            return a.submitted_at != b.submitted_at ? a.submitted_at < b.submitted_at : a.id < b.id;
        };
        if (!std::is_sorted(queue_.begin(), queue_.end(), submit_order)) return false;
        std::vector<std::pair<int, std::size_t>>& buckets = scratch_.buckets;  // priority, count
        buckets.clear();
        for (const QueueEntry& entry : queue_) {
            auto found = std::find_if(buckets.begin(), buckets.end(),
                                      [&](const auto& bucket) { return bucket.first == entry.priority; });
            if (found != buckets.end()) {
                ++found->second;
                continue;
            }
            if (buckets.size() == most_priorities) return false;
            buckets.emplace_back(entry.priority, 1);
        }
        std::sort(buckets.begin(), buckets.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        std::size_t start = 0;
        for (auto& bucket : buckets) {  // count -> the bucket's first index
            const std::size_t count = bucket.second;
            bucket.second = start;
            start += count;
        }
        std::vector<QueueEntry>& ordered = scratch_.ordered;
        ordered.resize(queue_.size());
        for (const QueueEntry& entry : queue_) {
            auto bucket = std::find_if(buckets.begin(), buckets.end(),
                                       [&](const auto& item) { return item.first == entry.priority; });
            ordered[bucket->second++] = entry;
        }
        queue_.swap(ordered);
        return true;
    }

    void prepare_dependencies() {
        if (!any_after_) return;
        ids_.reset(queue_.size() + input_.running.size());
        for (const QueueEntry& entry : queue_) ids_.set(entry.id, Known::queued);
        for (const Job* job : input_.running) ids_.set(job->id, Known::running);
    }

    void decide(const QueueEntry& entry) {
        if (entry.after && !dependencies_allow(*entry.job)) return;
        GroupSlot* group = entry.group >= 0 ? &groups_[static_cast<std::size_t>(entry.group)] : nullptr;
        if (group != nullptr && group->running >= group->limit) {
            if (group->reason_running != group->running) {
                group->reason.clear();
                group->reason += "group \"";
                group->reason += group->name;
                group->reason += "\" runs ";
                append_number(group->reason, group->running);
                group->reason += " of ";
                append_number(group->reason, group->limit);
                group->reason_running = group->running;
            }
            wait(entry.id, WaitReason::group_limit, group->reason);
            return;
        }
        bool started = false;
        if (entry.gpu_ids)
            started = place_on_ids(*entry.job);
        else if (entry.gpus > 0)
            started = place_on_count(entry.id, entry.gpus);
        else
            started = start(entry.id, {});
        if (started && group != nullptr) ++group->running;
    }

    // False when the job failed or waits (and that was recorded).
    bool dependencies_allow(const Job& job) {
        JobId pending[4];
        std::size_t pending_count = 0;
        for (JobId dependency : job.after) {
            std::optional<JobState> state;
            if (const Known* known = ids_.get(dependency); known != nullptr) {
                switch (*known) {
                case Known::queued: state = JobState::queued; break;
                case Known::running: state = JobState::running; break;
                case Known::failed_now: state = JobState::failed; break;
                }
            } else if (input_.finished != nullptr) {
                if (auto found = input_.finished->find(dependency); found != input_.finished->end())
                    state = found->second;
            }
            if (!state || *state == JobState::done) continue;  // unknown counts as done
            if (*state == JobState::failed || *state == JobState::cancelled) {
                std::string reason = "dependency ";
                append_number(reason, dependency);
                reason += *state == JobState::failed ? " failed" : " was cancelled";
                decision_.fails.push_back({job.id, std::move(reason)});
                ids_.set(job.id, Known::failed_now);
                return false;
            }
            if (pending_count < std::size(pending)) pending[pending_count] = dependency;
            ++pending_count;
        }
        if (pending_count == 0) return true;
        // "waits for job 12", "waits for jobs 12 and 13", "waits for jobs 12, 13, 14, 15 and 2 more"
        text_.clear();
        text_ += pending_count == 1 ? "waits for job " : "waits for jobs ";
        std::size_t shown = std::min(pending_count, std::size(pending));
        for (std::size_t i = 0; i < shown; ++i) {
            if (i > 0) text_ += (i + 1 == shown && shown == pending_count) ? " and " : ", ";
            append_number(text_, pending[i]);
        }
        if (shown < pending_count) {
            text_ += " and ";
            append_number(text_, static_cast<std::int64_t>(pending_count - shown));
            text_ += " more";
        }
        wait(job.id, WaitReason::dependency, text_);
        return false;
    }

    bool place_on_count(JobId job, int gpus_requested) {
        const auto count = static_cast<std::size_t>(gpus_requested);
        if (count > board_.size()) {
            text_.clear();
            text_ += "waits for ";
            append_gpu_count(text_, gpus_requested);
            text_ += "; only ";
            append_number(text_, static_cast<std::int64_t>(board_.size()));
            text_ += board_.size() == 1 ? " is configured" : " are configured";
            wait(job, WaitReason::gpu, text_);
            return false;
        }
        if (static_cast<std::size_t>(board_.usable()) >= count) {
            chosen_.clear();
            for (GpuSlot& slot : board_.slots()) {
                if (chosen_.size() == count) break;
                if (slot.use == GpuUse::usable) chosen_.push_back(slot.id);
            }
            for (int id : chosen_) board_.assign(*board_.find(id), GpuUse::taken, job);
            return start(job, chosen_);
        }
        // Waits. While no GPU changes hands, every later job that wants the same count waits for
        // the same reason: it is formatted once per count and copied.
        CachedReason& cached = count_reasons_[count];
        if (board_.usable() > 0 || cached.generation != board_.generation()) {
            text_.clear();
            text_ += "waits for ";
            append_gpu_count(text_, gpus_requested);
            append_gpu_situation(text_, all_slots_);
            if (board_.usable() > 0) {  // this job holds them: the text is its own
                for (GpuSlot& slot : board_.slots()) hold(slot, job);
                wait(job, WaitReason::gpu, text_);
                return false;
            }
            cached.text = text_;
            cached.generation = board_.generation();
        }
        wait(job, WaitReason::gpu, cached.text);
        return false;
    }

    bool place_on_ids(const Job& job) {
        chosen_.assign(job.gpu_ids_requested.begin(), job.gpu_ids_requested.end());
        std::sort(chosen_.begin(), chosen_.end());
        chosen_.erase(std::unique(chosen_.begin(), chosen_.end()), chosen_.end());
        considered_.clear();
        bool all_usable = true;
        for (int id : chosen_) {
            GpuSlot* slot = board_.find(id);
            if (slot == nullptr) {
                text_.clear();
                text_ += "waits for GPU ";
                append_number(text_, id);
                text_ += ", which is not configured";
                wait(job.id, WaitReason::gpu, text_);
                return false;
            }
            all_usable = all_usable && slot->use == GpuUse::usable;
            considered_.push_back(slot);
        }
        if (all_usable) {
            for (GpuSlot* slot : considered_) board_.assign(*slot, GpuUse::taken, job.id);
            return start(job.id, chosen_);
        }
        text_.clear();
        text_ += chosen_.size() == 1 ? "waits for GPU " : "waits for GPUs ";
        for (std::size_t i = 0; i < chosen_.size(); ++i) {
            if (i > 0) text_ += ", ";
            append_number(text_, chosen_[i]);
        }
        append_gpu_situation(text_, considered_);
        for (GpuSlot* slot : considered_) hold(*slot, job.id);
        wait(job.id, WaitReason::gpu, text_);
        return false;
    }

    void hold(GpuSlot& slot, JobId job) {
        if (slot.use != GpuUse::usable) return;
        board_.assign(slot, GpuUse::kept, job);
        decision_.held_for[slot.id] = job;
    }

    bool start(JobId job, const std::vector<int>& gpus) {
        decision_.starts.push_back({job, gpus});
        return true;
    }

    // The first worded_waits waiting jobs get `reason`; later ones a short text that std::string
    // keeps inline, so a deep queue costs no allocation per job (see WaitDecision).
    void wait(JobId job, WaitReason why, const std::string& reason) {
        if (decision_.waits.size() < worded_waits) {
            decision_.waits.push_back({job, why, reason});
            return;
        }
        decision_.waits.push_back({job, why, std::string(short_reason(why))});
    }

    struct CachedReason {
        std::uint64_t generation = std::numeric_limits<std::uint64_t>::max();
        std::string text;
    };

    const SchedulerInput& input_;
    GpuBoard board_;
    Decision decision_;
    // Scratch memory kept per thread between rounds: a round of 10,000 jobs would otherwise map and
    // fault in fresh pages for them every time. Nothing of one round is read by the next.
    struct Scratch {
        std::vector<QueueEntry> queue;
        std::vector<QueueEntry> ordered;
        std::vector<std::pair<int, std::size_t>> buckets;
        IdTable ids;
    };
    static Scratch& scratch() {
        thread_local Scratch memory;
        memory.queue.clear();
        return memory;
    }
    Scratch& scratch_ = scratch();
    std::vector<QueueEntry>& queue_ = scratch_.queue;
    std::vector<GroupSlot> groups_;
    IdTable& ids_ = scratch_.ids;  // filled only when some queued job has `after`
    std::vector<GpuSlot*> all_slots_;
    std::vector<GpuSlot*> considered_;
    std::vector<int> chosen_;
    std::string text_;                         // the reason being built
    std::vector<CachedReason> count_reasons_;  // by GPU count
    bool any_after_ = false;
};

}  // namespace

bool runs_before(const Job& a, const Job& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.submitted_at != b.submitted_at) return a.submitted_at < b.submitted_at;
    return a.id < b.id;
}

Decision schedule(const SchedulerInput& input) { return Round(input).run(); }

}  // namespace ailab::jobs
