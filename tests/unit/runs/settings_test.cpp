// The runs feature's config keys, read through the shared ConfigReader: defaults, every valid
// range end, and out-of-range values refused with an error that names the key.
#include "runs/settings.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "core/config.hpp"
#include "core/config_reader.hpp"

namespace ailab::runs {
namespace {

using namespace std::chrono_literals;

core::ConfigReader reader_of(boost::json::object document) {
    return core::ConfigReader(std::move(document), "config.json",
                              [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
}

Settings parse(boost::json::object document) {
    auto reader = reader_of(std::move(document));
    return Settings::read(&reader);
}

std::string error_of(boost::json::object document) {
    try {
        parse(std::move(document));
    } catch (const core::ConfigError& error) {
        return error.what();
    }
    return "";
}

TEST(RunsSettings, DefaultsWhenTheKeysAreAbsentOrThereIsNoFile) {
    for (const auto& settings : {parse({{"port", 8080}}), Settings::read(nullptr)}) {
        EXPECT_EQ(settings.dead_after, 90min);
        EXPECT_EQ(settings.discovery_depth, 5);
        EXPECT_EQ(settings.poll_interval, 1000ms);
    }
}

TEST(RunsSettings, ValidValuesAndTheEndsOfEachRange) {
    auto settings = parse({{"dead_after_minutes", 5}, {"discovery_depth", 3}, {"poll_interval_ms", 250}});
    EXPECT_EQ(settings.dead_after, 5min);
    EXPECT_EQ(settings.discovery_depth, 3);
    EXPECT_EQ(settings.poll_interval, 250ms);

    auto low = parse({{"dead_after_minutes", 1}, {"discovery_depth", 1}, {"poll_interval_ms", 50}});
    EXPECT_EQ(low.dead_after, 1min);
    EXPECT_EQ(low.discovery_depth, 1);
    EXPECT_EQ(low.poll_interval, 50ms);

    auto high = parse({{"dead_after_minutes", 525600}, {"discovery_depth", 32}, {"poll_interval_ms", 3'600'000}});
    EXPECT_EQ(high.dead_after, std::chrono::minutes(525600));
    EXPECT_EQ(high.discovery_depth, 32);
    EXPECT_EQ(high.poll_interval, 3'600'000ms);
}

TEST(RunsSettings, IdleMinutesDefaultsToTenAndIsChecked) {
    EXPECT_EQ(parse({}).idle_after, 10min);
    EXPECT_EQ(parse({{"idle_minutes", 3}}).idle_after, 3min);
    EXPECT_EQ(state_times(parse({{"idle_minutes", 3}, {"dead_after_minutes", 7}})).idle_after, 180s);
    EXPECT_EQ(state_times(parse({{"idle_minutes", 3}, {"dead_after_minutes", 7}})).dead_after, 420s);
    EXPECT_EQ(error_of({{"idle_minutes", 0}}),
              "config.json: \"idle_minutes\" must be an integer from 1 to 525600, got 0");
    EXPECT_NE(error_of({{"idle_minutes", "ten"}}).find("\"idle_minutes\""), std::string::npos);
}

TEST(RunsSettings, OutOfRangeOrWrongTypeIsAConfigErrorNamingTheKey) {
    EXPECT_EQ(error_of({{"dead_after_minutes", 0}}),
              "config.json: \"dead_after_minutes\" must be an integer from 1 to 525600, got 0");
    EXPECT_NE(error_of({{"dead_after_minutes", 525601}}).find("\"dead_after_minutes\""), std::string::npos);
    EXPECT_NE(error_of({{"dead_after_minutes", 1.5}}).find("\"dead_after_minutes\""), std::string::npos);
    EXPECT_EQ(error_of({{"discovery_depth", 33}}),
              "config.json: \"discovery_depth\" must be an integer from 1 to 32, got 33");
    EXPECT_NE(error_of({{"discovery_depth", 0}}).find("\"discovery_depth\""), std::string::npos);
    EXPECT_EQ(error_of({{"poll_interval_ms", 49}}),
              "config.json: \"poll_interval_ms\" must be an integer from 50 to 3600000, got 49");
    EXPECT_NE(error_of({{"poll_interval_ms", 3'600'001}}).find("\"poll_interval_ms\""), std::string::npos);
    EXPECT_NE(error_of({{"poll_interval_ms", "1000"}}).find("\"poll_interval_ms\""), std::string::npos);
}

TEST(RunsSettings, TheKeysCountAsRead) {
    auto reader = reader_of({{"dead_after_minutes", 5}, {"discovery_depth", 3}, {"colour", "blue"}});
    Settings::read(&reader);
    EXPECT_EQ(reader.unread_keys(), std::vector<std::string>{"colour"});
}

}  // namespace
}  // namespace ailab::runs
