#pragma once
// A small writer of TensorBoard event files for tests and benchmark generators: a protobuf
// encoder (Message) and builders of tensorflow.Event records in the shapes TensorFlow, PyTorch
// and tensorboardX write. Every builder returns one serialized Event (a TFRecord payload); frame()
// wraps it in TFRecord framing and events_file() concatenates framed records into file contents.
//
//     std::string file = tfevents::events_file({tfevents::file_version_event(1.0),
//                                               tfevents::scalar_event(2.0, 1, "loss", 0.5f)});
//
// Header-only; uses encode_frame from the runs library.

#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "runs/formats/tfrecord.hpp"

namespace ailab::testing::tfevents {

// Appends fields in protobuf wire format. Builders return *this so fields chain.
class Message {
public:
    Message& varint(std::uint32_t field, std::uint64_t value) {
        key(field, 0);
        put_varint(value);
        return *this;
    }
    Message& fixed64(std::uint32_t field, std::uint64_t bits) {
        key(field, 1);
        put_le(bits, 8);
        return *this;
    }
    Message& fixed32(std::uint32_t field, std::uint32_t bits) {
        key(field, 5);
        put_le(bits, 4);
        return *this;
    }
    Message& double_field(std::uint32_t field, double value) {
        return fixed64(field, std::bit_cast<std::uint64_t>(value));
    }
    Message& float_field(std::uint32_t field, float value) {
        return fixed32(field, std::bit_cast<std::uint32_t>(value));
    }
    Message& bytes(std::uint32_t field, std::string_view value) {
        key(field, 2);
        put_varint(value.size());
        bytes_.append(value);
        return *this;
    }
    Message& message(std::uint32_t field, const Message& value) { return bytes(field, value.str()); }
    // Bytes as they are (for malformed input in tests).
    Message& raw(std::string_view value) {
        bytes_.append(value);
        return *this;
    }

    const std::string& str() const { return bytes_; }
    operator std::string() const { return bytes_; }

    // The encodings, for building packed fields by hand.
    static std::string varint_bytes(std::uint64_t value) {
        Message out;
        out.put_varint(value);
        return out.bytes_;
    }
    static std::string le_bytes(std::uint64_t value, int width) {
        Message out;
        out.put_le(value, width);
        return out.bytes_;
    }

private:
    void key(std::uint32_t field, std::uint32_t wire) { put_varint((static_cast<std::uint64_t>(field) << 3) | wire); }
    void put_varint(std::uint64_t value) {
        while (value >= 0x80) {
            bytes_.push_back(static_cast<char>((value & 0x7f) | 0x80));
            value >>= 7;
        }
        bytes_.push_back(static_cast<char>(value));
    }
    void put_le(std::uint64_t value, int width) {
        for (int i = 0; i < width; ++i) bytes_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }

    std::string bytes_;
};

// --- tensorflow messages -------------------------------------------------------------------------

// TensorProto dtypes.
inline constexpr std::uint64_t dt_float = 1, dt_double = 2, dt_int32 = 3, dt_string = 7, dt_int64 = 9, dt_half = 19;

// float -> IEEE binary16 bits (round to nearest even; overflow to infinity; subnormals kept).
inline std::uint16_t float_to_half(float value) {
    const auto bits = std::bit_cast<std::uint32_t>(value);
    const std::uint32_t sign = (bits >> 16) & 0x8000;
    const std::uint32_t exponent = (bits >> 23) & 0xff;
    std::uint32_t mantissa = bits & 0x7fffff;
    if (exponent == 0xff) return static_cast<std::uint16_t>(sign | 0x7c00 | (mantissa ? 0x200 : 0));
    const int half_exponent = static_cast<int>(exponent) - 127 + 15;
    if (half_exponent >= 31) return static_cast<std::uint16_t>(sign | 0x7c00);
    if (half_exponent <= 0) {
        if (half_exponent < -10) return static_cast<std::uint16_t>(sign);
        mantissa |= 0x800000;
        const int shift = 14 - half_exponent;
        std::uint32_t half = mantissa >> shift;
        const std::uint32_t rest = mantissa & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1))) ++half;
        return static_cast<std::uint16_t>(sign | half);
    }
    std::uint32_t half = (static_cast<std::uint32_t>(half_exponent) << 10) | (mantissa >> 13);
    const std::uint32_t rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;  // may carry into the exponent: fine
    return static_cast<std::uint16_t>(sign | half);
}

// SummaryMetadata { plugin_data { plugin_name, content } }.
inline Message plugin_metadata(std::string_view plugin_name, std::string_view content = {}) {
    Message plugin_data;
    plugin_data.bytes(1, plugin_name);
    if (!content.empty()) plugin_data.bytes(2, content);
    return Message().message(1, plugin_data);
}

// TensorShapeProto with the given dims.
inline Message tensor_shape(const std::vector<std::int64_t>& dims) {
    Message shape;
    for (std::int64_t size : dims) shape.message(2, Message().varint(1, static_cast<std::uint64_t>(size)));
    return shape;
}

// Summary.Value builders.
inline Message simple_value(std::string_view tag, float value) { return Message().bytes(1, tag).float_field(2, value); }
inline Message tensor_value(std::string_view tag, const Message& tensor, std::string_view plugin_name = "scalars",
                            std::string_view content = {}) {
    Message value;
    value.bytes(1, tag);
    if (!plugin_name.empty()) value.message(9, plugin_metadata(plugin_name, content));
    return value.message(8, tensor);
}

// An Event around a Summary of the given values.
inline std::string summary_event(double wall_time, std::int64_t step, const std::vector<Message>& values) {
    Message summary;
    for (const Message& value : values) summary.message(1, value);
    return Message().double_field(1, wall_time).varint(2, static_cast<std::uint64_t>(step)).message(5, summary);
}

// The first record of every file.
inline std::string file_version_event(double wall_time, std::string_view version = "brain.Event:2") {
    return Message().double_field(1, wall_time).bytes(3, version);
}

// TF1 tf.summary.scalar, PyTorch add_scalar: Summary.Value.simple_value.
inline std::string scalar_event(double wall_time, std::int64_t step, std::string_view tag, float value) {
    return summary_event(wall_time, step, {simple_value(tag, value)});
}

// How a tensor scalar holds its value.
enum class TensorForm {
    float_val,              // DT_FLOAT, float_val packed (proto3's default)
    float_val_unpacked,     // DT_FLOAT, float_val as one fixed32 field
    double_val,             // DT_DOUBLE, double_val packed
    double_val_unpacked,    // DT_DOUBLE, double_val as one fixed64 field
    tensor_content_float,   // DT_FLOAT, 4 little-endian bytes in tensor_content (TF2 tf.summary.scalar)
    tensor_content_double,  // DT_DOUBLE, 8 bytes in tensor_content
    half_val,               // DT_HALF, half_val packed
};

// A rank-0 TensorProto holding `value` in the given form.
inline Message scalar_tensor(double value, TensorForm form) {
    Message tensor;
    const auto as_float = static_cast<float>(value);
    switch (form) {
    case TensorForm::float_val:
        tensor.varint(1, dt_float).message(2, Message());
        tensor.bytes(5, Message::le_bytes(std::bit_cast<std::uint32_t>(as_float), 4));
        break;
    case TensorForm::float_val_unpacked:
        tensor.varint(1, dt_float).message(2, Message()).float_field(5, as_float);
        break;
    case TensorForm::double_val:
        tensor.varint(1, dt_double).message(2, Message());
        tensor.bytes(6, Message::le_bytes(std::bit_cast<std::uint64_t>(value), 8));
        break;
    case TensorForm::double_val_unpacked:
        tensor.varint(1, dt_double).message(2, Message()).double_field(6, value);
        break;
    case TensorForm::tensor_content_float:
        tensor.varint(1, dt_float).message(2, Message());
        tensor.bytes(4, Message::le_bytes(std::bit_cast<std::uint32_t>(as_float), 4));
        break;
    case TensorForm::tensor_content_double:
        tensor.varint(1, dt_double).message(2, Message());
        tensor.bytes(4, Message::le_bytes(std::bit_cast<std::uint64_t>(value), 8));
        break;
    case TensorForm::half_val:
        tensor.varint(1, dt_half).message(2, Message());
        tensor.bytes(13, Message::varint_bytes(float_to_half(as_float)));
        break;
    }
    return tensor;
}

// TF2 tf.summary.scalar, PyTorch add_scalar(new_style=True): a rank-0 tensor, plugin "scalars".
inline std::string tensor_scalar_event(double wall_time, std::int64_t step, std::string_view tag, double value,
                                       TensorForm form = TensorForm::tensor_content_float) {
    return summary_event(wall_time, step, {tensor_value(tag, scalar_tensor(value, form))});
}

// TF1 tf.summary.image, PyTorch add_image: Summary.Image.
inline Message image_value(std::string_view tag, std::int64_t width, std::int64_t height, std::string_view encoded,
                           std::int64_t colorspace = 3) {
    Message image;
    image.varint(1, static_cast<std::uint64_t>(height))
        .varint(2, static_cast<std::uint64_t>(width))
        .varint(3, static_cast<std::uint64_t>(colorspace))
        .bytes(4, encoded);
    return Message().bytes(1, tag).message(4, image);
}
inline std::string image_event(double wall_time, std::int64_t step, std::string_view tag, std::int64_t width,
                               std::int64_t height, std::string_view encoded) {
    return summary_event(wall_time, step, {image_value(tag, width, height, encoded)});
}

// TF2 tf.summary.image: plugin "images", a DT_STRING tensor [width, height, image...].
inline std::string images_plugin_event(double wall_time, std::int64_t step, std::string_view tag, std::int64_t width,
                                       std::int64_t height, const std::vector<std::string>& images) {
    Message tensor;
    tensor.varint(1, dt_string).message(2, tensor_shape({static_cast<std::int64_t>(images.size() + 2)}));
    tensor.bytes(8, std::to_string(width)).bytes(8, std::to_string(height));
    for (const std::string& image : images) tensor.bytes(8, image);
    return summary_event(wall_time, step, {tensor_value(tag, tensor, "images")});
}

// An hparam's value as PyTorch's add_hparams accepts it.
using HparamValue = std::variant<double, std::string, bool>;

// google.protobuf.Value for one hparam.
inline Message hparam_value(const HparamValue& value) {
    Message out;
    if (const auto* number = std::get_if<double>(&value))
        out.double_field(2, *number);
    else if (const auto* text = std::get_if<std::string>(&value))
        out.bytes(3, *text);
    else
        out.varint(4, std::get<bool>(value) ? 1 : 0);
    return out;
}

// HParamsPluginData { version = 0; session_start_info { hparams = {...}; group_name } }.
inline std::string session_start_info_content(const std::map<std::string, HparamValue>& hparams,
                                              std::string_view group_name = {}) {
    Message start_info;
    for (const auto& [name, value] : hparams)
        start_info.message(1, Message().bytes(1, name).message(2, hparam_value(value)));
    if (!group_name.empty()) start_info.bytes(4, group_name);
    return Message().varint(1, 0).message(3, start_info);
}

// PyTorch's add_hparams: tag "_hparams_/session_start_info", plugin "hparams", no tensor.
inline std::string hparams_event(double wall_time, const std::map<std::string, HparamValue>& hparams,
                                 std::int64_t step = 0) {
    Message value;
    value.bytes(1, "_hparams_/session_start_info");
    value.message(9, plugin_metadata("hparams", session_start_info_content(hparams)));
    return summary_event(wall_time, step, {value});
}

// SessionLog { status: START } (a writer that restarted; TensorBoard drops later steps).
inline std::string session_start_event(double wall_time, std::int64_t step) {
    return Message()
        .double_field(1, wall_time)
        .varint(2, static_cast<std::uint64_t>(step))
        .message(7, Message().varint(1, 1));
}

// TFRecord framing.
inline std::string frame(std::string_view record) { return runs::formats::encode_frame(record); }

// File contents: the records, framed, one after another.
inline std::string events_file(const std::vector<std::string>& records) {
    std::string out;
    for (const std::string& record : records) out += frame(record);
    return out;
}

}  // namespace ailab::testing::tfevents
