#include "jobs/slurm/client.hpp"

#include "jobs/slurm/batch.hpp"
#include "jobs/slurm/command.hpp"

namespace ailab::jobs::slurm {
namespace {

using namespace std::chrono_literals;

constexpr auto command_timeout = 30s;

core::Error failed(std::string_view what, const CommandResult& result) {
    return core::Error::invalid(std::string(what) + ": " + result.message());
}

std::map<std::string, SlurmJob> by_id(std::vector<SlurmJob> jobs) {
    std::map<std::string, SlurmJob> out;
    for (auto& job : jobs) {
        auto id = job.id;
        out.insert_or_assign(std::move(id), std::move(job));
    }
    return out;
}

}  // namespace

SubmitResult SlurmClient::submit(std::string_view script) const {
    SubmitResult submitted;
    auto ran = run_command(sbatch_command(settings_), command_timeout, script);
    if (!ran) {
        submitted.message = ran.error().message;
        return submitted;
    }
    if (ran->timed_out) {
        submitted.unreachable = true;
        submitted.message = "sbatch did not answer within 30 s";
        return submitted;
    }
    if (ran->exit_code == 0) {
        submitted.id = parse_sbatch_id(ran->out);
        if (!submitted.id.empty()) return submitted;
        submitted.message = "sbatch answered no job id: " + ran->message();
        return submitted;
    }
    submitted.message = ran->message();
    submitted.unreachable = is_unreachable(submitted.message);
    return submitted;
}

core::Result<std::map<std::string, SlurmJob>> SlurmClient::jobs() const {
    if (!json_missing_) {
        if (auto ran = run_command({"squeue", "--json", "--states=all"}, command_timeout, poll_answer_); !ran)
            return ran.error();
        if (poll_answer_.exit_code == 0) {
            auto parsed = parse_squeue_json_in_place(poll_answer_.out);
            if (!parsed) return parsed.error();
            return by_id(std::move(*parsed));
        }
        const auto message = poll_answer_.message();
        if (message.find("unrecognized option") == std::string::npos && message.find("json") == std::string::npos)
            return failed("squeue", poll_answer_);
        json_missing_ = true;
    }
    auto ran = run_command({"scontrol", "-o", "show", "job"}, command_timeout);
    if (!ran) return ran.error();
    if (ran->exit_code != 0) {
        if (ran->message().find("No jobs in the system") != std::string::npos) return std::map<std::string, SlurmJob>{};
        return failed("scontrol show job", *ran);
    }
    return by_id(parse_scontrol_lines(ran->out));
}

core::Result<std::map<std::string, SlurmJob>> SlurmClient::accounted(const std::vector<std::string>& ids) const {
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
    auto ran = run_command({"sacct", "--json", "--allusers", "-j", list}, command_timeout);
    if (!ran) return ran.error();
    if (ran->exit_code != 0 || ran->out.find('{') == std::string::npos) return failed("sacct", *ran);
    auto parsed = parse_sacct_json(ran->out);
    if (!parsed) return parsed.error();
    return by_id(std::move(*parsed));
}

core::Result<std::vector<Partition>> SlurmClient::partitions() const {
    auto ran = run_command({"sinfo", "-h", "-o", "%P|%a|%D|%T|%G"}, command_timeout);
    if (!ran) return ran.error();
    if (ran->exit_code != 0) return failed("sinfo", *ran);
    return parse_sinfo_lines(ran->out);
}

core::Status SlurmClient::cancel(const std::string& id) const {
    auto ran = run_command({"scancel", id}, command_timeout);
    if (!ran) return ran.error();
    if (ran->exit_code != 0) return failed("scancel " + id, *ran);
    return {};
}

}  // namespace ailab::jobs::slurm
