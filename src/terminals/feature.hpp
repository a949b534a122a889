#pragma once
// Web terminals behind the seam of net/feature.hpp: reads the terminal config keys
// (terminals/settings.hpp), owns the TerminalHost, registers the routes and the WebSocket of
// docs/API.md "Terminals" and the ailab_terminals gauge. Roots ("project:", "run:", "job:")
// resolve through the files::Roots that an earlier feature provides (none: only HOME terminals).

#include <memory>

#include "net/feature.hpp"

namespace ailab::terminals {

std::unique_ptr<net::Feature> make_feature(net::FeatureContext& context);

}  // namespace ailab::terminals
