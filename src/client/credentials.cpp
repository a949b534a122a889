#include "client/credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>

#include "core/fd.hpp"
#include "core/file.hpp"

namespace ailab::client {
namespace json = boost::json;

std::filesystem::path credentials_path() {
    const char* config_home = std::getenv("XDG_CONFIG_HOME");
    if (config_home != nullptr && config_home[0] == '/')
        return std::filesystem::path(config_home) / "ailab" / "credentials.json";
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home != nullptr ? home : ".") / ".config" / "ailab" / "credentials.json";
}

std::string credentials_to_json(const Credentials& credentials) {
    json::object servers;
    for (const auto& [url, entry] : credentials.servers) {
        json::object object{{"user", entry.user},
                            {"token", entry.token},
                            {"expires_at", entry.expires_at},
                            {"insecure", entry.insecure}};
        if (entry.fingerprint) {
            object["fingerprint"] = *entry.fingerprint;
        } else {
            object["fingerprint"] = nullptr;
        }
        servers[url] = std::move(object);
    }
    json::object root;
    if (credentials.default_server.empty()) {
        root["default"] = nullptr;
    } else {
        root["default"] = credentials.default_server;
    }
    root["servers"] = std::move(servers);
    return json::serialize(root) + "\n";
}

core::Result<Credentials> credentials_from_json(std::string_view text) {
    boost::system::error_code error;
    auto value = json::parse(text, error);
    if (error) return core::Error::invalid("not JSON: " + error.message());
    auto wrong = [](const std::string& what) { return core::Error::invalid("unexpected shape: " + what); };
    if (!value.is_object()) return wrong("the top level is not an object");
    const auto& root = value.as_object();
    Credentials credentials;
    if (const auto* fallback = root.if_contains("default"); fallback != nullptr && !fallback->is_null()) {
        if (!fallback->is_string()) return wrong("\"default\" is not a string");
        credentials.default_server = std::string(fallback->as_string());
    }
    const auto* servers = root.if_contains("servers");
    if (servers == nullptr || servers->is_null()) return credentials;
    if (!servers->is_object()) return wrong("\"servers\" is not an object");
    for (const auto& [url, item] : servers->as_object()) {
        const std::string name(url);
        if (!item.is_object()) return wrong("the entry of " + name + " is not an object");
        const auto& object = item.as_object();
        ServerCredentials entry;
        const auto* user = object.if_contains("user");
        const auto* token = object.if_contains("token");
        if (user == nullptr || !user->is_string() || token == nullptr || !token->is_string())
            return wrong("the entry of " + name + " lacks \"user\" or \"token\"");
        entry.user = std::string(user->as_string());
        entry.token = std::string(token->as_string());
        if (const auto* expires = object.if_contains("expires_at"); expires != nullptr && expires->is_number())
            entry.expires_at = expires->to_number<double>();
        if (const auto* insecure = object.if_contains("insecure"); insecure != nullptr && insecure->is_bool())
            entry.insecure = insecure->as_bool();
        if (const auto* pin = object.if_contains("fingerprint"); pin != nullptr && pin->is_string())
            entry.fingerprint = std::string(pin->as_string());
        credentials.servers.emplace(name, std::move(entry));
    }
    if (!credentials.default_server.empty() && !credentials.servers.contains(credentials.default_server))
        credentials.default_server.clear();
    return credentials;
}

core::Result<Credentials> load_credentials(const std::filesystem::path& file) {
    auto text = core::read_small_file(file);
    if (!text) {
        if (text.error().is(boost::system::errc::no_such_file_or_directory)) return Credentials{};
        return core::Error::from(text.error(), "cannot read " + file.string());
    }
    auto credentials = credentials_from_json(*text);
    if (!credentials)
        return core::Error::from(credentials.error(),
                                 file.string() + " is damaged (remove it and run ailab login again)");
    return credentials;
}

core::Status save_credentials(const std::filesystem::path& file, const Credentials& credentials) {
    const auto folder = file.parent_path();
    std::error_code error;
    if (!std::filesystem::exists(folder, error)) {
        // Each missing level is created 0700: only its owner may list what is inside.
        std::filesystem::path partial;
        for (const auto& part : folder) {
            partial /= part;
            if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
                return core::Error::from_errno(errno, "cannot create " + partial.string());
        }
    }
    const auto temporary = folder / (file.filename().string() + ".tmp-" + std::to_string(::getpid()));
    ::unlink(temporary.c_str());  // a leftover of a crashed run with the same pid
    core::OwnedFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return core::Error::from_errno(errno, "cannot create " + temporary.string());
    // The umask can only take bits away; this makes the mode exactly 0600 whatever it is.
    if (::fchmod(fd.get(), 0600) != 0) {
        auto saved = errno;
        ::unlink(temporary.c_str());
        return core::Error::from_errno(saved, "cannot set the mode of " + temporary.string());
    }
    const auto text = credentials_to_json(credentials);
    std::size_t written = 0;
    while (written < text.size()) {
        auto count = ::write(fd.get(), text.data() + written, text.size() - written);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) {
            auto saved = errno;
            ::unlink(temporary.c_str());
            return core::Error::from_errno(saved, "cannot write " + temporary.string());
        }
        written += static_cast<std::size_t>(count);
    }
    if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
        auto saved = errno;
        ::unlink(temporary.c_str());
        return core::Error::from_errno(saved, "cannot write " + temporary.string());
    }
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        auto saved = errno;
        ::unlink(temporary.c_str());
        return core::Error::from_errno(saved, "cannot replace " + file.string());
    }
    return {};
}

}  // namespace ailab::client
