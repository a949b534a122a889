#include "runs/params_reader.hpp"

#include <sys/stat.h>

#include <functional>
#include <mutex>

#include "runs/discovery.hpp"
#include "runs/params.hpp"

#include <boost/json/value.hpp>

namespace ailab::runs {

namespace {

constexpr std::string_view config_json_name = "config.json";
constexpr std::string_view hparams_yaml_name = "hparams.yaml";
// Larger side files are not params (a dumped dataset, a model card): they are left out.
constexpr std::size_t max_params_file_bytes = 1 << 20;

std::uint64_t mix(std::uint64_t seed, std::uint64_t value) {
    return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

std::uint64_t file_stamp(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return 0x5a5a5a5aULL;  // absent (or unreadable)
    std::uint64_t stamp = mix(static_cast<std::uint64_t>(status.st_size), static_cast<std::uint64_t>(status.st_ino));
    stamp = mix(stamp, static_cast<std::uint64_t>(status.st_mtim.tv_sec));
    return mix(stamp, static_cast<std::uint64_t>(status.st_mtim.tv_nsec));
}

}  // namespace

bool is_params_file(std::string_view name) { return name == config_json_name || name == hparams_yaml_name; }

std::uint64_t params_stamp(const std::string& run_folder) {
    return mix(file_stamp(run_folder + "/" + std::string(config_json_name)),
               file_stamp(run_folder + "/" + std::string(hparams_yaml_name)));
}

ParamsReader::ParamsReader(const ResultsRoot& root, Publisher& publisher, std::string results)
    : root_(root), publisher_(publisher), results_(std::move(results)) {}

void ParamsReader::mark(const RunPointer& run) {
    if (run->params_queued) return;
    run->params_queued = true;
    queue_.push_back(run);
}

void ParamsReader::process(std::size_t max_runs) {
    for (std::size_t done = 0; done < max_runs && !queue_.empty(); ++done) {
        RunPointer run = std::move(queue_.front());
        queue_.pop_front();
        run->params_queued = false;
        if (run->removed) continue;
        read(*run, &publisher_);
    }
}

void ParamsReader::read(Run& run, Publisher* publisher) {
    // The stamp first: a file written while it is read is stamped as older and read again later.
    std::uint64_t stamp = mix(params_stamp(join_path(results_, run.path)), run.format_params_version);
    if (stamp == run.params_stamp) return;
    run.params_stamp = stamp;
    std::optional<std::string> config_json;
    std::optional<std::string> hparams_yaml;
    if (auto text = root_.read_small(run.path + "/" + std::string(config_json_name), max_params_file_bytes))
        config_json = std::move(*text);
    if (auto text = root_.read_small(run.path + "/" + std::string(hparams_yaml_name), max_params_file_bytes))
        hparams_yaml = std::move(*text);
    auto flat = flatten_run_params(config_json, hparams_yaml);
    // The format's own params (TensorBoard hparams) after the config files, which win a shared key.
    if (!run.format_params.empty()) flatten_into(boost::json::value(run.format_params), "", flat);
    std::string json = params_json(flat);
    {
        std::lock_guard lock(run.mutex);
        if (json == run.params && flat.error == run.params_error) return;
        run.params = std::move(json);
        run.params_error = std::move(flat.error);
    }
    if (publisher != nullptr) publisher->params_changed(run);
}

}  // namespace ailab::runs
