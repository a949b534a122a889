#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/json_writer.hpp"

namespace ailab::core {
namespace {

TEST(JsonWriter, WritesNestedStructuresWithCommas) {
    std::string out;
    JsonWriter writer(out);
    writer.begin_object();
    writer.field("a", 1);
    writer.key("b");
    writer.begin_array();
    writer.number(0.5);
    writer.null();
    writer.boolean(true);
    writer.end_array();
    writer.field("c", std::string("x"));
    writer.end_object();
    EXPECT_EQ(out, R"({"a":1,"b":[0.5,null,true],"c":"x"})");
}

TEST(JsonWriter, NumbersAreShortestAndNonFiniteIsNull) {
    std::string out;
    JsonWriter writer(out);
    writer.begin_array();
    writer.number(3.0);
    writer.number(0.001);
    writer.number(0.1f);
    writer.number(std::numeric_limits<double>::quiet_NaN());
    writer.number(std::numeric_limits<double>::infinity());
    writer.end_array();
    EXPECT_EQ(out, "[3,0.001,0.1,null,null]");
}

TEST(JsonWriter, EscapesControlCharactersAndReplacesInvalidUtf8) {
    std::string out;
    append_json_string(out, std::string("a\"b\\c\n\x01\xC3\xA9\xFF", 10));
    EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xC3\xA9\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace ailab::core
