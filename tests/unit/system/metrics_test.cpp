// /metrics output read back by a strict parser of the Prometheus text format 0.0.4.

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "system/prometheus.hpp"

namespace ailab::sys {
namespace {

// One parsed exposition: series "name{a="x",b="y"}" (labels sorted, values unescaped) -> value.
struct Exposition {
    std::map<std::string, std::string> types;  // family -> type
    std::map<std::string, std::string> help;   // family -> help text
    std::map<std::string, double> series;
    std::vector<std::string> family_order;
};

// Hand-written matchers (std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers).
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names, [a-zA-Z_][a-zA-Z0-9_]* for label names.
bool is_name(const std::string& text, bool colons) {
    if (text.empty()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool ok = is_letter(c) || (colons && c == ':') || (i > 0 && is_digit(c));
        if (!ok) return false;
    }
    return true;
}

// Digits with an optional sign: the format's timestamps.
bool is_integer(const std::string& text) {
    std::size_t i = !text.empty() && text[0] == '-' ? 1 : 0;
    if (i == text.size()) return false;
    for (; i < text.size(); ++i) {
        if (!is_digit(text[i])) return false;
    }
    return true;
}

// [+-]?(digits[.digits*]|.digits)([eE][+-]?digits)?
bool is_float(const std::string& text) {
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i])) ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_digit(text[i])) ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        std::size_t exponent = 0;
        while (i < text.size() && is_digit(text[i])) ++i, ++exponent;
        if (exponent == 0) return false;
    }
    return i == text.size();
}

double parse_value(const std::string& text) {
    if (text == "NaN") return std::nan("");
    if (text == "+Inf") return INFINITY;
    if (text == "-Inf") return -INFINITY;
    if (!is_float(text)) throw std::runtime_error("bad value: " + text);
    double value = 0;
    const char* begin = text.data() + (text[0] == '+' ? 1 : 0);
    const auto [end, error] = std::from_chars(begin, text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) throw std::runtime_error("bad value: " + text);
    return value;
}

// Throws std::runtime_error naming the first violation.
Exposition parse_exposition(const std::string& text) {
    static const std::set<std::string> types = {"counter", "gauge", "histogram", "summary", "untyped"};
    Exposition result;
    if (text.empty()) return result;
    if (text.back() != '\n') throw std::runtime_error("the last line must end with a line feed");
    std::set<std::string> finished;  // families whose samples are over: must not come back
    std::string current;             // family of the previous line
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.empty()) throw std::runtime_error("empty line");
        const auto enter = [&](const std::string& family) {
            if (family == current) return;
            if (finished.count(family)) throw std::runtime_error("family " + family + " appears twice");
            if (!current.empty()) finished.insert(current);
            current = family;
            result.family_order.push_back(family);
        };
        if (line[0] == '#') {
            // "# HELP name text" or "# TYPE name type"
            const bool is_help = line.rfind("# HELP ", 0) == 0;
            if (!is_help && line.rfind("# TYPE ", 0) != 0) throw std::runtime_error("bad comment line: " + line);
            const std::size_t name_end = line.find(' ', 7);
            if (name_end == std::string::npos) throw std::runtime_error("bad comment line: " + line);
            const std::string name = line.substr(7, name_end - 7);
            const std::string argument = line.substr(name_end + 1);
            if (!is_name(name, true)) throw std::runtime_error("bad metric name: " + name);
            enter(name);
            if (is_help) {
                if (result.help.count(name)) throw std::runtime_error("second HELP for " + name);
                const std::string& help = argument;
                for (std::size_t i = 0; i < help.size(); ++i) {
                    if (help[i] == '\\' && (i + 1 == help.size() || (help[i + 1] != '\\' && help[i + 1] != 'n'))) {
                        throw std::runtime_error("bad escape in HELP of " + name);
                    }
                    if (help[i] == '\\') ++i;
                }
                result.help[name] = help;
            } else {
                if (result.types.count(name)) throw std::runtime_error("second TYPE for " + name);
                if (!types.count(argument)) throw std::runtime_error("bad type for " + name);
                if (result.series.lower_bound(name) != result.series.end() &&
                    result.series.lower_bound(name)->first.rfind(name, 0) == 0) {
                    throw std::runtime_error("TYPE after samples of " + name);
                }
                result.types[name] = argument;
            }
            continue;
        }
        // name [{labels}] value [timestamp]
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
        const std::string name = line.substr(0, i);
        if (!is_name(name, true)) throw std::runtime_error("bad metric name: " + name);
        enter(name);
        if (!result.types.count(name)) throw std::runtime_error("sample before TYPE: " + name);
        std::map<std::string, std::string> labels;
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                std::size_t equals = line.find('=', i);
                if (equals == std::string::npos) throw std::runtime_error("label without '=': " + line);
                const std::string key = line.substr(i, equals - i);
                if (!is_name(key, false) || key.rfind("__", 0) == 0) throw std::runtime_error("bad label name: " + key);
                i = equals + 1;
                if (i >= line.size() || line[i] != '"') throw std::runtime_error("label value not quoted: " + line);
                ++i;
                std::string value;
                for (;; ++i) {
                    if (i >= line.size()) throw std::runtime_error("unterminated label value: " + line);
                    if (line[i] == '"') break;
                    if (line[i] == '\\') {
                        ++i;
                        if (i >= line.size()) throw std::runtime_error("bad escape: " + line);
                        if (line[i] == 'n') {
                            value += '\n';
                        } else if (line[i] == '\\' || line[i] == '"') {
                            value += line[i];
                        } else {
                            throw std::runtime_error("bad escape: " + line);
                        }
                    } else {
                        value += line[i];
                    }
                }
                ++i;  // closing quote
                if (!labels.emplace(key, value).second) throw std::runtime_error("duplicate label " + key);
                if (i < line.size() && line[i] == ',') ++i;
            }
            if (i >= line.size()) throw std::runtime_error("unterminated label set: " + line);
            ++i;  // '}'
        }
        if (i >= line.size() || line[i] != ' ') throw std::runtime_error("no space before the value: " + line);
        ++i;
        const std::string rest = line.substr(i);
        const std::size_t space = rest.find(' ');
        const double value = parse_value(rest.substr(0, space));
        if (space != std::string::npos) {
            if (!is_integer(rest.substr(space + 1))) throw std::runtime_error("bad timestamp: " + line);
        }
        std::string key = name;
        if (!labels.empty()) {
            key += '{';
            bool first = true;
            for (const auto& [label, label_value] : labels) {
                if (!first) key += ',';
                first = false;
                key += label + "=\"" + label_value + "\"";
            }
            key += '}';
        }
        if (!result.series.emplace(key, value).second) throw std::runtime_error("duplicate series " + key);
    }
    for (const auto& [family, type] : result.types) {
        if (!result.help.count(family)) throw std::runtime_error("no HELP for " + family);
    }
    return result;
}

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
