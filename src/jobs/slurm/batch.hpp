#pragma once
// The batch script a job becomes under the Slurm executor, and the sbatch command that submits it
// (README.md "Slurm"). Pure text: no I/O, so every line is unit-tested.
//
// The script's #SBATCH lines carry what Slurm must know: the name, the idempotency marker as the
// comment ("ailab:<server tag>:<job id>": before submitting again after an error, the server looks
// for it in squeue so that no job is ever submitted twice), the working folder (the snapshot), the
// output file (appended, in shared_dir), --gres=gpu:N, --time, --nice, --dependency=afterok and the
// configured partition/account/qos. The body exports AI Lab's variables (Slurm sets
// CUDA_VISIBLE_DEVICES itself), runs the command in the foreground and records its exit code in
// the job folder (slurm_exit.json), so the result is known even after Slurm forgot the job.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/job.hpp"
#include "jobs/settings.hpp"

namespace ailab::jobs::slurm {

// The batch script goes to sbatch on its stdin (the server creates no file for it); the job
// copies it, as Slurm ran it, into its folder under this name when it starts.
inline constexpr const char* script_file = "job.sbatch";
inline constexpr const char* exit_file = "slurm_exit.json";

// "ailab:<tag>:<id>": the comment that marks a submission as this server's job `id`.
std::string marker(std::string_view server_tag, JobId id);
// A short stable tag of one server's queue (its folder and host): two servers sharing a cluster
// never take each other's jobs for their own.
std::string server_tag(const std::filesystem::path& queue, std::string_view host);

// 'text' quoted for sh ('\'' for quotes inside).
std::string shell_quote(std::string_view text);

struct BatchInput {
    const Job* job = nullptr;
    std::filesystem::path job_folder;  // <shared_dir>/jobs/<id>: work/, job.sbatch, the exit file
    std::filesystem::path output;      // <shared_dir>/jobs/<id>.output.log
    std::filesystem::path results;     // AILAB_RESULTS
    std::string tag;                   // server_tag()
    std::vector<std::string> after;    // Slurm ids of the dependencies still to finish
};

// The whole script text.
std::string batch_script(const BatchInput& input, const SlurmSettings& settings);
// {"sbatch", "--parsable", <extra_args...>}: the script comes on stdin.
std::vector<std::string> sbatch_command(const SlurmSettings& settings);
// The Slurm id from sbatch --parsable's answer ("123" or "123;cluster"); "" when it is not one.
std::string parse_sbatch_id(std::string_view output);
// Whether sbatch's failure means Slurm could not be reached (retry with back-off) rather than a
// refusal of the job (fail it with Slurm's message).
bool is_unreachable(std::string_view message);

}  // namespace ailab::jobs::slurm
