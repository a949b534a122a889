// From an NVML sample and AI Lab's bookkeeping to the scheduler's GpuViews (rules in
// gpu_views.hpp).

#include "jobs/gpu_views.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

#include "core/file.hpp"

namespace ailab::jobs {
namespace {

const sys::GpuSample* find_sample(const std::vector<sys::GpuSample>& samples, int id) {
    for (const sys::GpuSample& sample : samples)
        if (sample.id == id) return &sample;
    return nullptr;
}

// "foreign process 4242 of bob", "foreign process 4242" (no user known),
// "foreign process 4242 of bob and 2 more".
std::string describe_foreign(const sys::GpuProcess& first, std::size_t count) {
    std::string text = "foreign process " + std::to_string(first.pid);
    if (first.user) text += " of " + *first.user;
    if (count > 1) text += " and " + std::to_string(count - 1) + " more";
    return text;
}

// Folds what NVML saw on one GPU into `view`.
void apply_sample(const GpuViewInputs& inputs, const sys::GpuSample& sample, GpuView& view) {
    std::uint64_t own_memory_bytes = 0;
    const sys::GpuProcess* first_foreign = nullptr;
    std::size_t foreign_count = 0;
    for (const sys::GpuProcess& process : sample.processes) {
        const auto session = session_of(static_cast<pid_t>(process.pid), inputs.proc_root);
        if (!session) continue;  // gone since the sample
        if (inputs.job_sessions.contains(*session)) {
            own_memory_bytes += process.memory_bytes.value_or(0);
            continue;
        }
        if (first_foreign == nullptr) first_foreign = &process;
        ++foreign_count;
    }
    if (first_foreign != nullptr) {
        view.foreign_process = true;
        view.foreign_text = describe_foreign(*first_foreign, foreign_count);
    }

    // The memory rule: not for a GPU AI Lab holds (the memory is its job's), nor for one AI Lab
    // released after the sample (the memory may still be the ended job's).
    if (view.held_by || !sample.memory_used_bytes) return;
    if (auto released = inputs.released_at.find(view.id);
        released != inputs.released_at.end() && released->second >= inputs.sampled_at)
        return;
    const std::uint64_t used = *sample.memory_used_bytes;
    const std::uint64_t others = used - std::min(used, own_memory_bytes);
    view.memory_busy = others >= inputs.busy_memory_bytes;
}

}  // namespace

std::vector<GpuView> make_gpu_views(const GpuViewInputs& inputs) {
    std::vector<GpuView> views;
    views.reserve(inputs.configured.size());
    for (int id : inputs.configured) {
        GpuView& view = views.emplace_back();
        view.id = id;
        if (auto held = inputs.held.find(id); held != inputs.held.end()) view.held_by = held->second;
        if (inputs.sampled == nullptr) continue;  // bookkeeping alone
        if (const sys::GpuSample* sample = find_sample(*inputs.sampled, id); sample != nullptr)
            apply_sample(inputs, *sample, view);
    }
    return views;
}

std::optional<pid_t> session_of(pid_t pid, const std::filesystem::path& proc_root) {
    if (pid <= 0) return std::nullopt;
    std::string text;
    if (!core::read_pseudo_file(proc_root / std::to_string(pid) / "stat", text, 4096)) return std::nullopt;
    // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so the
    // fields are counted from the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::string_view rest = std::string_view(text).substr(close + 1);
    for (int field = 3; field <= 6; ++field) {
        const auto start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos) return std::nullopt;
        rest.remove_prefix(start);
        const auto end = std::min(rest.find(' '), rest.size());
        if (field == 6) {
            pid_t session = 0;
            auto [position, error] = std::from_chars(rest.data(), rest.data() + end, session);
            if (error != std::errc() || position != rest.data() + end) return std::nullopt;
            return session;
        }
        rest.remove_prefix(end);
    }
    return std::nullopt;
}

}  // namespace ailab::jobs
