#include "net/json.hpp"

namespace ailab::net {

boost::json::object parse_json_object(std::string_view body) {
    boost::system::error_code error;
    auto value = boost::json::parse(body, error);
    if (error) throw HttpError(400, "request body is not valid JSON: " + error.message());
    if (!value.is_object()) throw HttpError(400, "request body must be a JSON object");
    return std::move(value.as_object());
}

Response json_response(const boost::json::value& value, int status) {
    return Response::json_text(status, boost::json::serialize(value));
}

std::string require_string(const boost::json::object& object, std::string_view key) {
    auto it = object.find(key);
    if (it == object.end() || !it->value().is_string())
        throw HttpError(400, "\"" + std::string(key) + "\" must be a string");
    return std::string(it->value().as_string());
}

}  // namespace ailab::net
