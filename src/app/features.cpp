// The one list of features. A new feature is its folder plus one line here.

#include "app/app.hpp"
#include "app/core_feature.hpp"
#include "files/feature.hpp"
#include "jobs/feature.hpp"
#include "net/auth_feature.hpp"
#include "runs/feature.hpp"
#include "system/feature.hpp"
#include "terminals/feature.hpp"

namespace ailab::app {

std::vector<net::FeatureFactory> feature_factories() {
    return {
        net::make_auth_feature,  // first: the token check the others' routes use
        make_core_feature,       // health, info, routes, /api/v1/ws and the test topic
        runs::make_feature,
        sys::make_feature,  // before jobs: provides the GPU samples the scheduler reads
        jobs::make_feature,
        files::make_feature,  // after runs and jobs: resolves run:<id> and job:<id> through them
        terminals::make_feature,  // after the files feature, whose roots it resolves
    };
}

}  // namespace ailab::app
