#include "runs/formats/tf_event.hpp"
#include "runs/formats/little_endian.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

#include <boost/json.hpp>

namespace ailab::runs::formats {
namespace {

// --- protobuf wire format -------------------------------------------------------------------

enum class Wire : std::uint32_t { varint = 0, fixed64 = 1, bytes = 2, fixed32 = 5 };

// One field as read off the wire: `number` is the value of a varint or the bits of a fixed32 or
// fixed64 (in the low bits), `bytes` the payload of a length-delimited field.
struct Field {
    std::uint32_t number = 0;
    Wire wire = Wire::varint;
    std::uint64_t value = 0;
    std::string_view bytes;
};

// The varint at `position` (at most 10 bytes, all before `end`) into `value`; the position after
// it, or nullptr when it is malformed. The one-byte case is inlined by the callers.
[[gnu::noinline]] const char* read_long_varint(const char* position, const char* end, std::uint64_t& value) {
    std::uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (position == end) return nullptr;
        const auto byte = static_cast<std::uint8_t>(*position++);
        result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (byte < 0x80) {
            value = result;
            return position;
        }
    }
    return nullptr;  // more than 10 bytes
}

// Reads the fields of one message in order. next() is false at the end of the message and on
// malformed input, which failed() then tells apart. Groups (wire types 3 and 4) and the unused
// wire types 6 and 7 are malformed: proto3 has no groups and TensorFlow's messages use none.
// Everything is inline: the decoders below are a handful of fields per message, and the reader
// living in registers is most of their speed.
class WireReader {
public:
    explicit WireReader(std::string_view bytes) : position_(bytes.data()), end_(bytes.data() + bytes.size()) {}

    [[gnu::always_inline]] bool next(Field& field) {
        if (position_ == end_) return false;
        std::uint64_t key;
        if (!read_varint(key) || key > std::numeric_limits<std::uint32_t>::max() || (key >> 3) == 0) return fail();
        field.number = static_cast<std::uint32_t>(key >> 3);
        const auto remaining = static_cast<std::size_t>(end_ - position_);
        switch (key & 7) {
        case 0: field.wire = Wire::varint; return read_varint(field.value) || fail();
        case 1:
            field.wire = Wire::fixed64;
            if (remaining < 8) return fail();
            field.value = load_le<std::uint64_t>(position_);
            position_ += 8;
            return true;
        case 2: {
            field.wire = Wire::bytes;
            std::uint64_t length;
            if (!read_varint(length) || length > static_cast<std::uint64_t>(end_ - position_)) return fail();
            field.bytes = std::string_view(position_, static_cast<std::size_t>(length));
            position_ += length;
            return true;
        }
        case 5:
            field.wire = Wire::fixed32;
            if (remaining < 4) return fail();
            field.value = load_le<std::uint32_t>(position_);
            position_ += 4;
            return true;
        default: return fail();
        }
    }

    bool failed() const { return failed_; }
    bool at_end() const { return position_ == end_; }

    // Reads one varint (of a packed repeated field, say); false when malformed.
    [[gnu::always_inline]] bool read_varint(std::uint64_t& value) {
        if (position_ == end_) return false;
        const auto byte = static_cast<std::uint8_t>(*position_);
        if (byte < 0x80) {
            value = byte;
            ++position_;
            return true;
        }
        const char* after = read_long_varint(position_, end_, value);
        if (after == nullptr) return false;
        position_ = after;
        return true;
    }

private:
    bool fail() {
        failed_ = true;
        position_ = end_;
        return false;
    }

    const char* position_;
    const char* end_;
    bool failed_ = false;
};

double as_double(std::uint64_t bits) { return std::bit_cast<double>(bits); }
float as_float(std::uint64_t bits) { return std::bit_cast<float>(static_cast<std::uint32_t>(bits)); }

// IEEE 754 binary16 bits as a float (subnormals, infinities and NaN included).
float half_to_float(std::uint32_t bits) {
    const std::uint32_t sign = (bits >> 15) & 1;
    const std::uint32_t exponent = (bits >> 10) & 0x1f;
    const std::uint32_t mantissa = bits & 0x3ff;
    float magnitude;
    if (exponent == 0)
        magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    else if (exponent == 31)
        magnitude = mantissa == 0 ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
    else
        magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
    return sign ? -magnitude : magnitude;
}

// --- tensorflow messages ----------------------------------------------------------------------

enum DataType : std::uint64_t { dt_float = 1, dt_double = 2, dt_int32 = 3, dt_string = 7, dt_int64 = 9, dt_half = 19 };

// The parts of a Summary.Value this decoder looks at; submessages stay as bytes until the plugin
// (which may come after them) is known.
struct ValueFields {
    std::string_view tag;
    std::string_view node_name;
    std::string_view plugin_name;
    std::string_view plugin_content;
    bool has_simple_value = false;
    float simple_value = 0;
    bool has_image = false;
    std::string_view image;
    bool has_tensor = false;
    std::string_view tensor;
};

bool decode_plugin_data(std::string_view bytes, ValueFields& value) {
    WireReader reader(bytes);
    Field field;
    while (reader.next(field)) {
        if (field.number == 1 || field.number == 2) {
            if (field.wire != Wire::bytes) return false;
            (field.number == 1 ? value.plugin_name : value.plugin_content) = field.bytes;
        }
    }
    return !reader.failed();
}

bool decode_metadata(std::string_view bytes, ValueFields& value) {
    WireReader reader(bytes);
    Field field;
    while (reader.next(field)) {
        if (field.number == 1) {
            if (field.wire != Wire::bytes || !decode_plugin_data(field.bytes, value)) return false;
        }
    }
    return !reader.failed();
}

// TensorShapeProto: whether it is the shape of a single element (no dims, or all of size 1).
bool decode_shape(std::string_view bytes, bool& single_element) {
    WireReader reader(bytes);
    Field field;
    single_element = true;
    while (reader.next(field)) {
        if (field.number == 2) {  // Dim
            if (field.wire != Wire::bytes) return false;
            WireReader dim(field.bytes);
            Field dim_field;
            std::int64_t size = 0;
            while (dim.next(dim_field)) {
                if (dim_field.number == 1) {
                    if (dim_field.wire != Wire::varint) return false;
                    size = static_cast<std::int64_t>(dim_field.value);
                }
            }
            if (dim.failed()) return false;
            if (size != 1) single_element = false;
        } else if (field.number == 3) {  // unknown_rank
            if (field.wire != Wire::varint) return false;
            if (field.value != 0) single_element = false;
        }
    }
    return !reader.failed();
}

// The values of one repeated numeric field of a TensorProto, packed or not: how many, and the
// last one (which is the value when there is exactly one).
struct Repeated {
    std::uint64_t count = 0;
    std::uint64_t last = 0;  // bits of a fixed field, or the varint
};

bool add_repeated(const Field& field, Wire element, Repeated& values) {
    if (field.wire == element) {
        ++values.count;
        values.last = field.value;
        return true;
    }
    if (field.wire != Wire::bytes) return false;
    const std::string_view packed = field.bytes;
    if (element == Wire::varint) {
        WireReader reader(packed);
        while (!reader.at_end()) {
            if (!reader.read_varint(values.last)) return false;
            ++values.count;
        }
        return true;
    }
    const std::size_t width = element == Wire::fixed64 ? 8 : 4;
    if (packed.size() % width != 0) return false;
    if (packed.empty()) return true;
    values.count += packed.size() / width;
    const char* last = packed.data() + packed.size() - width;
    values.last = width == 8 ? load_le<std::uint64_t>(last) : load_le<std::uint32_t>(last);
    return true;
}

enum class TensorResult { malformed, none, scalar };

// A scalar out of a TensorProto, when it holds exactly one element of a numeric type; integers
// only when `integers` (the value named its plugin "scalars").
TensorResult decode_scalar_tensor(std::string_view bytes, bool integers, double& value) {
    WireReader reader(bytes);
    Field field;
    std::uint64_t dtype = 0;
    bool single_element = true;
    std::string_view content;
    Repeated floats, doubles, halves, ints, int64s;
    while (reader.next(field)) {
        bool good = true;
        switch (field.number) {
        case 1: good = field.wire == Wire::varint, dtype = field.value; break;
        case 2: good = field.wire == Wire::bytes && decode_shape(field.bytes, single_element); break;
        case 4: good = field.wire == Wire::bytes, content = field.bytes; break;
        case 5: good = add_repeated(field, Wire::fixed32, floats); break;
        case 6: good = add_repeated(field, Wire::fixed64, doubles); break;
        case 7: good = add_repeated(field, Wire::varint, ints); break;
        case 10: good = add_repeated(field, Wire::varint, int64s); break;
        case 13: good = add_repeated(field, Wire::varint, halves); break;
        default: break;
        }
        if (!good) return TensorResult::malformed;
    }
    if (reader.failed()) return TensorResult::malformed;
    if (!single_element) return TensorResult::none;

    std::size_t width;
    const Repeated* values;
    switch (dtype) {
    case dt_float: width = 4, values = &floats; break;
    case dt_double: width = 8, values = &doubles; break;
    case dt_half: width = 2, values = &halves; break;
    case dt_int32:
        if (!integers) return TensorResult::none;
        width = 4, values = &ints;
        break;
    case dt_int64:
        if (!integers) return TensorResult::none;
        width = 8, values = &int64s;
        break;
    default: return TensorResult::none;
    }
    std::uint64_t bits;
    if (!content.empty()) {  // tensor_content wins over the typed fields, as in TensorFlow
        if (content.size() != width) return TensorResult::none;
        bits = width == 8   ? load_le<std::uint64_t>(content.data())
               : width == 4 ? load_le<std::uint32_t>(content.data())
                            : load_le<std::uint16_t>(content.data());
    } else {
        if (values->count != 1) return TensorResult::none;
        bits = values->last;
    }
    switch (dtype) {
    case dt_float: value = as_float(bits); break;
    case dt_double: value = as_double(bits); break;
    case dt_half: value = half_to_float(static_cast<std::uint32_t>(bits) & 0xffff); break;
    case dt_int32: value = static_cast<double>(static_cast<std::int32_t>(bits)); break;
    default: value = static_cast<double>(static_cast<std::int64_t>(bits)); break;
    }
    return TensorResult::scalar;
}

std::int64_t parse_dimension(std::string_view text) {
    std::int64_t number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    return error == std::errc{} && end == text.data() + text.size() ? number : 0;
}

// The images plugin's tensor: string_val = [width, height, image...].
bool decode_images_tensor(std::string_view bytes, std::string_view tag, std::vector<TfImage>& images) {
    WireReader reader(bytes);
    Field field;
    std::size_t index = 0;
    TfImage image{tag, 0, 0, {}};
    while (reader.next(field)) {
        if (field.number != 8) continue;
        if (field.wire != Wire::bytes) return false;
        if (index == 0)
            image.width = parse_dimension(field.bytes);
        else if (index == 1)
            image.height = parse_dimension(field.bytes);
        else {
            image.encoded = field.bytes;
            images.push_back(image);
        }
        ++index;
    }
    return !reader.failed();
}

// Summary.Image.
bool decode_image(std::string_view bytes, std::string_view tag, std::vector<TfImage>& images) {
    WireReader reader(bytes);
    Field field;
    TfImage image{tag, 0, 0, {}};
    while (reader.next(field)) {
        switch (field.number) {
        case 1:
        case 2:
        case 3:
            if (field.wire != Wire::varint) return false;
            if (field.number == 1) image.height = static_cast<std::int32_t>(field.value);
            if (field.number == 2) image.width = static_cast<std::int32_t>(field.value);
            break;
        case 4:
            if (field.wire != Wire::bytes) return false;
            image.encoded = field.bytes;
            break;
        default: break;
        }
    }
    if (reader.failed()) return false;
    images.push_back(image);
    return true;
}

bool is_non_scalar_plugin(std::string_view plugin) {
    return plugin == "histograms" || plugin == "text" || plugin == "pr_curves" || plugin == "audio" ||
           plugin == "hparams";
}

bool decode_value(std::string_view bytes, TfEvent& out) {
    WireReader reader(bytes);
    Field field;
    ValueFields value;
    while (reader.next(field)) {
        switch (field.number) {
        case 1:
        case 7:
            if (field.wire != Wire::bytes) return false;
            (field.number == 1 ? value.tag : value.node_name) = field.bytes;
            break;
        case 2:
            if (field.wire != Wire::fixed32) return false;
            value.has_simple_value = true;
            value.simple_value = as_float(field.value);
            break;
        case 4:
            if (field.wire != Wire::bytes) return false;
            value.has_image = true;
            value.image = field.bytes;
            break;
        case 8:
            if (field.wire != Wire::bytes) return false;
            value.has_tensor = true;
            value.tensor = field.bytes;
            break;
        case 9:
            if (field.wire != Wire::bytes || !decode_metadata(field.bytes, value)) return false;
            break;
        default: break;  // 3 old-style histogram, 5 histo, 6 audio, unknown fields
        }
    }
    if (reader.failed()) return false;

    const std::string_view tag = value.tag.empty() ? value.node_name : value.tag;
    const std::string_view plugin = value.plugin_name;
    if (value.has_simple_value && !is_non_scalar_plugin(plugin))
        out.scalars.push_back(TfScalar{tag, static_cast<double>(value.simple_value)});
    if (value.has_image && !decode_image(value.image, tag, out.images)) return false;
    if (plugin == "hparams" && is_session_start_info(value.plugin_content)) out.hparams_content = value.plugin_content;
    if (value.has_tensor && !value.has_simple_value) {
        if (plugin.empty() || plugin == "scalars") {
            double number = 0;
            switch (decode_scalar_tensor(value.tensor, plugin == "scalars", number)) {
            case TensorResult::malformed: return false;
            case TensorResult::scalar: out.scalars.push_back(TfScalar{tag, number}); break;
            case TensorResult::none: break;
            }
        } else if (plugin == "images") {
            if (!decode_images_tensor(value.tensor, tag, out.images)) return false;
        }
    }
    return true;
}

bool decode_summary(std::string_view bytes, TfEvent& out) {
    WireReader reader(bytes);
    Field field;
    while (reader.next(field)) {
        if (field.number == 1) {
            if (field.wire != Wire::bytes || !decode_value(field.bytes, out)) return false;
        }
    }
    return !reader.failed();
}

bool decode_session_log(std::string_view bytes, TfEvent& out) {
    WireReader reader(bytes);
    Field field;
    while (reader.next(field)) {
        if (field.number == 1) {
            if (field.wire != Wire::varint) return false;
            if (field.value == 1) out.session_start = true;  // START (STOP = 2, CHECKPOINT = 3)
        }
    }
    return !reader.failed();
}

// --- hparams -----------------------------------------------------------------------------------

constexpr int max_hparams_depth = 32;

bool decode_struct_value(std::string_view bytes, int depth, boost::json::value& out);

// google.protobuf.Struct { map<string, Value> fields = 1; } and the map of SessionStartInfo
// (hparams = 1) share a shape: repeated entries {key = 1, value = 2}.
bool decode_map_into(std::string_view bytes, std::uint32_t map_field, int depth, boost::json::object& out) {
    WireReader reader(bytes);
    Field field;
    while (reader.next(field)) {
        if (field.number != map_field) continue;
        if (field.wire != Wire::bytes) return false;
        WireReader entry(field.bytes);
        Field entry_field;
        std::string_view key;
        boost::json::value item;  // null when the entry has no value
        while (entry.next(entry_field)) {
            if (entry_field.number == 1) {
                if (entry_field.wire != Wire::bytes) return false;
                key = entry_field.bytes;
            } else if (entry_field.number == 2) {
                if (entry_field.wire != Wire::bytes || !decode_struct_value(entry_field.bytes, depth + 1, item))
                    return false;
            }
        }
        if (entry.failed()) return false;
        out[key] = std::move(item);
    }
    return !reader.failed();
}

// google.protobuf.Value: the last kind set wins, as for a oneof.
bool decode_struct_value(std::string_view bytes, int depth, boost::json::value& out) {
    if (depth > max_hparams_depth) return false;
    WireReader reader(bytes);
    Field field;
    out = nullptr;
    while (reader.next(field)) {
        switch (field.number) {
        case 1:
            if (field.wire != Wire::varint) return false;
            out = nullptr;
            break;
        case 2:
            if (field.wire != Wire::fixed64) return false;
            out = as_double(field.value);
            break;
        case 3:
            if (field.wire != Wire::bytes) return false;
            out = boost::json::string(field.bytes);
            break;
        case 4:
            if (field.wire != Wire::varint) return false;
            out = field.value != 0;
            break;
        case 5: {
            if (field.wire != Wire::bytes) return false;
            boost::json::object object;
            if (!decode_map_into(field.bytes, 1, depth, object)) return false;
            out = std::move(object);
            break;
        }
        case 6: {  // ListValue { repeated Value values = 1; }
            if (field.wire != Wire::bytes) return false;
            boost::json::array array;
            WireReader list(field.bytes);
            Field list_field;
            while (list.next(list_field)) {
                if (list_field.number != 1) continue;
                if (list_field.wire != Wire::bytes) return false;
                boost::json::value item;
                if (!decode_struct_value(list_field.bytes, depth + 1, item)) return false;
                array.push_back(std::move(item));
            }
            if (list.failed()) return false;
            out = std::move(array);
            break;
        }
        default: break;
        }
    }
    return !reader.failed();
}

}  // namespace

void TfEvent::clear() {
    wall_time = std::numeric_limits<double>::quiet_NaN();
    step = 0;
    has_summary = false;
    session_start = false;
    file_version = {};
    scalars.clear();
    images.clear();
    hparams_content = {};
}

DecodeError decode_event(std::string_view record, TfEvent& out) {
    out.clear();
    WireReader reader(record);
    Field field;
    while (reader.next(field)) {
        bool good = true;
        switch (field.number) {
        case 1:
            good = field.wire == Wire::fixed64;
            out.wall_time = as_double(field.value);
            break;
        case 2:
            good = field.wire == Wire::varint;
            out.step = static_cast<std::int64_t>(field.value);
            break;
        case 3:
            good = field.wire == Wire::bytes;
            out.file_version = field.bytes;
            break;
        case 5:
            good = field.wire == Wire::bytes && decode_summary(field.bytes, out);
            out.has_summary = true;
            break;
        case 7: good = field.wire == Wire::bytes && decode_session_log(field.bytes, out); break;
        default: break;  // 4 graph_def, 6 log_message, 8 tagged_run_metadata, 9 meta_graph_def, unknown
        }
        if (!good) return DecodeError::malformed;
    }
    return reader.failed() ? DecodeError::malformed : DecodeError::none;
}

bool is_session_start_info(std::string_view hparams_content) {
    WireReader reader(hparams_content);
    Field field;
    bool found = false;
    while (reader.next(field))
        if (field.number == 3 && field.wire == Wire::bytes) found = true;
    return found && !reader.failed();
}

core::Result<boost::json::object> decode_hparams(std::string_view hparams_content) {
    WireReader reader(hparams_content);
    Field field;
    boost::json::object hparams;
    while (reader.next(field)) {
        if (field.number != 3) continue;
        if (field.wire != Wire::bytes || !decode_map_into(field.bytes, 1, 0, hparams))
            return core::Error::invalid("malformed hparams plugin data (session_start_info)");
    }
    if (reader.failed()) return core::Error::invalid("malformed hparams plugin data");
    return hparams;
}

}  // namespace ailab::runs::formats
