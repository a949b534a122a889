#pragma once
// One style for expected failures (I/O, parse, not found, refused): functions return
// `core::Result<T>` (or `core::Status` when there is no value). An `Error` carries the system
// error code, for callers that branch on the cause, and one message a user can act on, for
// callers that show it. Exceptions remain for start-up failures and bugs.
//
//     core::Result<std::string> text = core::read_small_file(path);
//     if (!text) return core::Error::from(text.error(), "cannot read the run's config");
//     use(*text);

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace ailab::core {

struct Error {
    boost::system::error_code code;  // the cause (errno values are in generic_category)
    std::string message;             // one line for a user: what failed and, where known, why

    // An error from errno (or another generic errc value) with a message; the cause is appended
    // as ": <strerror>" so messages read the same everywhere.
    static Error from_errno(int error_number, std::string what) {
        boost::system::error_code code(error_number, boost::system::generic_category());
        return Error{code, std::move(what) + ": " + code.message()};
    }
    // The same error with more context in front: "cannot restore x: <message>".
    static Error from(const Error& cause, std::string_view context) {
        return Error{cause.code, std::string(context) + ": " + cause.message};
    }
    static Error invalid(std::string message) {
        return Error{boost::system::errc::make_error_code(boost::system::errc::invalid_argument), std::move(message)};
    }

    bool is(boost::system::errc::errc_t value) const { return code == boost::system::errc::make_error_code(value); }
};

// Thrown by Result<T>::value() on an error; carries the user message.
class ErrorException : public std::runtime_error {
public:
    explicit ErrorException(Error error) : std::runtime_error(error.message), error_(std::move(error)) {}
    const Error& error() const { return error_; }

private:
    Error error_;
};

// Found by boost::system::result through argument-dependent lookup.
[[noreturn]] inline void throw_exception_from_error(const Error& error, const boost::source_location&) {
    throw ErrorException(error);
}

template <class T>
using Result = boost::system::result<T, Error>;
using Status = boost::system::result<void, Error>;

}  // namespace ailab::core
