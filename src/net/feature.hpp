#pragma once
// The seam every feature (auth, runs, system, and next jobs, files, terminals) plugs into. A
// feature is one object: its constructor reads its own config section through the ConfigReader
// and registers its routes, WebSocket endpoints, topics and Prometheus families on the context;
// start() starts its threads; stop() stops and joins them. `App` holds the features in a list,
// starts them in order and stops them in reverse, so adding a feature is its folder plus one line
// in app/features.cpp.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "core/config.hpp"
#include "core/config_reader.hpp"
#include "net/hub.hpp"
#include "net/router.hpp"
#include "net/websocket_endpoint.hpp"

namespace ailab::net {

// Prometheus text that a feature contributes to GET /metrics (families with their # HELP and
// # TYPE lines). Called on an I/O thread; must be quick and thread-safe.
using MetricsWriter = std::function<void(std::string& out)>;

// Services one feature offers to the features after it, by type: the system feature provides its
// SystemService (GPU samples) and the job scheduler finds it; runs and jobs provide RunService and
// JobService (the files feature resolves run:<id> and job:<id> roots through them). provide() in a constructor; find()
// in a later feature's constructor or start() (null when the provider is absent, e.g. in a test).
class Services {
public:
    template <class T>
    void provide(T& service) {
        entries_[std::type_index(typeid(T))] = &service;
    }
    template <class T>
    T* find() const {
        const auto found = entries_.find(std::type_index(typeid(T)));
        return found == entries_.end() ? nullptr : static_cast<T*>(found->second);
    }

private:
    std::unordered_map<std::type_index, void*> entries_;
};

struct FeatureContext {
    const core::Config& config;
    core::ConfigReader& settings;  // the config file's keys, for the feature's own section
    Router& router;
    Hub& hub;
    WebSocketRegistry& websockets;
    std::vector<MetricsWriter>& metrics;
    // The check of bearer tokens that the router and every WebSocket use; the auth feature sets it.
    TokenVerifier& verify_token;
    Services* services = nullptr;  // null in tests that build one feature alone
};

class Feature {
public:
    virtual ~Feature() = default;
    virtual std::string_view name() const = 0;
    // Starts threads and watches. Called once, in list order, after every feature registered.
    virtual void start() {}
    // Stops and joins what start() started. Called in reverse order; must be safe to call twice
    // and without start().
    virtual void stop() {}
};

using FeatureFactory = std::function<std::unique_ptr<Feature>(FeatureContext&)>;

}  // namespace ailab::net
