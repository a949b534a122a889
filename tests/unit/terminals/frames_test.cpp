#include "terminals/frames.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace ailab::terminals {
namespace {

TEST(TerminalFrames, InputKeepsEveryByteIncludingNulAndControl) {
    // Bad input: bytes a text codec would mangle (NUL, ESC, Ctrl-C, invalid UTF-8).
    const std::string bytes("a\0\x1b\x03\xff", 5);
    const auto wire = input_frame(bytes);  // the parsed frame views into it
    auto frame = parse_client_frame(wire);
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->type, ClientFrameType::input);
    EXPECT_EQ(std::string(frame->input), bytes);
}

TEST(TerminalFrames, ResizeAndAcknowledgeRoundTrip) {
    auto resize = parse_client_frame(resize_frame(132, 43));
    ASSERT_TRUE(resize);
    EXPECT_EQ(resize->type, ClientFrameType::resize);
    EXPECT_EQ(resize->cols, 132);
    EXPECT_EQ(resize->rows, 43);
    auto ack = parse_client_frame(acknowledge_frame(int64_t{5} << 32));
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->type, ClientFrameType::acknowledge);
    EXPECT_EQ(ack->offset, int64_t{5} << 32);
}

TEST(TerminalFrames, RefusesMalformedFrames) {
    // Bad input: empty frames, unknown types, sizes out of range or not numbers, negative offsets.
    EXPECT_FALSE(parse_client_frame(""));
    EXPECT_FALSE(parse_client_frame("9abc"));
    EXPECT_FALSE(parse_client_frame("1{\"cols\":0,\"rows\":24}"));
    EXPECT_FALSE(parse_client_frame("1{\"cols\":80,\"rows\":1001}"));
    EXPECT_FALSE(parse_client_frame("1{\"cols\":\"80\",\"rows\":24}"));
    EXPECT_FALSE(parse_client_frame("1not json"));
    EXPECT_FALSE(parse_client_frame("2{\"offset\":-1}"));
    EXPECT_FALSE(parse_client_frame("2{\"offset\":1.5}"));
    EXPECT_FALSE(parse_client_frame("2[]"));
}

TEST(TerminalFrames, AttachWithAndWithoutOffset) {
    auto with = parse_attach(attach_message(100, 30, 42));
    ASSERT_TRUE(with);
    EXPECT_EQ(with->cols, 100);
    EXPECT_EQ(with->rows, 30);
    ASSERT_TRUE(with->offset);
    EXPECT_EQ(*with->offset, 42);
    auto without = parse_attach(attach_message(80, 24, std::nullopt));
    ASSERT_TRUE(without);
    EXPECT_FALSE(without->offset);
    auto absent = parse_attach(R"({"type":"attach","cols":80,"rows":24})");
    ASSERT_TRUE(absent);
    EXPECT_FALSE(absent->offset);
    // Bad input: another type, a missing size, a negative offset, not JSON.
    EXPECT_FALSE(parse_attach(R"({"type":"resume","cols":80,"rows":24})"));
    EXPECT_FALSE(parse_attach(R"({"type":"attach","rows":24})"));
    EXPECT_FALSE(parse_attach(R"({"type":"attach","cols":80,"rows":24,"offset":-5})"));
    EXPECT_FALSE(parse_attach("attach"));
}

TEST(TerminalFrames, ServerFramesStartWithTheirAsciiType) {
    EXPECT_EQ(output_frame("hi"), "0hi");
    EXPECT_EQ(title_frame("vim"), "1vim");
    const auto exit = exit_frame(3, std::nullopt);
    ASSERT_EQ(exit.front(), '2');
    auto body = boost::json::parse(exit.substr(1)).as_object();
    EXPECT_EQ(body.at("code").as_int64(), 3);
    EXPECT_TRUE(body.at("signal").is_null());
    auto attached = boost::json::parse(attached_message(7, "\x1b[?1049h")).as_object();
    EXPECT_EQ(attached.at("type").as_string(), "attached");
    EXPECT_EQ(attached.at("offset").as_int64(), 7);
    EXPECT_EQ(attached.at("restore").as_string(), "\x1b[?1049h");
}

}  // namespace
}  // namespace ailab::terminals
