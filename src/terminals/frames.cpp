#include "terminals/frames.hpp"

#include <boost/json.hpp>

namespace ailab::terminals {
namespace json = boost::json;
namespace {

const json::object* parse_object(std::string_view text, json::value& storage) {
    boost::system::error_code error;
    storage = json::parse(text, error);
    return error ? nullptr : storage.if_object();
}

std::optional<int> dimension(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (!value || !value->is_int64()) return std::nullopt;
    const auto number = value->as_int64();
    if (number < 1 || number > max_dimension) return std::nullopt;
    return static_cast<int>(number);
}

std::string framed(ServerFrameType type, std::string_view payload) {
    std::string frame;
    frame.reserve(payload.size() + 1);
    frame.push_back(static_cast<char>(type));
    frame.append(payload);
    return frame;
}

}  // namespace

core::Result<ClientFrame> parse_client_frame(std::string_view frame) {
    if (frame.empty()) return core::Error::invalid("an empty frame");
    ClientFrame parsed;
    const auto payload = frame.substr(1);
    switch (frame.front()) {
    case static_cast<char>(ClientFrameType::input):
        parsed.type = ClientFrameType::input;
        parsed.input = payload;
        return parsed;
    case static_cast<char>(ClientFrameType::resize): {
        json::value storage;
        const auto* object = parse_object(payload, storage);
        auto cols = object ? dimension(*object, "cols") : std::nullopt;
        auto rows = object ? dimension(*object, "rows") : std::nullopt;
        if (!cols || !rows) return core::Error::invalid("a resize frame needs {\"cols\",\"rows\"} from 1 to 1000");
        parsed.type = ClientFrameType::resize;
        parsed.cols = *cols;
        parsed.rows = *rows;
        return parsed;
    }
    case static_cast<char>(ClientFrameType::acknowledge): {
        json::value storage;
        const auto* object = parse_object(payload, storage);
        const auto* offset = object ? object->if_contains("offset") : nullptr;
        if (!offset || !offset->is_int64() || offset->as_int64() < 0)
            return core::Error::invalid("an acknowledge frame needs {\"offset\":N} with N >= 0");
        parsed.type = ClientFrameType::acknowledge;
        parsed.offset = offset->as_int64();
        return parsed;
    }
    default: return core::Error::invalid("unknown frame type (the first byte must be '0', '1' or '2')");
    }
}

core::Result<AttachRequest> parse_attach(std::string_view text) {
    json::value storage;
    const auto* object = parse_object(text, storage);
    const auto* type = object ? object->if_contains("type") : nullptr;
    if (!type || !type->is_string() || type->as_string() != "attach")
        return core::Error::invalid("send {\"type\":\"attach\",\"cols\",\"rows\",\"offset\"} first");
    AttachRequest request;
    auto cols = dimension(*object, "cols");
    auto rows = dimension(*object, "rows");
    if (!cols || !rows) return core::Error::invalid("attach needs cols and rows from 1 to 1000");
    request.cols = *cols;
    request.rows = *rows;
    if (const auto* offset = object->if_contains("offset"); offset && !offset->is_null()) {
        if (!offset->is_int64() || offset->as_int64() < 0)
            return core::Error::invalid("attach's offset must be null or a byte offset >= 0");
        request.offset = offset->as_int64();
    }
    return request;
}

std::string output_frame(std::string_view bytes) { return framed(ServerFrameType::output, bytes); }
std::string title_frame(std::string_view title) { return framed(ServerFrameType::title, title); }

std::string exit_frame(std::optional<int> code, std::optional<int> signal) {
    const json::object body{{"code", code ? json::value(*code) : nullptr},
                            {"signal", signal ? json::value(*signal) : nullptr}};
    return framed(ServerFrameType::exit, json::serialize(body));
}

std::string attached_message(std::int64_t offset, std::string_view restore) {
    return json::serialize(json::object{{"type", "attached"}, {"offset", offset}, {"restore", restore}});
}

std::string input_frame(std::string_view bytes) {
    std::string frame(1, static_cast<char>(ClientFrameType::input));
    frame.append(bytes);
    return frame;
}

std::string resize_frame(int cols, int rows) {
    return static_cast<char>(ClientFrameType::resize) + json::serialize(json::object{{"cols", cols}, {"rows", rows}});
}

std::string acknowledge_frame(std::int64_t offset) {
    return static_cast<char>(ClientFrameType::acknowledge) + json::serialize(json::object{{"offset", offset}});
}

std::string attach_message(int cols, int rows, std::optional<std::int64_t> offset) {
    return json::serialize(json::object{
        {"type", "attach"}, {"cols", cols}, {"rows", rows}, {"offset", offset ? json::value(*offset) : nullptr}});
}

}  // namespace ailab::terminals
