#include "runs/line_parser.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace ailab::runs {
namespace {

double local_mktime(int year, int month, int day, int hour, int minute, int second) {
    std::tm local{};
    local.tm_year = year - 1900;
    local.tm_mon = month - 1;
    local.tm_mday = day;
    local.tm_hour = hour;
    local.tm_min = minute;
    local.tm_sec = second;
    local.tm_isdst = -1;
    return static_cast<double>(std::mktime(&local));
}

TEST(ParseTimestamp, SpaceSeparatedWithMicrosecondsIsLocalTime) {
    LocalTimeConverter converter;
    auto time = parse_timestamp("2024-01-02 10:00:00.123456", converter);
    ASSERT_TRUE(time);
    EXPECT_NEAR(*time, local_mktime(2024, 1, 2, 10, 0, 0) + 0.123456, 1e-6);
}

TEST(ParseTimestamp, TSeparatorAndNoFraction) {
    LocalTimeConverter converter;
    auto time = parse_timestamp("2024-07-15T23:59:58", converter);
    ASSERT_TRUE(time);
    EXPECT_DOUBLE_EQ(*time, local_mktime(2024, 7, 15, 23, 59, 58));
}

TEST(ParseTimestamp, ZoneSuffixIsExact) {
    LocalTimeConverter converter;
    auto utc = parse_timestamp("2024-01-02T10:00:00Z", converter);
    auto offset = parse_timestamp("2024-01-02T11:30:00+01:30", converter);
    ASSERT_TRUE(utc);
    ASSERT_TRUE(offset);
    EXPECT_DOUBLE_EQ(*utc, 1704189600.0);
    EXPECT_DOUBLE_EQ(*offset, 1704189600.0);
}

TEST(ParseTimestamp, CacheDoesNotLeakAcrossHoursOrDays) {
    LocalTimeConverter converter;
    auto first = parse_timestamp("2024-03-01 10:59:59", converter);
    auto second = parse_timestamp("2024-03-01 11:00:00", converter);
    auto next_day = parse_timestamp("2024-03-02 11:00:00", converter);
    ASSERT_TRUE(first && second && next_day);
    EXPECT_DOUBLE_EQ(*second - *first, 1.0);
    EXPECT_DOUBLE_EQ(*next_day, local_mktime(2024, 3, 2, 11, 0, 0));
}

// Sets TZ for one test and restores it.
class ZoneScope {
public:
    explicit ZoneScope(const char* zone) {
        if (const char* old = std::getenv("TZ")) saved_ = old;
        ::setenv("TZ", zone, 1);
        ::tzset();
    }
    ~ZoneScope() {
        if (saved_)
            ::setenv("TZ", saved_->c_str(), 1);
        else
            ::unsetenv("TZ");
        ::tzset();
    }

private:
    std::optional<std::string> saved_;
};

TEST(LocalTimeConverter, AgreesWithMktimeForEveryHourOfAYearInZonesWithDst) {
    for (const char* zone : {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"}) {
        ZoneScope scope(zone);
        LocalTimeConverter converter;
        int compared = 0;
        for (int day_of_year = 0; day_of_year < 366; ++day_of_year) {
            std::tm date{};
            date.tm_year = 2024 - 1900;
            date.tm_mday = 1 + day_of_year;
            date.tm_hour = 12;
            date.tm_isdst = -1;
            std::mktime(&date);  // normalises to a month and day
            for (int hour = 0; hour < 24; ++hour) {
                std::tm wall = date;
                wall.tm_hour = hour;
                wall.tm_min = 30;
                wall.tm_isdst = -1;
                std::time_t expected = std::mktime(&wall);
                // Skip the skipped hour (no such wall time) and the repeated one (two instants).
                auto shows = [&](std::time_t instant) {
                    std::tm local{};
                    localtime_r(&instant, &local);
                    return local.tm_hour == hour && local.tm_min == 30 && local.tm_mday == date.tm_mday;
                };
                if (!shows(expected) || shows(expected - 3600) || shows(expected + 3600)) continue;
                auto time = converter.to_unix(2024, date.tm_mon + 1, date.tm_mday, hour, 30, 0);
                ASSERT_TRUE(time);
                ASSERT_EQ(*time, static_cast<double>(expected)) << zone << " day " << day_of_year << " hour " << hour;
                ++compared;
            }
        }
        EXPECT_GT(compared, 366 * 24 - 4) << zone;
    }
}

TEST(ParseTimestamp, RejectsMalformedAndImpossibleDates) {
    LocalTimeConverter converter;
    EXPECT_FALSE(parse_timestamp("yesterday", converter));
    EXPECT_FALSE(parse_timestamp("2024-13-01 10:00:00", converter));
    EXPECT_FALSE(parse_timestamp("2023-02-29 10:00:00", converter));
    EXPECT_FALSE(parse_timestamp("2024-01-02 10:00:00 trailing", converter));
    EXPECT_FALSE(parse_timestamp("2024-01-02 25:00:00", converter));
    EXPECT_TRUE(parse_timestamp("2024-02-29 10:00:00", converter));
}

TEST(ParseDuration, ClockFormsAndSecondsAndDays) {
    EXPECT_EQ(parse_duration("1:02:03"), 3723.0);
    EXPECT_EQ(parse_duration("0:00:00"), 0.0);
    EXPECT_EQ(parse_duration("12:34"), 754.0);
    EXPECT_EQ(parse_duration("1:00:00.5"), 3600.5);
    EXPECT_EQ(parse_duration("2 days, 1:00:00"), 2 * 86400.0 + 3600.0);
    EXPECT_EQ(parse_duration("1 day, 0:00:01"), 86401.0);
    EXPECT_EQ(parse_duration("3600"), 3600.0);
    EXPECT_EQ(parse_duration("90.5"), 90.5);
    EXPECT_FALSE(parse_duration("soon"));
    EXPECT_FALSE(parse_duration("1:2:3:4"));
    EXPECT_FALSE(parse_duration("-5"));
    EXPECT_FALSE(parse_duration(""));
}

// Found by tests/fuzz/timestamp.cpp: finite parts whose sum overflowed to an infinite eta.
TEST(ParseDuration, OverflowingDurationsAreRefused) {
    EXPECT_FALSE(parse_duration("1e308:0:0"));
    EXPECT_FALSE(parse_duration("0:1e308:0"));
    EXPECT_FALSE(parse_duration("1e308 days, 0:00:00"));
    EXPECT_DOUBLE_EQ(*parse_duration("1e300:0:0"), 3.6e303);
}

TEST(ParseGoal, PhaseEpochAndEpochs) {
    auto goal = parse_goal("train 3/10");
    EXPECT_EQ(goal.phase, "train");
    EXPECT_EQ(goal.epoch, 3);
    EXPECT_EQ(goal.epochs, 10);
    EXPECT_FALSE(goal.plain_train_or_val);

    auto plain = parse_goal("train");
    EXPECT_EQ(plain.phase, "train");
    EXPECT_FALSE(plain.epoch);
    EXPECT_TRUE(plain.plain_train_or_val);
    EXPECT_TRUE(parse_goal("val").plain_train_or_val);
    EXPECT_FALSE(parse_goal("val 1/2").plain_train_or_val);

    auto warmup = parse_goal("warmup…");
    EXPECT_EQ(warmup.phase, "warmup");
    EXPECT_FALSE(warmup.epoch);

    auto lone = parse_goal("val 7");
    EXPECT_EQ(lone.epoch, 7);
    EXPECT_FALSE(lone.epochs);

    EXPECT_EQ(parse_goal("done").phase, "done");
    EXPECT_EQ(parse_goal("123").phase, "123");
}

// Found by tests/fuzz/timestamp.cpp: "train 4294472023/99999999999" gave epoch -495273 (the
// count wrapped when narrowed to int).
TEST(ParseGoal, CountsTooLargeForAnIntAreLeftOut) {
    auto huge = parse_goal("train 4294472023/99999999999");
    EXPECT_EQ(huge.phase, "train");
    EXPECT_FALSE(huge.epoch);
    EXPECT_FALSE(huge.epochs);
    auto huge_total = parse_goal("train 3/99999999999");
    EXPECT_EQ(huge_total.epoch, 3);
    EXPECT_FALSE(huge_total.epochs);
    EXPECT_EQ(parse_goal("val 2147483647/2147483647").epochs, 2147483647);
    EXPECT_FALSE(parse_goal("val 2147483648").epoch);
}

class LineParserTest : public ::testing::Test {
protected:
    LineParser parser;
    ParsedLine line;
};

TEST_F(LineParserTest, ReadsEveryKnownFieldAndMetrics) {
    auto error = parser.parse(
        R"({"timestamp": "2024-01-02 10:00:00.5", "goal": "train 3/10", "progress": 0.25, "eta": "0:01:40",)"
        R"( "score": 0.75, "epoch": 2.5, "step": 120, "loss": 0.5, "lr": 1e-3, "name": "x", "ok": true})",
        line);
    ASSERT_EQ(error, LineError::none);
    EXPECT_NEAR(line.timestamp, local_mktime(2024, 1, 2, 10, 0, 0) + 0.5, 1e-9);
    EXPECT_TRUE(line.has_goal);
    EXPECT_EQ(line.goal, "train 3/10");
    EXPECT_DOUBLE_EQ(line.progress, 0.25);
    EXPECT_DOUBLE_EQ(line.eta, 100.0);
    EXPECT_DOUBLE_EQ(line.score, 0.75);
    EXPECT_DOUBLE_EQ(line.epoch, 2.5);
    EXPECT_DOUBLE_EQ(line.step, 120.0);
    // score is a metric too; strings and booleans are not.
    ASSERT_EQ(line.metrics.size(), 3u);
    EXPECT_EQ(line.metrics[0].name, "score");
    EXPECT_EQ(line.metrics[1].name, "loss");
    EXPECT_DOUBLE_EQ(line.metrics[1].value, 0.5);
    EXPECT_EQ(line.metrics[2].name, "lr");
    EXPECT_DOUBLE_EQ(line.metrics[2].value, 0.001);
}

TEST_F(LineParserTest, NumericTimestampAndEtaAndIntegerMetrics) {
    ASSERT_EQ(parser.parse(R"({"timestamp": 1704189600.25, "eta": 42, "tokens": 123456789012})", line),
              LineError::none);
    EXPECT_DOUBLE_EQ(line.timestamp, 1704189600.25);
    EXPECT_DOUBLE_EQ(line.eta, 42.0);
    ASSERT_EQ(line.metrics.size(), 1u);
    EXPECT_DOUBLE_EQ(line.metrics[0].value, 123456789012.0);
    ASSERT_EQ(parser.parse(R"({"timestamp": 1704189600250})", line), LineError::none);
    EXPECT_DOUBLE_EQ(line.timestamp, 1704189600.25);  // milliseconds
}

TEST_F(LineParserTest, MissingFieldsAreAbsentAndPreviousLineDoesNotLeak) {
    ASSERT_EQ(parser.parse(R"({"goal": "val", "loss": 1})", line), LineError::none);
    ASSERT_EQ(parser.parse(R"({"acc": 0.5})", line), LineError::none);
    EXPECT_FALSE(line.has_goal);
    EXPECT_FALSE(present(line.timestamp));
    EXPECT_FALSE(present(line.progress));
    EXPECT_FALSE(present(line.step));
    ASSERT_EQ(line.metrics.size(), 1u);
    EXPECT_EQ(line.metrics[0].name, "acc");
}

TEST_F(LineParserTest, UnparsableTimestampAndEtaAreAbsentNotFatal) {
    ASSERT_EQ(parser.parse(R"({"timestamp": "later", "eta": "soon", "loss": 1})", line), LineError::none);
    EXPECT_FALSE(present(line.timestamp));
    EXPECT_FALSE(present(line.eta));
    EXPECT_EQ(line.metrics.size(), 1u);
}

TEST_F(LineParserTest, BrokenLinesAreClassified) {
    EXPECT_EQ(parser.parse(R"({"loss": 0.5)", line), LineError::invalid_json);
    EXPECT_EQ(parser.parse("not json at all", line), LineError::invalid_json);
    EXPECT_EQ(parser.parse("[1, 2, 3]", line), LineError::not_object);
    EXPECT_EQ(parser.parse("42", line), LineError::not_object);
    EXPECT_EQ(parser.parse("\"text\"", line), LineError::not_object);
    EXPECT_EQ(parser.parse(std::string("{\"goal\": \"tr\xFF\xFEin\"}"), line), LineError::invalid_utf8);
    EXPECT_EQ(parser.parse("   ", line), LineError::blank);
    EXPECT_EQ(parser.parse("", line), LineError::blank);
    std::string huge = "{\"x\": \"" + std::string(max_line_bytes, 'a') + "\"}";
    EXPECT_EQ(parser.parse(huge, line), LineError::too_long);
    EXPECT_TRUE(line.metrics.empty());
}

// Found by tests/fuzz/line_parser.cpp (corpus/line_parser/eta_huge): the overflow reached the line.
TEST_F(LineParserTest, OverflowingEtaIsAbsent) {
    ASSERT_EQ(parser.parse(R"({"eta": "1e308:0:0", "loss": 1})", line), LineError::none);
    EXPECT_FALSE(present(line.eta));
    EXPECT_EQ(line.metrics.size(), 1u);
}

TEST_F(LineParserTest, CarriageReturnIsIgnored) {
    ASSERT_EQ(parser.parse("{\"loss\": 2}\r", line), LineError::none);
    ASSERT_EQ(line.metrics.size(), 1u);
}

TEST_F(LineParserTest, PythonNanAndInfinityKeepTheRestOfTheLine) {
    ASSERT_EQ(
        parser.parse(
            R"({"goal": "train 1/2", "loss": NaN, "grad": Infinity, "low": -Infinity, "acc": 0.5, "note": "NaN"})",
            line),
        LineError::none);
    EXPECT_EQ(line.goal, "train 1/2");
    ASSERT_EQ(line.metrics.size(), 1u);
    EXPECT_EQ(line.metrics[0].name, "acc");
}

TEST_F(LineParserTest, LongestAllowedLineParses) {
    std::string body = "{\"loss\": 1, \"pad\": \"";
    std::string line_text = body + std::string(max_line_bytes - body.size() - 2, 'a') + "\"}";
    ASSERT_EQ(line_text.size(), max_line_bytes);
    EXPECT_EQ(parser.parse(line_text, line), LineError::none);
    EXPECT_EQ(line.metrics.size(), 1u);
}

TEST(SimdjsonKernel, IsNamed) { EXPECT_FALSE(simdjson_kernel_name().empty()); }

}  // namespace
}  // namespace ailab::runs

// ailab_log.py writes the AI Lab job that runs the code as "job_id": read as the link to the job,
// not as a metric; a non-numeric job_id (bad input) is ignored.
TEST(LineParserJobId, IsTheJobLinkAndNotAMetric) {
    ailab::runs::LineParser parser;
    ailab::runs::ParsedLine line;
    ASSERT_EQ(parser.parse(R"({"goal":"train 1/2","job_id":12,"loss":0.5})", line), ailab::runs::LineError::none);
    EXPECT_EQ(line.job_id, 12);
    ASSERT_EQ(line.metrics.size(), 1u);
    EXPECT_EQ(line.metrics[0].name, "loss");
    line.clear();
    ASSERT_EQ(parser.parse(R"({"job_id":"twelve"})", line), ailab::runs::LineError::none);
    EXPECT_FALSE(ailab::runs::present(line.job_id));
}
