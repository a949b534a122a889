#include "jobs/slurm/batch.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

#include "core/strings.hpp"
namespace ailab::jobs::slurm {
namespace {

// A job name Slurm and a shell line both take: printable ASCII without quotes or spaces.
std::string safe_name(std::string_view name) {
    std::string out;
    for (char c : name) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                           c == '_' || c == '.';
        out += plain ? c : '_';
        if (out.size() >= 64) break;
    }
    return out;
}

std::string joined(const std::vector<std::string>& items, char separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

}  // namespace

std::string marker(std::string_view server_tag, JobId id) {
    return "ailab:" + std::string(server_tag) + ":" + std::to_string(id);
}

std::string server_tag(const std::filesystem::path& queue, std::string_view host) {
    // FNV-1a 64: stable across builds and runs (std::hash is not promised to be).
    std::uint64_t hash = 1469598103934665603ULL;
    auto feed = [&hash](std::string_view text) {
        for (unsigned char c : text) {
            hash ^= c;
            hash *= 1099511628211ULL;
        }
    };
    feed(host);
    feed("\n");
    auto folder = queue.lexically_normal().string();
    while (folder.size() > 1 && folder.back() == '/') folder.pop_back();  // "/q/" is "/q"
    feed(folder);
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return std::string(text, 12);
}

std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    out += '\'';
    return out;
}

std::string batch_script(const BatchInput& input, const SlurmSettings& settings) {
    const Job& job = *input.job;
    const auto folder = input.job_folder.string();
    std::string s = "#!/bin/sh\n";
    auto option = [&s](std::string_view line) {
        s += "#SBATCH ";
        s += line;
        s += '\n';
    };
    option("--job-name=ailab-" + std::to_string(job.id) + (job.name.empty() ? "" : "-" + safe_name(job.name)));
    option("--comment=" + marker(input.tag, job.id));
    // Started in jobs/, which exists; the script then goes to work/: the snapshot's copy made by the
    // server, or without one an empty folder it makes itself (below), so that a submit creates no
    // inode on the server.
    option("--chdir=" + input.job_folder.parent_path().string());
    option("--output=" + input.output.string());
    option("--open-mode=append");
    if (!settings.partition.empty()) option("--partition=" + settings.partition);
    if (!settings.account.empty()) option("--account=" + settings.account);
    if (!settings.qos.empty()) option("--qos=" + settings.qos);
    if (job.gpus_requested > 0) option("--gres=gpu:" + std::to_string(job.gpus_requested));
    if (job.time_limit_s) {
        // Slurm counts whole minutes; a limit is never shortened.
        const auto minutes = std::max<std::int64_t>(1, (*job.time_limit_s + 59) / 60);
        option("--time=" + std::to_string(minutes));
    }
    // Slurm lets anyone lower their own priority, not raise it: AI Lab's negative priorities
    // become a nice value, the others keep Slurm's default.
    if (job.priority < 0) option("--nice=" + std::to_string(std::min(-job.priority, 2147483645)));
    if (!input.after.empty()) option("--dependency=afterok:" + joined(input.after, ':'));
    s += "\n# Written by AI Lab for job " + std::to_string(job.id) + ". Slurm sets CUDA_VISIBLE_DEVICES.\n";
    s += "export AILAB_JOB_ID=" + std::to_string(job.id) + "\n";
    s += "export AILAB_RESULTS=" + shell_quote(input.results.string()) + "\n";
    s += "export PYTHONUNBUFFERED=1\n";
    s += "export CUDA_DEVICE_ORDER=PCI_BUS_ID\n";
    for (const auto& [key, value] : job.env)
        if (core::is_variable_name(key)) s += "export " + key + "=" + shell_quote(value) + "\n";
    s += "\n";
    if (job.snapshot.empty()) s += "mkdir -p " + shell_quote(folder + "/work") + " || exit 1\n";
    s += "cd " + shell_quote(folder + "/work") + " || exit 1\n";
    // The script as Slurm ran it ($0 is slurmd's spooled copy), for whoever looks at the folder;
    // in the background, so that the command does not wait for it (waited for at the end: Slurm
    // ends what is left of a job when its script exits).
    s += "cp -- \"$0\" " + shell_quote(folder + "/" + script_file) + " 2>/dev/null & ailab_copy=$!\n";
    if (!job.shell.empty()) {
        s += "/bin/sh -c " + shell_quote(job.shell);
    } else {
        std::string line;
        for (const auto& argument : job.command) line += (line.empty() ? "" : " ") + shell_quote(argument);
        s += line;
    }
    s += "\nailab_status=$?\nwait $ailab_copy 2>/dev/null\n";
    const auto exit_path = shell_quote(folder + "/" + exit_file);
    const auto temporary = shell_quote(folder + "/." + exit_file + ".tmp");
    s += "printf '{\"exit_code\":%d,\"ended_at\":%s}\\n' \"$ailab_status\" \"$(date +%s)\" > " + temporary +
         " && mv -f " + temporary + " " + exit_path + "\n";
    s += "exit $ailab_status\n";
    return s;
}

std::vector<std::string> sbatch_command(const SlurmSettings& settings) {
    std::vector<std::string> argv{"sbatch", "--parsable"};
    argv.insert(argv.end(), settings.extra_args.begin(), settings.extra_args.end());
    return argv;
}

std::string parse_sbatch_id(std::string_view output) {
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r' || output.back() == ' '))
        output.remove_suffix(1);
    if (const auto newline = output.rfind('\n'); newline != std::string_view::npos) output.remove_prefix(newline + 1);
    if (const auto semicolon = output.find(';'); semicolon != std::string_view::npos)
        output = output.substr(0, semicolon);
    if (output.empty() || output.size() > 20) return "";
    for (char c : output)
        if (c < '0' || c > '9') return "";
    return std::string(output);
}

bool is_unreachable(std::string_view message) {
    static constexpr std::array<std::string_view, 8> signs{"Unable to contact slurm controller",
                                                           "Socket timed out",
                                                           "Connection refused",
                                                           "Zero Bytes were transmitted",
                                                           "slurm_persist_conn_open",
                                                           "timed out",
                                                           "Communication connection failure",
                                                           "Slurm backup controller in standby mode"};
    return std::ranges::any_of(
        signs, [message](std::string_view sign) { return message.find(sign) != std::string_view::npos; });
}

}  // namespace ailab::jobs::slurm
