#pragma once
// A run's params: its config files (config.json, hparams.yaml) flattened to dotted keys, as the
// table, the filter and Compare use them: {"optimizer": {"lr": 0.001}} -> "optimizer.lr": 0.001.
//
// - Objects (YAML mappings) nest into dotted keys; a key that itself holds a dot stays as written
//   ("a.b" inside "x" is "x.a.b"), so two spellings can meet: the first one read wins.
// - Lists of scalars stay lists ([64, 128]); a list that holds objects or lists is flattened by
//   index ("layers.0.width"); an empty object or list is kept as {} / [] under its key.
// - Scalars keep their type: numbers, strings, true/false, null.
// - Limits: 2,000 keys and 32 levels per run; keys are cut at 256 bytes. What is cut is counted in
//   `truncated`, never silently merged.
// - config.json wins over hparams.yaml for a key both have (it is the more explicit file).
//
// Pure functions; any thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace ailab::runs {

inline constexpr std::size_t max_param_keys = 2000;
inline constexpr std::size_t max_param_depth = 32;
inline constexpr std::size_t max_param_key_bytes = 256;

struct FlatParams {
    boost::json::object values;  // dotted key -> scalar, list of scalars, {} or []
    std::size_t truncated = 0;   // keys left out by the limits
    std::string error;           // why a file could not be read as params ("" when fine)
};

// Adds `value`'s leaves to `out` under `prefix` (a non-object at the top goes in under "value").
void flatten_into(const boost::json::value& value, std::string_view prefix, FlatParams& out);

// The params of a run from the texts of its side files (either may be missing). A file that does
// not parse adds its error to `error` and contributes nothing.
FlatParams flatten_run_params(const std::optional<std::string>& config_json,
                              const std::optional<std::string>& hparams_yaml);

// The flattened object as compact JSON text, keys sorted ("{}" when empty).
std::string params_json(const FlatParams& params);

}  // namespace ailab::runs
