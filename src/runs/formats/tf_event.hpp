#pragma once
// A decoder for the records of TensorBoard event files: tensorflow.Event protobuf messages
// (tensorflow/core/util/event.proto, framework/summary.proto, framework/tensor.proto), reduced to
// what the runs page shows: scalars, images, the hparams of a session and the file version.
//
// What counts:
// - Scalars: Summary.Value.simple_value (unless the value's plugin is histograms, text,
//   pr_curves, audio or hparams), and rank-0 tensors (no dims, or all dims 1, holding one value)
//   of DT_FLOAT, DT_DOUBLE or DT_HALF whose plugin is "scalars" or absent, from float_val,
//   double_val, half_val or tensor_content; with the plugin "scalars", DT_INT32 and DT_INT64 too.
// - Images: Summary.Image (encoded_image_string), and tensors of the plugin "images" (DT_STRING,
//   string_val = [width, height, image...], one TfImage per image).
// - hparams: the PluginData.content of a value of the plugin "hparams" that holds a
//   session_start_info (PyTorch's add_hparams, tensorboard.plugins.hparams); the last one wins.
// - SessionLog START (a restarted writer) and file_version ("brain.Event:2").
// Graph defs, histograms, audio, text and unknown fields are skipped without being looked into.
//
// Every string_view in a TfEvent points into the record: keep the record alive while using it.
// decode_event never allocates once the event's vectors have grown to the sizes seen (reuse one
// TfEvent). Malformed input (bad varints, lengths past the end of the buffer or of the enclosing
// message, groups, a wrong wire type for a field this decoder reads) is refused, never read past.
//
// Pure functions; any thread.

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/error.hpp"

namespace ailab::runs::formats {

struct TfScalar {
    std::string_view tag;
    double value = 0;
};

struct TfImage {
    std::string_view tag;
    std::int64_t width = 0;
    std::int64_t height = 0;
    std::string_view encoded;  // the encoded image (PNG, JPEG, GIF): its offset in the record is
                               // encoded.data() - record.data()
};

struct TfEvent {
    double wall_time = std::numeric_limits<double>::quiet_NaN();  // seconds since the epoch
    std::int64_t step = 0;
    bool has_summary = false;
    bool session_start = false;     // SessionLog status START
    std::string_view file_version;  // "brain.Event:2" in the first record of a file
    std::vector<TfScalar> scalars;
    std::vector<TfImage> images;
    std::string_view hparams_content;  // raw HParamsPluginData holding a session_start_info, or ""

    // Back to the state of a new event, keeping the vectors' capacity.
    void clear();
};

enum class DecodeError { none, malformed };

// Decodes `record` (one TFRecord payload) into `out`, which it clears first. On `malformed`, out
// may hold part of the event: drop it.
DecodeError decode_event(std::string_view record, TfEvent& out);

// Whether HParamsPluginData bytes hold a session_start_info (field 3); false for bytes that do not
// parse.
bool is_session_start_info(std::string_view hparams_content);

// The hparams of a session_start_info: name -> number, string, bool or null; struct and list
// values become JSON objects and arrays (32 levels at most). Several session_start_info fields
// merge (the later value wins for a name), as protobuf merges messages. Bytes without a
// session_start_info give an empty object; malformed bytes give an error.
core::Result<boost::json::object> decode_hparams(std::string_view hparams_content);

}  // namespace ailab::runs::formats
