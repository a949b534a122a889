// `ailab login URL`: asks for the user and password (or reads the password from stdin), gets a
// token from POST /api/v1/login and stores it in the credentials file.
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <iostream>

#include "client/actions.hpp"
#include "client/credentials.hpp"
#include "client/fingerprint.hpp"
#include "client/http_client.hpp"
#include "client/terminal.hpp"

namespace ailab::client {

int run_login(const LoginOptions& options) {
    constexpr std::string_view command = "login";
    auto url = parse_server_url(options.url);
    if (!url) return report(command, url.error(), exit_usage);
    ServerAccess access;
    access.url = std::move(*url);
    if (!options.fingerprint.empty()) {
        if (options.insecure)
            return report(command, core::Error::invalid("--insecure and --fingerprint exclude each other"), exit_usage);
        auto pin = normalize_fingerprint(options.fingerprint);
        if (!pin) return report(command, pin.error(), exit_usage);
        access.tls = {TlsVerify::pinned, *pin};
    } else if (options.insecure) {
        access.tls = {TlsVerify::insecure, ""};
    }
    if (access.url.scheme == Scheme::http && access.tls.verify != TlsVerify::system)
        return report(command, core::Error::invalid("--insecure and --fingerprint are for https:// servers"),
                      exit_usage);

    std::string user = options.user;
    std::string password;
    if (options.password_stdin) {
        if (user.empty()) return report(command, core::Error::invalid("--password-stdin needs --user"), exit_usage);
        auto line = read_stdin_line();
        if (!line || line->empty()) return report(command, core::Error::invalid("no password on stdin"), exit_usage);
        password = std::move(*line);
    } else {
        if (user.empty()) {
            auto typed = ask_terminal("User for " + access.url.text + ": ", Echo::on);
            if (!typed)
                return report(command, core::Error::invalid("no terminal to ask on; use --user and --password-stdin"),
                              exit_usage);
            user = std::move(*typed);
        }
        auto typed = ask_terminal("Password for " + user + ": ", Echo::off);
        if (!typed)
            return report(command, core::Error::invalid("no terminal to ask on; use --password-stdin"), exit_usage);
        password = std::move(*typed);
    }
    if (user.empty()) return report(command, core::Error::invalid("the user is empty"), exit_usage);

    HttpClient client(access);
    auto reply = client.request(Method::post, "/api/v1/login",
                                boost::json::serialize(boost::json::object{{"user", user}, {"password", password}}));
    if (!reply) return report(command, reply.error());
    if (!reply->ok()) {
        // A 401 here means the password, not a missing login: no "run: ailab login" advice.
        return report(command, core::Error::invalid("the server refused the login: " + reply->error_text() + " (HTTP " +
                                                    std::to_string(reply->status) + ")"));
    }
    boost::system::error_code error;
    auto answer = boost::json::parse(reply->body, error);
    const boost::json::object* object = !error && answer.is_object() ? &answer.as_object() : nullptr;
    const auto* token = object != nullptr ? object->if_contains("token") : nullptr;
    if (token == nullptr || !token->is_string())
        return report(command, core::Error::invalid("the server's answer has no token"));

    ServerCredentials entry;
    entry.user = user;
    if (const auto* answered_user = object->if_contains("user"); answered_user && answered_user->is_string())
        entry.user = std::string(answered_user->as_string());
    entry.token = std::string(token->as_string());
    if (const auto* expires = object->if_contains("expires_at"); expires && expires->is_number())
        entry.expires_at = expires->to_number<double>();
    entry.insecure = access.tls.verify == TlsVerify::insecure;
    if (access.tls.verify == TlsVerify::pinned) entry.fingerprint = access.tls.fingerprint;

    const auto file = credentials_path();
    auto credentials = load_credentials(file);
    if (!credentials) return report(command, credentials.error());
    credentials->servers[access.url.text] = std::move(entry);
    credentials->default_server = access.url.text;
    if (auto saved = save_credentials(file, *credentials); !saved) return report(command, saved.error());
    std::cerr << "Logged in to " << access.url.text << " as " << user << " (the default server now); token saved in "
              << file.string() << "\n";
    return exit_ok;
}

}  // namespace ailab::client
