#pragma once
// YAML documents as Boost.JSON values, through libyaml (Debian's libyaml-0-2), for hparams.yaml.
//
// The first document is read. Mappings become objects (a non-string key is written as its text),
// sequences arrays, and plain scalars are typed as YAML 1.2's core schema types them (null, ~,
// true/false in any case, integers incl. 0x/0o, floats incl. .inf/.nan and 1e-3); quoted and block
// scalars stay strings. Explicit tags !!str, !!int, !!float, !!bool and !!null are honoured, other
// tags (PyYAML's !!python/tuple, !!python/object:…) are ignored and the node read by its shape.
// Aliases are expanded (at most 10,000 nodes in all, against alias bombs); depth is limited to 64.
//
// Pure; any thread.

#include <string_view>

#include <boost/json/value.hpp>

#include "core/error.hpp"

namespace ailab::runs {

// Errors name the line and column ("line 3, column 5: mapping values are not allowed here").
core::Result<boost::json::value> parse_yaml(std::string_view text);

}  // namespace ailab::runs
