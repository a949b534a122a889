#include "client/parsing.hpp"

#include <gtest/gtest.h>

using namespace ailab::client;

TEST(Duration, AcceptsTheIssuesForms) {
    EXPECT_EQ(parse_duration_seconds("90").value(), 90);
    EXPECT_EQ(parse_duration_seconds("90s").value(), 90);
    EXPECT_EQ(parse_duration_seconds("30m").value(), 1800);
    EXPECT_EQ(parse_duration_seconds("2h").value(), 7200);
    EXPECT_EQ(parse_duration_seconds("1d").value(), 86400);
    EXPECT_EQ(parse_duration_seconds("1h30m").value(), 5400);
    EXPECT_EQ(parse_duration_seconds("1d2h3m4s").value(), 86400 + 7200 + 180 + 4);
    EXPECT_EQ(parse_duration_seconds("2H").value(), 7200);  // a capital unit is still clear
}

TEST(Duration, RefusesWhatItCannotMeanClearly) {
    // Bad input: empty, no number, unknown units, units out of order or twice, a trailing bare
    // number, zero, a sign, spaces, absurd sizes and overflow.
    for (const char* text : {"", "h", "1x", "30m1h", "1h1h", "1h30", "0", "0s", "-5", "+5", "1 h", " 5", "1.5h",
                             "999999999999999999999", "400000d", "99999999999999999d"}) {
        auto parsed = parse_duration_seconds(text);
        EXPECT_FALSE(parsed) << "accepted \"" << text << "\"";
        if (!parsed) {
            EXPECT_NE(parsed.error().message.find("examples"), std::string::npos) << text;
        }
    }
    EXPECT_NE(parse_duration_seconds("30m1h").error().message.find("largest down"), std::string::npos);
}

TEST(GpuIds, ParsesAListAndRefusesBadItems) {
    EXPECT_EQ(parse_gpu_ids("0,2").value(), (std::vector<int>{0, 2}));
    EXPECT_EQ(parse_gpu_ids("3").value(), (std::vector<int>{3}));
    // Bad input: empty, empty items, words, negatives, duplicates, spaces.
    for (const char* text : {"", ",", "0,", ",1", "a", "-1", "0,0", "0, 1", "1.5"})
        EXPECT_FALSE(parse_gpu_ids(text)) << "accepted \"" << text << "\"";
    EXPECT_NE(parse_gpu_ids("1,1").error().message.find("twice"), std::string::npos);
}

TEST(Env, SplitsAtTheFirstEqualsAndChecksTheName) {
    auto parsed = parse_env_assignment("A_1=x=y").value();
    EXPECT_EQ(parsed.first, "A_1");
    EXPECT_EQ(parsed.second, "x=y");
    EXPECT_EQ(parse_env_assignment("EMPTY=").value().second, "");
    // Bad input: no '=', empty name, a name starting with a digit, punctuation in the name.
    for (const char* text : {"NOVALUE", "=x", "1A=x", "A-B=x", "A B=x"})
        EXPECT_FALSE(parse_env_assignment(text)) << "accepted \"" << text << "\"";
}

TEST(JobId, PositiveNumbersOnly) {
    EXPECT_EQ(parse_job_id("12").value(), 12);
    for (const char* text : {"", "0", "-3", "12a", "1e3", " 1"}) EXPECT_FALSE(parse_job_id(text)) << text;
}

TEST(Format, DurationsAndBytes) {
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(45.9), "45s");
    EXPECT_EQ(format_duration(725), "12m05s");
    EXPECT_EQ(format_duration(3 * 3600 + 7 * 60), "3h07m");
    EXPECT_EQ(format_duration(2 * 86400 + 4 * 3600), "2d04h");
    EXPECT_EQ(format_duration(-1), "-");  // a clock that went backwards shows no nonsense
    EXPECT_EQ(format_bytes(532), "532 B");
    EXPECT_EQ(format_bytes(20'000'000), "20.0 MB");
    EXPECT_EQ(format_bytes(1'500), "1.5 kB");
}
