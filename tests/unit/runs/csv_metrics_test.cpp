// Lightning's metrics.csv (runs/formats/csv_metrics.hpp): the CSV splitter, numbers in fields, and
// rows read against a header that may grow.
#include "runs/formats/csv_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace ailab::runs::formats {
namespace {

using Fields = std::vector<std::string>;

// Splits and copies the fields, so a test can compare them after the scratch is reused.
std::optional<Fields> split(std::string_view line) {
    std::vector<std::string_view> fields;
    std::string scratch;
    if (!split_csv_line(line, fields, scratch)) return std::nullopt;
    return Fields(fields.begin(), fields.end());
}

std::map<std::string, double> metrics_of(const ParsedLine& line) {
    std::map<std::string, double> metrics;
    for (const auto& metric : line.metrics) metrics.emplace(std::string(metric.name), metric.value);
    return metrics;
}

TEST(CsvMetricsSplit, PlainFieldsAndBlanks) {
    EXPECT_EQ(split("a,b,c"), (Fields{"a", "b", "c"}));
    EXPECT_EQ(split("1,,3,"), (Fields{"1", "", "3", ""}));
    EXPECT_EQ(split(""), (Fields{""}));
    EXPECT_EQ(split(","), (Fields{"", ""}));
}

TEST(CsvMetricsSplit, QuotedFieldsHoldCommasAndEscapedQuotes) {
    EXPECT_EQ(split(R"("a,b",c)"), (Fields{"a,b", "c"}));
    EXPECT_EQ(split(R"(x,"say ""hi""","")"), (Fields{"x", R"(say "hi")", ""}));
    EXPECT_EQ(split(R"x("""",")""","""""")x"), (Fields{"\"", ")\"", "\"\""}));
    // A quote inside an unquoted field is text.
    EXPECT_EQ(split(R"(a"b,c)"), (Fields{R"(a"b)", "c"}));
}

TEST(CsvMetricsSplit, ViewsPointIntoTheLineUnlessUnescaped) {
    std::string line = R"(plain,"quoted","with ""x""")";
    std::vector<std::string_view> fields;
    std::string scratch;
    ASSERT_TRUE(split_csv_line(line, fields, scratch));
    ASSERT_EQ(fields.size(), 3u);
    auto inside = [](std::string_view view, const std::string& owner) {
        return view.data() >= owner.data() && view.data() + view.size() <= owner.data() + owner.size();
    };
    EXPECT_TRUE(inside(fields[0], line));
    EXPECT_TRUE(inside(fields[1], line));
    EXPECT_TRUE(inside(fields[2], scratch));
    EXPECT_EQ(fields[2], R"(with "x")");
}

TEST(CsvMetricsSplit, MalformedLinesAreRefused) {
    EXPECT_EQ(split(R"("unterminated,a)"), std::nullopt);
    EXPECT_EQ(split(R"("a"b,c)"), std::nullopt);
    EXPECT_EQ(split(R"(a,"b" ,c)"), std::nullopt);
    EXPECT_EQ(split("\"ends with escaped \"\""), std::nullopt);
}

TEST(CsvMetricsSplit, TrailingCarriageReturnIsIgnored) {
    EXPECT_EQ(split("a,b\r"), (Fields{"a", "b"}));
    EXPECT_EQ(split("a,\"b\"\r"), (Fields{"a", "b"}));
}

TEST(CsvMetricsNumber, DecimalScientificAndSpaces) {
    EXPECT_EQ(parse_csv_number("1.5"), 1.5);
    EXPECT_EQ(parse_csv_number("-2"), -2.0);
    EXPECT_EQ(parse_csv_number("+3"), 3.0);
    EXPECT_EQ(parse_csv_number("4.5e-05"), 4.5e-05);
    EXPECT_EQ(parse_csv_number("1E3"), 1000.0);
    EXPECT_EQ(parse_csv_number("  0.25 "), 0.25);
    EXPECT_EQ(parse_csv_number(".5"), 0.5);
}

TEST(CsvMetricsNumber, NanAndInfinities) {
    for (const char* text : {"nan", "NaN", " nan "}) {
        auto value = parse_csv_number(text);
        ASSERT_TRUE(value) << text;
        EXPECT_TRUE(std::isnan(*value)) << text;
    }
    EXPECT_EQ(parse_csv_number("inf"), std::numeric_limits<double>::infinity());
    EXPECT_EQ(parse_csv_number("Infinity"), std::numeric_limits<double>::infinity());
    EXPECT_EQ(parse_csv_number("-inf"), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(parse_csv_number("-Infinity"), -std::numeric_limits<double>::infinity());
}

TEST(CsvMetricsNumber, BlankAndTextAreNotNumbers) {
    for (const char* text : {"", "  ", "abc", "1.5abc", "tensor(0.5)", "0x10", "+", "+-1", "1,5", "--1", "1 2"})
        EXPECT_EQ(parse_csv_number(text), std::nullopt) << text;
}

TEST(CsvMetrics, LightningRowsWithBlanks) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("epoch,step,train_loss,val_loss,val_acc"));
    EXPECT_EQ(csv.columns(), (Fields{"epoch", "step", "train_loss", "val_loss", "val_acc"}));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row("0,49,0.75,,", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.epoch, 0.0);
    EXPECT_EQ(line.step, 49.0);
    EXPECT_FALSE(present(line.timestamp));
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"train_loss", 0.75}}));

    ASSERT_EQ(csv.parse_row("0,49,,0.8,0.6", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.step, 49.0);
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"val_loss", 0.8}, {"val_acc", 0.6}}));
    // Metric names are views into columns().
    EXPECT_EQ(line.metrics[0].name.data(), csv.columns()[3].data());
}

TEST(CsvMetrics, StepAndEpochAnywhere) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("lr-Adam,train_loss,step,val_acc,epoch"));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row("0.001,1.25,99,,2", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.step, 99.0);
    EXPECT_EQ(line.epoch, 2.0);
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"lr-Adam", 0.001}, {"train_loss", 1.25}}));
}

TEST(CsvMetrics, NoStepColumn) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("loss,acc"));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row("0.5,0.9", line), CsvMetrics::RowResult::ok);
    EXPECT_FALSE(present(line.step));
    EXPECT_FALSE(present(line.epoch));
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"loss", 0.5}, {"acc", 0.9}}));
}

TEST(CsvMetrics, GrowingHeader) {
    CsvMetrics csv;
    ParsedLine line;
    ASSERT_TRUE(csv.set_header("epoch,step,train_loss"));
    ASSERT_EQ(csv.parse_row("0,9,1.0", line), CsvMetrics::RowResult::ok);
    // Before the rewrite a wider row does not fit.
    EXPECT_EQ(csv.parse_row("0,9,,0.7", line), CsvMetrics::RowResult::malformed);
    ASSERT_TRUE(csv.set_header("epoch,step,train_loss,val_loss"));
    EXPECT_EQ(csv.columns().size(), 4u);
    ASSERT_EQ(csv.parse_row("0,9,,0.7", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"val_loss", 0.7}}));
    // Old, shorter rows of the rewritten file read their missing fields as blank.
    ASSERT_EQ(csv.parse_row("0,9,1.0", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"train_loss", 1.0}}));
}

TEST(CsvMetrics, BlankAndMalformedRows) {
    CsvMetrics csv;
    ParsedLine line;
    EXPECT_EQ(csv.parse_row("1,2", line), CsvMetrics::RowResult::malformed);  // no header yet
    ASSERT_TRUE(csv.set_header("step,loss"));
    EXPECT_EQ(csv.parse_row("", line), CsvMetrics::RowResult::blank);
    EXPECT_EQ(csv.parse_row(" \r", line), CsvMetrics::RowResult::blank);
    line.step = 5;
    EXPECT_EQ(csv.parse_row("1,2,3", line), CsvMetrics::RowResult::malformed);
    EXPECT_FALSE(present(line.step));  // cleared
    EXPECT_TRUE(line.metrics.empty());
    EXPECT_EQ(csv.parse_row("1,\"2", line), CsvMetrics::RowResult::malformed);
    ASSERT_EQ(csv.parse_row("1", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.step, 1.0);
    EXPECT_TRUE(line.metrics.empty());
}

TEST(CsvMetrics, BadHeadersRefuseRows) {
    CsvMetrics csv;
    EXPECT_FALSE(csv.set_header(""));
    EXPECT_FALSE(csv.set_header("  \r"));
    EXPECT_FALSE(csv.set_header("step,\"loss"));
    EXPECT_TRUE(csv.columns().empty());
    ParsedLine line;
    EXPECT_EQ(csv.parse_row("1,2", line), CsvMetrics::RowResult::malformed);
    // A good header after a bad one works again.
    ASSERT_TRUE(csv.set_header("step,loss"));
    EXPECT_EQ(csv.parse_row("1,2", line), CsvMetrics::RowResult::ok);
    // A bad header after a good one refuses rows again.
    EXPECT_FALSE(csv.set_header("\"x"));
    EXPECT_EQ(csv.parse_row("1,2", line), CsvMetrics::RowResult::malformed);
}

TEST(CsvMetrics, TextFieldsAreSkipped) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("step,stage,loss,note"));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row("abc,train,0.5,\"a, b\"", line), CsvMetrics::RowResult::ok);
    EXPECT_FALSE(present(line.step));
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"loss", 0.5}}));
}

TEST(CsvMetrics, QuotedHeaderAndQuotedNumbers) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header(R"(step,"loss, smoothed","the ""best"" acc")"));
    EXPECT_EQ(csv.columns(), (Fields{"step", "loss, smoothed", R"(the "best" acc)"}));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row(R"("3","0.5",0.9)", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.step, 3.0);
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"loss, smoothed", 0.5}, {R"(the "best" acc)", 0.9}}));
}

TEST(CsvMetrics, CrlfLines) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("step,loss\r"));
    EXPECT_EQ(csv.columns(), (Fields{"step", "loss"}));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row("7,0.25\r", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.step, 7.0);
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"loss", 0.25}}));
}

TEST(CsvMetrics, NanAndInfinityAreMetrics) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("step,loss,grad"));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row("1,nan,inf", line), CsvMetrics::RowResult::ok);
    ASSERT_EQ(line.metrics.size(), 2u);
    EXPECT_EQ(line.metrics[0].name, "loss");
    EXPECT_TRUE(std::isnan(line.metrics[0].value));
    EXPECT_EQ(line.metrics[1].value, std::numeric_limits<double>::infinity());
}

TEST(CsvMetrics, DuplicateAndEmptyColumnNames) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("step,loss,,loss,step"));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row("1,0.5,9,0.7,2", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.step, 1.0);
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"loss", 0.5}}));
    EXPECT_EQ(line.metrics.size(), 1u);
}

TEST(CsvMetrics, TimestampColumns) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("timestamp,step,loss"));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row("1700000000.5,1,0.5", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.timestamp, 1700000000.5);
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"loss", 0.5}}));
    ASSERT_EQ(csv.parse_row("1700000000500,2,0.4", line), CsvMetrics::RowResult::ok);
    EXPECT_DOUBLE_EQ(line.timestamp, 1700000000.5);
    // A text timestamp is skipped.
    ASSERT_EQ(csv.parse_row("2024-01-02 10:00:00,3,0.3", line), CsvMetrics::RowResult::ok);
    EXPECT_FALSE(present(line.timestamp));
    EXPECT_EQ(line.step, 3.0);

    ASSERT_TRUE(csv.set_header("created_at,time,loss"));
    ASSERT_EQ(csv.parse_row(",1700000001,0.2", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.timestamp, 1700000001.0);
    EXPECT_EQ(metrics_of(line), (std::map<std::string, double>{{"loss", 0.2}}));
}

TEST(CsvMetrics, ByteOrderMarkAndSpacesInHeader) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("\xEF\xBB\xBFstep, loss "));
    EXPECT_EQ(csv.columns(), (Fields{"step", "loss"}));
}

TEST(CsvMetrics, RowsReuseTheirBuffers) {
    CsvMetrics csv;
    ASSERT_TRUE(csv.set_header("step,a,b,c"));
    ParsedLine line;
    ASSERT_EQ(csv.parse_row("1,1,2,3", line), CsvMetrics::RowResult::ok);
    auto capacity = line.metrics.capacity();
    const auto* data = line.metrics.data();
    for (int i = 0; i < 100; ++i) ASSERT_EQ(csv.parse_row("2,\"4\",5,6", line), CsvMetrics::RowResult::ok);
    EXPECT_EQ(line.metrics.capacity(), capacity);
    EXPECT_EQ(line.metrics.data(), data);
}

}  // namespace
}  // namespace ailab::runs::formats
