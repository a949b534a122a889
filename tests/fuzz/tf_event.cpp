// Fuzzes the tensorflow.Event decoder (runs/formats/tf_event.hpp): the input as one record, and the
// input read as an event file whose record payloads are decoded in turn (data checksums not
// verified, so mutated payloads get through). Contracts checked:
//   - nothing crashes, leaks or reads outside the input (recursion in hparams is bounded);
//   - every view in a decoded event lies inside its record;
//   - decoding is deterministic: a reused TfEvent gives the same result as a fresh one;
//   - hparams_content, when set, holds a session_start_info, and decode_hparams never throws.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "runs/formats/tf_event.hpp"
#include "runs/formats/tfrecord.hpp"

namespace {

using namespace ailab::runs::formats;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "tf_event fuzz: %s\n", what);
    std::abort();
}

void check_inside(std::string_view view, std::string_view record) {
    if (view.empty()) return;
    if (view.data() < record.data() || view.data() + view.size() > record.data() + record.size())
        fail("a view outside the record");
}

// One TfEvent reused across calls, as the reader does, against a fresh one.
TfEvent reused;

void decode(std::string_view record) {
    TfEvent fresh;
    const DecodeError error = decode_event(record, fresh);
    if (decode_event(record, reused) != error) fail("a reused event decodes differently");
    (void)is_session_start_info(record);
    (void)decode_hparams(record);
    if (error != DecodeError::none) return;
    if (reused.scalars.size() != fresh.scalars.size() || reused.images.size() != fresh.images.size() ||
        reused.step != fresh.step || reused.hparams_content != fresh.hparams_content)
        fail("a reused event differs from a fresh one");
    check_inside(fresh.file_version, record);
    check_inside(fresh.hparams_content, record);
    for (const TfScalar& scalar : fresh.scalars) check_inside(scalar.tag, record);
    for (const TfImage& image : fresh.images) {
        check_inside(image.tag, record);
        check_inside(image.encoded, record);
    }
    if (!fresh.hparams_content.empty()) {
        if (!is_session_start_info(fresh.hparams_content)) fail("hparams_content without session_start_info");
        (void)decode_hparams(fresh.hparams_content);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    decode(bytes);
    std::string_view rest = bytes;
    while (true) {
        const Frame frame = next_frame(rest, 1 << 20, false);
        if (frame.status == FrameStatus::partial || frame.consumed > rest.size()) break;
        if (frame.status == FrameStatus::record) decode(frame.data);
        rest.remove_prefix(static_cast<std::size_t>(frame.consumed));
    }
    return 0;
}
