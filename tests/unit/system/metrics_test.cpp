// /metrics output read back by a strict parser of the Prometheus text format 0.0.4
// (tests/support/prometheus_exposition.hpp, shared with the round-trip fuzz target).

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/prometheus_exposition.hpp"
#include "system/prometheus.hpp"

namespace ailab::sys {
namespace {

using ailab::test_support::Exposition;
using ailab::test_support::parse_exposition;

SystemSample two_gpu_sample() {
    SystemSample sample;
    sample.time = 1'704'193'200.5;
    sample.cpu.percent = 12.5;
    sample.cpu.cores_percent = {10.0, 15.0};
    sample.cpu.load = {0.5, 0.4, 0.3};
    sample.memory = {.total_bytes = 16ull << 30,
                     .used_bytes = 4ull << 30,
                     .available_bytes = 12ull << 30,
                     .percent = 25.0,
                     .swap_total_bytes = 1ull << 30,
                     .swap_used_bytes = 0};
    sample.disks = {{"results", "/data/\"odd\" \\name\n", 1000, 250},
                    {"queue", "/missing", std::nullopt, std::nullopt}};
    GpuSample a;
    a.id = 0;
    a.name = "NVIDIA H100 80GB HBM3";
    a.uuid = "GPU-0a";
    a.utilization = 35.0;
    a.memory_used_bytes = 10ull << 30;
    a.memory_total_bytes = 80ull << 30;
    a.temperature_c = 40;
    a.power_w = 120.5;
    a.power_limit_w = 700.0;
    a.processes.push_back(GpuProcess{.pid = 1, .user = "root", .command = "python", .memory_bytes = 1});
    GpuSample b;
    b.id = 1;
    b.name = "Lost \"GPU\"";
    b.error = "GPU is lost";
    sample.gpus = {a, b};
    sample.gpu_status = GpuStatus::ok;
    return sample;
}

TEST(Metrics, ParsesStrictlyWithEveryFamilyOnce) {
    const SystemSample sample = two_gpu_sample();
    const SamplerStats stats{.samples = 7, .last_sample_seconds = 0.0001, .cpu_seconds = 0.25};
    const std::string text = render_metrics({.sample = &sample, .stats = &stats});
    Exposition exposition;
    ASSERT_NO_THROW(exposition = parse_exposition(text)) << text;

    EXPECT_EQ(exposition.types.at("ailab_cpu_utilization_ratio"), "gauge");
    EXPECT_DOUBLE_EQ(exposition.series.at("ailab_cpu_utilization_ratio"), 0.125);
    EXPECT_DOUBLE_EQ(exposition.series.at("ailab_cpu_core_utilization_ratio{core=\"1\"}"), 0.15);
    EXPECT_DOUBLE_EQ(exposition.series.at("ailab_load_average{period=\"15m\"}"), 0.3);
    EXPECT_EQ(exposition.series.at("ailab_memory_used_bytes"), double(4ull << 30));
    EXPECT_EQ(exposition.series.at("ailab_swap_total_bytes"), double(1ull << 30));
    EXPECT_EQ(exposition.series.at("ailab_disk_free_bytes{path=\"/data/\"odd\" \\name\n\",role=\"results\"}"), 250.0);
    EXPECT_EQ(exposition.series.count("ailab_disk_free_bytes{path=\"/missing\",role=\"queue\"}"),
              0u);  // unknown: left out
    EXPECT_DOUBLE_EQ(exposition.series.at("ailab_gpu_utilization_ratio{gpu=\"0\"}"), 0.35);
    EXPECT_EQ(exposition.series.count("ailab_gpu_utilization_ratio{gpu=\"1\"}"), 0u);
    EXPECT_EQ(exposition.series.at("ailab_gpu_memory_used_bytes{gpu=\"0\"}"), double(10ull << 30));
    EXPECT_EQ(exposition.series.at("ailab_gpu_power_watts{gpu=\"0\"}"), 120.5);
    EXPECT_EQ(exposition.series.at("ailab_gpu_power_limit_watts{gpu=\"0\"}"), 700.0);
    EXPECT_EQ(exposition.series.at("ailab_gpu_temperature_celsius{gpu=\"0\"}"), 40.0);
    EXPECT_EQ(exposition.series.at("ailab_gpu_processes{gpu=\"0\"}"), 1.0);
    EXPECT_EQ(exposition.series.at("ailab_gpu_error{gpu=\"1\"}"), 1.0);
    EXPECT_EQ(exposition.series.at("ailab_gpu_info{gpu=\"1\",name=\"Lost \"GPU\"\",uuid=\"\"}"), 1.0);
    EXPECT_EQ(exposition.series.at("ailab_gpu_status{status=\"ok\"}"), 1.0);
    EXPECT_EQ(exposition.types.at("ailab_system_sampler_cpu_seconds_total"), "counter");
    EXPECT_EQ(exposition.series.at("ailab_system_samples_total"), 7.0);
    EXPECT_EQ(exposition.series.at("ailab_system_sample_timestamp_seconds"), 1'704'193'200.5);
}

// In cluster mode the system writes nothing (ailab_runs comes from the runs feature's writer).
TEST(Metrics, ClusterModeWritesNoSystemFamily) { EXPECT_TRUE(parse_exposition(render_metrics({})).series.empty()); }

TEST(Metrics, GpuStatusKeepsOnlyTheKindOfError) {
    SystemSample sample = two_gpu_sample();
    sample.gpus.clear();
    sample.gpu_status = GpuStatus::error;
    sample.gpu_status_detail = "nvmlInit_v2: Driver Not Loaded";
    const Exposition exposition = parse_exposition(render_metrics({.sample = &sample}));
    EXPECT_EQ(exposition.series.at("ailab_gpu_status{status=\"error\"}"), 1.0);
    EXPECT_EQ(exposition.types.count("ailab_gpu_utilization_ratio"), 0u);
}

// The parser itself must reject what the format forbids, or the tests above prove nothing.
TEST(MetricsParser, RejectsMalformedExpositions) {
    const char* bad[] = {
        "# HELP a x\n# TYPE a gauge\na 1",                                          // no final line feed
        "a 1\n",                                                                    // sample before TYPE
        "# HELP a x\n# TYPE a gauge\na 1\n# HELP b y\n# TYPE b gauge\nb 1\na 2\n",  // family twice
        "# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",                                     // bad metric name
        "# HELP a x\n# TYPE a gauge\na{l=\"x} 1\n",                                 // unterminated label value
        "# HELP a x\n# TYPE a gauge\na{l=\"\\t\"} 1\n",                             // bad escape
        "# HELP a x\n# TYPE a gauge\na{__l=\"x\"} 1\n",                             // reserved label name
        "# HELP a x\n# TYPE a gauge\na{l=\"x\",l=\"y\"} 1\n",                       // duplicate label
        "# HELP a x\n# TYPE a gauge\na one\n",                                      // bad value
        "# HELP a x\n# TYPE a gauge\na 1\na 2\n",                                   // duplicate series
        "# HELP a x\n# TYPE a gauges\na 1\n",                                       // bad type
        "# TYPE a gauge\na 1\n",                                                    // no HELP
        "# HELP a x\n# TYPE a gauge\n\na 1\n",                                      // empty line
        "# HELP a x\n# TYPE a gauge\na 1e\n",                                       // exponent without digits
        "# HELP a x\n# TYPE a gauge\na 1 soon\n",                                   // bad timestamp
        "# HELP a x\n# TYPE a gauge\na{l=\"x\"}1\n",                                // no space before the value
        "# COMMENT a x\n# TYPE a gauge\na 1\n",                                     // neither HELP nor TYPE
    };
    for (const char* text : bad) EXPECT_THROW(parse_exposition(text), std::runtime_error) << text;
    EXPECT_NO_THROW(
        parse_exposition("# HELP a x\n# TYPE a gauge\na{l=\"\\\"\\n\\\\\",} -1.5e3\na NaN 1700000000000\n"));
}

TEST(Metrics, EscapesLabelValues) { EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd"); }

}  // namespace
}  // namespace ailab::sys
