#include "client/jobs_table.hpp"

#include <gtest/gtest.h>

using namespace ailab::client;

TEST(JobsTable, RowsFromTheApiAndTheirTable) {
    const char* answer = R"({"jobs":[
      {"id":12,"name":"train","user":"ada","state":"running","waiting_for":null,"reason":null,
       "command":["python","train.py"],"gpus":[0,2],"gpus_requested":2,"submitted_at":1000,"started_at":1065,
       "ended_at":null},
      {"id":13,"name":null,"user":"bob","state":"queued","waiting_for":"gpu",
       "reason":"waits for 2 GPUs; free: none","command":["bash","-c","sleep 1"],"gpus":[],"gpus_requested":2,
       "gpu_ids_requested":null,"submitted_at":1100,"started_at":null,"ended_at":null},
      {"id":9,"name":"old","user":"ada","state":"failed","reason":"exit code 3","command":["x"],"gpus":[],
       "gpus_requested":0,"submitted_at":500,"started_at":510,"ended_at":530}
    ],"next_before":null,"counts":{}})";
    auto rows = parse_job_rows(answer).value();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].gpus, "0,2");
    EXPECT_EQ(rows[1].name, "bash -c sleep 1");  // no name: the command
    EXPECT_EQ(rows[1].gpus, "2");                // queued: what it asks for
    EXPECT_EQ(rows[2].gpus, "-");

    auto table = format_jobs_table(rows, 1200);
    EXPECT_NE(table.find("ID  STATE"), std::string::npos) << table;
    EXPECT_NE(table.find("1m05s"), std::string::npos) << table;  // job 12 waited 65 s
    EXPECT_NE(table.find("2m15s"), std::string::npos) << table;  // and has run 135 s by now
    EXPECT_NE(table.find("waits for 2 GPUs; free: none"), std::string::npos) << table;
    EXPECT_NE(table.find("20s"), std::string::npos) << table;  // job 9 ran 20 s
    EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 4);
    // Columns line up: "STATE" starts where every state starts.
    auto header_column = table.find("STATE");
    auto second_line = table.find('\n') + 1;
    EXPECT_EQ(table.substr(second_line + header_column, 7), "running");
}

TEST(JobsTable, LongNamesAreCutAndBadAnswersRefused) {
    std::string name(60, 'n');
    auto rows =
        parse_job_rows(R"({"jobs":[{"id":1,"name":")" + name + R"(","state":"queued","submitted_at":0}]})").value();
    auto table = format_jobs_table(rows, 10);
    EXPECT_EQ(table.find(name), std::string::npos);
    EXPECT_NE(table.find(std::string(31, 'n') + "…"), std::string::npos) << table;
    // Bad input: not JSON, no list.
    EXPECT_FALSE(parse_job_rows("<html>"));
    EXPECT_FALSE(parse_job_rows(R"({"job":{}})"));
}
