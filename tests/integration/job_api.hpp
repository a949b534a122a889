#pragma once
// The job routes as the integration tests call them (jobs_test, slurm_test): submit, read a job,
// wait for a state, read the output. Failures are test failures (EXPECT/ADD_FAILURE) naming the
// answer.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>

#include "harness.hpp"

namespace ailab::testing::job_api {

inline std::int64_t submit_ok(const ServerProcess& server, const std::string& token, const boost::json::object& body) {
    auto result = server.post("/api/v1/jobs", boost::json::serialize(body), token);
    EXPECT_EQ(result.status, 201) << result.body;
    return result.status == 201 ? result.json().at("job").at("id").as_int64() : 0;
}

inline boost::json::object job(const ServerProcess& server, const std::string& token, std::int64_t id) {
    auto result = server.get("/api/v1/jobs/" + std::to_string(id), token);
    EXPECT_EQ(result.status, 200) << result.body;
    return result.status == 200 ? result.json().at("job").as_object() : boost::json::object{};
}

// Polls until the job's state is one of `states` or the timeout passes; returns the job.
inline boost::json::object wait_for(const ServerProcess& server, const std::string& token, std::int64_t id,
                                    const std::set<std::string>& states, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    boost::json::object current;
    while (std::chrono::steady_clock::now() < deadline) {
        current = job(server, token, id);
        if (current.contains("state") && states.contains(std::string(current.at("state").as_string()))) return current;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "job " << id << " did not reach the state in time: " << boost::json::serialize(current);
    return current;
}

inline std::string output(const ServerProcess& server, const std::string& token, std::int64_t id) {
    auto result = server.get("/api/v1/jobs/" + std::to_string(id) + "/output?limit=16777216", token);
    EXPECT_EQ(result.status, 200) << result.body;
    return result.body;
}

}  // namespace ailab::testing::job_api
