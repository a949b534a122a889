// Fuzzes a run's params: runs::parse_yaml (libyaml, hparams.yaml) and runs::flatten_run_params on
// the same bytes as config.json and as hparams.yaml. Contracts checked:
//   - nothing crashes, leaks or hangs (alias bombs and deep nesting are refused, not expanded);
//   - the flattened params keep the limits: at most max_param_keys keys, none over
//     max_param_key_bytes, and never a nested object or a list holding objects or lists;
//   - params_json() is valid JSON that parses back to an object with the same number of keys.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/json.hpp>

#include "runs/params.hpp"
#include "runs/yaml.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "params fuzz: %s\n", what);
    std::abort();
}

void check(const ailab::runs::FlatParams& flat) {
    using namespace ailab::runs;
    if (flat.values.size() > max_param_keys) fail("more keys than the limit");
    for (const auto& entry : flat.values) {
        if (entry.key().size() > max_param_key_bytes) fail("a key over the limit");
        const auto& value = entry.value();
        if (value.is_object() && !value.as_object().empty()) fail("a nested object was kept");
        if (value.is_array())
            for (const auto& item : value.as_array())
                if (item.is_object() || item.is_array()) fail("a list of containers was kept");
    }
    boost::system::error_code error;
    auto back = boost::json::parse(params_json(flat), error);
    if (error || !back.is_object()) fail("params_json is not a JSON object");
    if (back.as_object().size() != flat.values.size()) fail("params_json lost or added keys");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    (void)ailab::runs::parse_yaml(text);
    check(ailab::runs::flatten_run_params(std::nullopt, text));
    check(ailab::runs::flatten_run_params(text, std::nullopt));
    return 0;
}
