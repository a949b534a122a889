#pragma once
// Boost.JSON helpers for route handlers: parse request bodies with clear 400s, build responses.

#include <boost/json.hpp>
#include <string_view>

#include "net/http.hpp"

namespace ailab::net {

// Parses the body as a JSON object; throws HttpError(400) with a clear message otherwise.
boost::json::object parse_json_object(std::string_view body);

Response json_response(const boost::json::value& value, int status = 200);

// Reads a required string / optional fields from a request object; throws HttpError(400).
std::string require_string(const boost::json::object& object, std::string_view key);

}  // namespace ailab::net
