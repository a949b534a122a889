// The tensorflow.Event decoder (runs/formats/tf_event.hpp) on records in the shapes TensorFlow,
// PyTorch and tensorboardX write (tests/support/tfevents_writer.hpp), and on malformed ones.
#include "runs/formats/tf_event.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <string>

#include <boost/json.hpp>

#include "runs/formats/tfrecord.hpp"
#include "support/tfevents_writer.hpp"

namespace ailab::runs::formats {
namespace {

namespace tfe = testing::tfevents;
using tfe::Message;

// Decodes `record`, which it keeps until the program ends, so the event's views stay valid.
TfEvent decoded(std::string record) {
    static std::deque<std::string> kept;
    kept.push_back(std::move(record));
    TfEvent event;
    EXPECT_EQ(decode_event(kept.back(), event), DecodeError::none);
    return event;
}

bool is_malformed(std::string_view record) {
    TfEvent event;
    return decode_event(record, event) == DecodeError::malformed;
}

TEST(TfEvent, FileVersion) {
    const std::string record = tfe::file_version_event(1700000000.5);
    EXPECT_EQ(record.size(), 24u);
    const TfEvent event = decoded(record);
    EXPECT_EQ(event.file_version, "brain.Event:2");
    EXPECT_EQ(event.wall_time, 1700000000.5);
    EXPECT_FALSE(event.has_summary);
    EXPECT_TRUE(event.scalars.empty());
    // The bytes every TensorFlow event file starts with.
    EXPECT_EQ(tfe::frame(record).substr(0, 12), std::string("\x18\0\0\0\0\0\0\0\xa3\x7f\x4b\x22", 12));
}

TEST(TfEvent, EmptyRecordIsAnEmptyEvent) {
    const TfEvent event = decoded("");
    EXPECT_TRUE(std::isnan(event.wall_time));
    EXPECT_EQ(event.step, 0);
    EXPECT_FALSE(event.has_summary);
}

TEST(TfEvent, SimpleValue) {
    const std::string record = tfe::scalar_event(12.25, 42, "train/loss", 0.75f);
    TfEvent event;
    ASSERT_EQ(decode_event(record, event), DecodeError::none);
    EXPECT_EQ(event.wall_time, 12.25);
    EXPECT_EQ(event.step, 42);
    EXPECT_TRUE(event.has_summary);
    ASSERT_EQ(event.scalars.size(), 1u);
    EXPECT_EQ(event.scalars[0].tag, "train/loss");
    EXPECT_EQ(event.scalars[0].value, 0.75);
    // Tags are views into the record.
    EXPECT_GE(event.scalars[0].tag.data(), record.data());
    EXPECT_LE(event.scalars[0].tag.data() + event.scalars[0].tag.size(), record.data() + record.size());
}

TEST(TfEvent, NegativeAndLargeSteps) {
    EXPECT_EQ(decoded(tfe::scalar_event(1, -1, "x", 1)).step, -1);
    EXPECT_EQ(decoded(tfe::scalar_event(1, 1ll << 40, "x", 1)).step, 1ll << 40);
}

TEST(TfEvent, EveryTensorScalarForm) {
    using Form = tfe::TensorForm;
    for (Form form : {Form::float_val, Form::float_val_unpacked, Form::double_val, Form::double_val_unpacked,
                      Form::tensor_content_float, Form::tensor_content_double, Form::half_val}) {
        const TfEvent event = decoded(tfe::tensor_scalar_event(3, 7, "acc", -1.5, form));
        ASSERT_EQ(event.scalars.size(), 1u) << static_cast<int>(form);
        EXPECT_EQ(event.scalars[0].tag, "acc");
        EXPECT_EQ(event.scalars[0].value, -1.5) << static_cast<int>(form);
        EXPECT_EQ(event.step, 7);
    }
    // Doubles keep their precision.
    const TfEvent precise = decoded(tfe::tensor_scalar_event(3, 7, "lr", 0.1, Form::tensor_content_double));
    ASSERT_EQ(precise.scalars.size(), 1u);
    EXPECT_EQ(precise.scalars[0].value, 0.1);
}

TEST(TfEvent, HalfValues) {
    struct Case {
        std::uint16_t bits;
        double value;
    };
    for (Case item : {Case{0x3c00, 1.0}, Case{0xc000, -2.0}, Case{0x7bff, 65504.0}, Case{0x0001, std::ldexp(1.0, -24)},
                      Case{0x0000, 0.0}, Case{0x3555, 0.333251953125}}) {
        Message tensor;
        tensor.varint(1, tfe::dt_half).bytes(13, Message::varint_bytes(item.bits));
        const TfEvent event = decoded(tfe::summary_event(1, 1, {tfe::tensor_value("h", tensor)}));
        ASSERT_EQ(event.scalars.size(), 1u);
        EXPECT_EQ(event.scalars[0].value, item.value) << item.bits;
        EXPECT_EQ(tfe::float_to_half(static_cast<float>(item.value)), item.bits);
    }
    Message infinity;
    infinity.varint(1, tfe::dt_half).bytes(4, std::string("\x00\x7c", 2));  // tensor_content
    const TfEvent event = decoded(tfe::summary_event(1, 1, {tfe::tensor_value("h", infinity)}));
    ASSERT_EQ(event.scalars.size(), 1u);
    EXPECT_TRUE(std::isinf(event.scalars[0].value));
}

TEST(TfEvent, TensorWithoutMetadataCountsWhenRankZero) {
    Message tensor = tfe::scalar_tensor(2.5, tfe::TensorForm::float_val);
    TfEvent event = decoded(tfe::summary_event(1, 1, {tfe::tensor_value("bare", tensor, "")}));
    ASSERT_EQ(event.scalars.size(), 1u);
    EXPECT_EQ(event.scalars[0].value, 2.5);

    Message ones;  // shape [1, 1], one value
    ones.varint(1, tfe::dt_double).message(2, tfe::tensor_shape({1, 1})).double_field(6, 4.0);
    event = decoded(tfe::summary_event(1, 1, {tfe::tensor_value("ones", ones, "")}));
    ASSERT_EQ(event.scalars.size(), 1u);
    EXPECT_EQ(event.scalars[0].value, 4.0);
}

TEST(TfEvent, TensorsThatAreNotScalars) {
    Message vector;  // shape [2], two values
    vector.varint(1, tfe::dt_float).message(2, tfe::tensor_shape({2})).float_field(5, 1).float_field(5, 2);
    Message two_values;  // no shape but two values
    two_values.varint(1, tfe::dt_float).bytes(5, Message::le_bytes(0x3f800000, 4) + Message::le_bytes(0x40000000, 4));
    Message unknown_rank;
    unknown_rank.varint(1, tfe::dt_float).message(2, Message().varint(3, 1)).float_field(5, 1);
    Message empty;  // no value at all
    empty.varint(1, tfe::dt_float);
    Message wrong_content;  // 8 bytes of content for a float
    wrong_content.varint(1, tfe::dt_float).bytes(4, std::string(8, '\0'));
    Message string;
    string.varint(1, tfe::dt_string).bytes(8, "text");
    Message integer = Message().varint(1, tfe::dt_int64).varint(10, 5);
    const Message scalar = tfe::scalar_tensor(1, tfe::TensorForm::float_val);
    const TfEvent event = decoded(tfe::summary_event(
        1, 1,
        {tfe::tensor_value("vector", vector), tfe::tensor_value("two", two_values),
         tfe::tensor_value("rank?", unknown_rank), tfe::tensor_value("empty", empty),
         tfe::tensor_value("content", wrong_content), tfe::tensor_value("string", string),
         tfe::tensor_value("int without plugin", integer, ""), tfe::tensor_value("histogram", scalar, "histograms"),
         tfe::tensor_value("text", scalar, "text"), tfe::tensor_value("pr", scalar, "pr_curves"),
         tfe::tensor_value("custom", scalar, "my_plugin"), tfe::tensor_value("hparams", scalar, "hparams"),
         tfe::simple_value("simple in text", 1).message(9, tfe::plugin_metadata("text"))}));
    EXPECT_TRUE(event.has_summary);
    for (const TfScalar& scalar_read : event.scalars) ADD_FAILURE() << "unexpected scalar " << scalar_read.tag;
}

TEST(TfEvent, IntegerTensorsCountWithTheScalarsPlugin) {
    Message int32 = Message().varint(1, tfe::dt_int32).varint(7, static_cast<std::uint64_t>(-3));
    Message int64 = Message().varint(1, tfe::dt_int64).bytes(10, Message::varint_bytes(1ull << 40));
    const TfEvent event =
        decoded(tfe::summary_event(1, 1, {tfe::tensor_value("a", int32), tfe::tensor_value("b", int64)}));
    ASSERT_EQ(event.scalars.size(), 2u);
    EXPECT_EQ(event.scalars[0].value, -3);
    EXPECT_EQ(event.scalars[1].value, static_cast<double>(1ull << 40));
}

TEST(TfEvent, MetadataAfterTheTensorAndNodeName) {
    Message value;  // fields out of their usual order; tag missing, node_name given
    value.message(8, tfe::scalar_tensor(9, tfe::TensorForm::tensor_content_float)).bytes(7, "node");
    value.message(9, tfe::plugin_metadata("scalars"));
    Message histogram;
    histogram.bytes(1, "h").message(8, tfe::scalar_tensor(9, tfe::TensorForm::float_val));
    histogram.message(9, tfe::plugin_metadata("histograms"));
    const TfEvent event = decoded(tfe::summary_event(1, 1, {value, histogram}));
    ASSERT_EQ(event.scalars.size(), 1u);
    EXPECT_EQ(event.scalars[0].tag, "node");
    EXPECT_EQ(event.scalars[0].value, 9);
}

TEST(TfEvent, SeveralValuesInOneSummary) {
    const TfEvent event = decoded(tfe::summary_event(
        5, 100,
        {tfe::simple_value("a", 1), tfe::tensor_value("b", tfe::scalar_tensor(2, tfe::TensorForm::double_val)),
         tfe::simple_value("c", 3)}));
    ASSERT_EQ(event.scalars.size(), 3u);
    EXPECT_EQ(event.scalars[0].tag, "a");
    EXPECT_EQ(event.scalars[1].tag, "b");
    EXPECT_EQ(event.scalars[2].value, 3);
}

TEST(TfEvent, UnknownFieldsOfEveryWireTypeAreSkipped) {
    const auto unknowns = [](Message message) {
        return message.varint(99, 12345).fixed64(100, 1).bytes(101, "skip me").fixed32(102, 7);
    };
    Message tensor = unknowns(tfe::scalar_tensor(1.25, tfe::TensorForm::float_val));
    Message value = unknowns(Message().bytes(1, "t")).message(8, tensor);
    value.message(9, unknowns(Message().message(1, unknowns(Message().bytes(1, "scalars")))));
    value.bytes(5, "a histogram").bytes(3, "old histogram").bytes(6, "audio");
    Message summary = unknowns(Message().message(1, value));
    Message event;
    event.bytes(4, "graph_def").bytes(6, "log_message").bytes(8, "tagged_run_metadata");
    event = unknowns(event.double_field(1, 2.0).varint(2, 3).message(5, summary));
    const TfEvent read = decoded(event.str());
    EXPECT_EQ(read.wall_time, 2.0);
    EXPECT_EQ(read.step, 3);
    ASSERT_EQ(read.scalars.size(), 1u);
    EXPECT_EQ(read.scalars[0].value, 1.25);
}

TEST(TfEvent, GroupsAndReservedWireTypesAreMalformed) {
    for (char key : {'\x0b', '\x0c', '\x0e', '\x0f'}) {  // field 1, wire types 3, 4, 6, 7
        EXPECT_TRUE(is_malformed(std::string(1, key) + "abcdefgh")) << int(key);
    }
    EXPECT_TRUE(is_malformed(std::string("\x00\x01", 2)));  // field number 0
    // A group inside the summary.
    EXPECT_TRUE(is_malformed(Message().message(5, Message().raw("\xa3\x06")).str()));
}

TEST(TfEvent, MalformedVarints) {
    const std::string eleven = "\x10" + std::string(10, '\x80') + "\x01";  // step, 11 bytes
    EXPECT_TRUE(is_malformed(eleven));
    const std::string ten = "\x10" + std::string(9, '\xff') + "\x01";  // 10 bytes: -1
    EXPECT_EQ(decoded(ten).step, -1);
    EXPECT_TRUE(is_malformed("\x10\x80\x80"));      // runs past the end
    EXPECT_TRUE(is_malformed("\x10"));              // a key with no value
    EXPECT_TRUE(is_malformed("\x80"));              // a truncated key
    EXPECT_TRUE(is_malformed("\x09\x00\x00\x00"));  // wall_time: 3 of 8 bytes
    EXPECT_TRUE(is_malformed("\x2a\x02\x15\x00"));  // a fixed32 inside the summary with 1 of 4 bytes
    // A key over 32 bits.
    EXPECT_TRUE(is_malformed(Message::varint_bytes((1ull << 35) | 2) + "\x00"));
}

TEST(TfEvent, LengthsBeyondTheBuffer) {
    EXPECT_TRUE(
        is_malformed("\x1a\x05"
                     "abc"));                                                   // file_version claims 5 bytes, has 3
    EXPECT_TRUE(is_malformed("\x2a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"));  // summary of 2^64 - 1 bytes
    // The record goes on, but the value claims more than its summary holds.
    Message summary;
    summary.raw(std::string("\x0a\x40", 2)).raw("\x0a\x01t\x15\x00\x00\x80\x3f");  // claims 64, has 8
    Message event;
    event.message(5, summary).bytes(120, std::string(200, 'p'));
    EXPECT_TRUE(is_malformed(event.str()));
    // The same inside a tensor: tensor_content runs past the tensor.
    Message tensor;
    tensor.varint(1, tfe::dt_float).raw(std::string("\x22\x10", 2)).raw("abcd");
    Message value = Message().bytes(1, "x").message(8, tensor).bytes(50, std::string(40, 'q'));
    EXPECT_TRUE(is_malformed(tfe::summary_event(1, 1, {value})));
    // Packed floats whose size is not a multiple of 4.
    Message ragged;
    ragged.varint(1, tfe::dt_float).bytes(5, "abcde");
    EXPECT_TRUE(is_malformed(tfe::summary_event(1, 1, {tfe::tensor_value("r", ragged)})));
}

TEST(TfEvent, WrongWireTypeForAKnownField) {
    EXPECT_TRUE(is_malformed(Message().fixed64(2, 5).str()));                       // step as fixed64
    EXPECT_TRUE(is_malformed(Message().varint(1, 5).str()));                        // wall_time as varint
    EXPECT_TRUE(is_malformed(Message().varint(3, 5).str()));                        // file_version as varint
    EXPECT_TRUE(is_malformed(Message().varint(5, 5).str()));                        // summary as varint
    EXPECT_TRUE(is_malformed(tfe::summary_event(1, 1, {Message().varint(1, 5)})));  // tag
    EXPECT_TRUE(is_malformed(tfe::summary_event(1, 1, {Message().bytes(1, "t").fixed64(2, 0)})));  // simple_value
    EXPECT_TRUE(is_malformed(tfe::summary_event(1, 1, {tfe::tensor_value("t", Message().fixed32(1, 1))})));  // dtype
    EXPECT_TRUE(is_malformed(Message().message(7, Message().bytes(1, "x")).str()));  // SessionLog.status
}

TEST(TfEvent, EveryTruncationIsRefusedOrDecoded) {
    const std::string record = tfe::summary_event(
        1, 2,
        {tfe::simple_value("a", 1), tfe::tensor_value("b", tfe::scalar_tensor(2, tfe::TensorForm::half_val)),
         tfe::image_value("c", 2, 2, "png")});
    ASSERT_EQ(decoded(record).scalars.size(), 2u);
    for (std::size_t size = 0; size < record.size(); ++size) {
        TfEvent event;
        const std::string cut = record.substr(0, size);  // own buffer, so ASan sees overreads
        const DecodeError error = decode_event(cut, event);
        // Only cuts at a field boundary of the event (after wall_time or step) decode.
        if (error == DecodeError::none) {
            EXPECT_FALSE(event.has_summary) << size;
        }
    }
}

TEST(TfEvent, SessionLogStart) {
    TfEvent event = decoded(tfe::session_start_event(10, 500));
    EXPECT_TRUE(event.session_start);
    EXPECT_EQ(event.step, 500);
    EXPECT_FALSE(event.has_summary);
    event = decoded(Message().double_field(1, 1).message(7, Message().varint(1, 2)).str());  // STOP
    EXPECT_FALSE(event.session_start);
}

TEST(TfEvent, SummaryImage) {
    const std::string png = "\x89PNG\r\n\x1a\n-fake-";
    const std::string record = tfe::image_event(1, 3, "samples/0", 64, 32, png);
    TfEvent event;
    ASSERT_EQ(decode_event(record, event), DecodeError::none);
    ASSERT_EQ(event.images.size(), 1u);
    EXPECT_EQ(event.images[0].tag, "samples/0");
    EXPECT_EQ(event.images[0].width, 64);
    EXPECT_EQ(event.images[0].height, 32);
    EXPECT_EQ(event.images[0].encoded, png);
    const auto offset = static_cast<std::size_t>(event.images[0].encoded.data() - record.data());
    EXPECT_EQ(record.substr(offset, png.size()), png);
    EXPECT_TRUE(event.scalars.empty());
}

TEST(TfEvent, ImagesPluginTensor) {
    const std::string record = tfe::images_plugin_event(1, 4, "gen", 28, 14, {"first", "second"});
    const TfEvent event = decoded(record);
    ASSERT_EQ(event.images.size(), 2u);
    EXPECT_EQ(event.images[0].tag, "gen");
    EXPECT_EQ(event.images[0].width, 28);
    EXPECT_EQ(event.images[0].height, 14);
    EXPECT_EQ(event.images[0].encoded, "first");
    EXPECT_EQ(event.images[1].encoded, "second");
    EXPECT_EQ(event.images[1].width, 28);
    EXPECT_TRUE(event.scalars.empty());
    // Dimensions that are not numbers read as 0.
    Message tensor = Message().varint(1, tfe::dt_string).bytes(8, "wide").bytes(8, "12").bytes(8, "img");
    const TfEvent odd = decoded(tfe::summary_event(1, 1, {tfe::tensor_value("odd", tensor, "images")}));
    ASSERT_EQ(odd.images.size(), 1u);
    EXPECT_EQ(odd.images[0].width, 0);
    EXPECT_EQ(odd.images[0].height, 12);
}

TEST(TfEvent, HparamsSessionStartInfo) {
    const std::string record =
        tfe::hparams_event(7, {{"lr", 0.001}, {"optimizer", std::string("adam")}, {"shuffle", true}, {"layers", 4.0}});
    const TfEvent event = decoded(record);
    EXPECT_TRUE(event.scalars.empty());
    ASSERT_FALSE(event.hparams_content.empty());
    EXPECT_TRUE(is_session_start_info(event.hparams_content));
    const auto hparams = decode_hparams(event.hparams_content);
    ASSERT_TRUE(hparams) << hparams.error().message;
    EXPECT_EQ(hparams->size(), 4u);
    EXPECT_EQ(hparams->at("lr"), boost::json::value(0.001));
    EXPECT_EQ(hparams->at("optimizer"), boost::json::value("adam"));
    EXPECT_EQ(hparams->at("shuffle"), boost::json::value(true));
    EXPECT_EQ(hparams->at("layers"), boost::json::value(4.0));
}

TEST(TfEvent, HparamsExperimentAndEndInfoAreNotSessionStarts) {
    for (std::uint32_t field : {2u, 4u}) {
        const std::string content = Message().message(field, Message().bytes(1, "x")).str();
        EXPECT_FALSE(is_session_start_info(content));
        Message value = Message().bytes(1, "_hparams_/experiment").message(9, tfe::plugin_metadata("hparams", content));
        EXPECT_TRUE(decoded(tfe::summary_event(1, 0, {value})).hparams_content.empty());
        const auto hparams = decode_hparams(content);
        ASSERT_TRUE(hparams);
        EXPECT_TRUE(hparams->empty());
    }
    // A session_start_info under another plugin is not taken either.
    Message other =
        Message().bytes(1, "x").message(9, tfe::plugin_metadata("text", tfe::session_start_info_content({{"a", 1.0}})));
    EXPECT_TRUE(decoded(tfe::summary_event(1, 0, {other})).hparams_content.empty());
}

TEST(TfEvent, HparamsNullStructAndList) {
    Message list;  // ListValue [1, "two", [true]]
    list.message(1, Message().double_field(2, 1)).message(1, Message().bytes(3, "two"));
    list.message(1, Message().message(6, Message().message(1, Message().varint(4, 1))));
    Message structure;  // Struct {"inner": null}
    structure.message(1, Message().bytes(1, "inner").message(2, Message().varint(1, 0)));
    Message start;
    start.message(1, Message().bytes(1, "list").message(2, Message().message(6, list)));
    start.message(1, Message().bytes(1, "struct").message(2, Message().message(5, structure)));
    start.message(1, Message().bytes(1, "missing"));  // an entry without a value
    start.bytes(2, "model_uri").bytes(4, "group").double_field(5, 123.0);
    const auto hparams = decode_hparams(Message().varint(1, 0).message(3, start).str());
    ASSERT_TRUE(hparams) << hparams.error().message;
    EXPECT_EQ(boost::json::serialize(*hparams),
              R"({"list":[1E0,"two",[true]],"struct":{"inner":null},"missing":null})");
}

TEST(TfEvent, HparamsDepthLimitAndMalformedBytes) {
    Message value = Message().double_field(2, 1);
    for (int depth = 0; depth < 40; ++depth) value = Message().message(6, Message().message(1, value));
    Message start;
    start.message(1, Message().bytes(1, "deep").message(2, value));
    EXPECT_FALSE(decode_hparams(Message().message(3, start).str()));

    const std::string good = tfe::session_start_info_content({{"lr", 0.1}});
    EXPECT_TRUE(decode_hparams(good));
    for (std::size_t size = 1; size < good.size(); ++size) {
        if (size == 2) continue;  // just the version field: valid, and no session_start_info
        const std::string cut = good.substr(0, size);
        EXPECT_FALSE(decode_hparams(cut)) << size;
    }
    EXPECT_FALSE(decode_hparams(Message().varint(3, 1).str()));  // session_start_info as a varint
    EXPECT_FALSE(is_session_start_info("\x1a\x09"));
    EXPECT_FALSE(
        decode_hparams(Message().message(3, Message().message(1, Message().bytes(1, "k").fixed32(2, 0))).str()));
}

TEST(TfEvent, ReusedEventIsClearedAndKeepsCapacity) {
    TfEvent event;
    const std::string many = tfe::summary_event(1, 1, {tfe::simple_value("a", 1), tfe::simple_value("b", 2)});
    ASSERT_EQ(decode_event(many, event), DecodeError::none);
    ASSERT_EQ(event.scalars.size(), 2u);
    const auto capacity = event.scalars.capacity();
    const std::string hparams = tfe::hparams_event(1, {{"x", 1.0}});
    ASSERT_EQ(decode_event(hparams, event), DecodeError::none);
    EXPECT_FALSE(event.hparams_content.empty());
    ASSERT_EQ(decode_event(tfe::file_version_event(3), event), DecodeError::none);
    EXPECT_TRUE(event.scalars.empty());
    EXPECT_TRUE(event.hparams_content.empty());
    EXPECT_FALSE(event.has_summary);
    EXPECT_EQ(event.scalars.capacity(), capacity);
    event.clear();
    EXPECT_TRUE(std::isnan(event.wall_time));
}

TEST(TfEvent, EventsFileFramesEveryRecord) {
    const std::string file = tfe::events_file({tfe::file_version_event(1), tfe::scalar_event(2, 1, "loss", 0.5f)});
    std::string_view rest = file;
    std::size_t records = 0;
    while (!rest.empty()) {
        const Frame frame = next_frame(rest, 1 << 20);
        ASSERT_EQ(frame.status, FrameStatus::record);
        TfEvent event;
        ASSERT_EQ(decode_event(frame.data, event), DecodeError::none);
        rest.remove_prefix(frame.consumed);
        ++records;
    }
    EXPECT_EQ(records, 2u);
}

}  // namespace
}  // namespace ailab::runs::formats
