#include "core/config.hpp"

#include "core/config_reader.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace ailab::core {
namespace json = boost::json;

bool Config::password_is_hashed(const std::string& user) const {
    auto it = users.find(user);
    return it != users.end() && it->second.rfind("$argon2id$", 0) == 0;
}

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (const char* value = std::getenv(name.c_str())) return std::string(value);
        // $USER and $HOME are often unset in services and containers: fall back to the passwd entry.
        if (name == "USER" || name == "HOME") {
            if (const passwd* entry = getpwuid(geteuid()))
                return std::string(name == "USER" ? entry->pw_name : entry->pw_dir);
        }
        return std::nullopt;
    };
}

std::string expand_variables(const std::string& value, const std::string& file_label, const std::string& key,
                             const EnvLookup& env) {
    auto lookup = [&](const std::string& name) {
        auto found = env(name);
        if (!found) throw ConfigError(file_label + ": \"" + key + "\" uses $" + name + ", which is not set");
        return *found;
    };
    std::string out;
    std::size_t i = 0;
    if (!value.empty() && value[0] == '~' && (value.size() == 1 || value[1] == '/')) {
        out = lookup("HOME");
        i = 1;
    }
    while (i < value.size()) {
        char c = value[i];
        if (c != '$') {
            out.push_back(c);
            ++i;
            continue;
        }
        if (i + 1 < value.size() && value[i + 1] == '{') {
            auto close = value.find('}', i + 2);
            if (close == std::string::npos)
                throw ConfigError(file_label + ": \"" + key + "\" has an unclosed ${ in " +
                                  describe_json(json::value(value)));
            out += lookup(value.substr(i + 2, close - i - 2));
            i = close + 1;
            continue;
        }
        std::size_t end = i + 1;
        while (end < value.size() && (std::isalnum(static_cast<unsigned char>(value[end])) || value[end] == '_')) ++end;
        if (end == i + 1) {
            out.push_back('$');
            ++i;
            continue;
        }
        out += lookup(value.substr(i + 1, end - i - 1));
        i = end;
    }
    return out;
}

std::string normalise_origin(std::string_view origin) {
    std::string text(origin);
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!text.empty() && text.back() == '/') text.pop_back();
    auto scheme_end = text.find("://");
    if (scheme_end == std::string::npos) return {};
    auto scheme = text.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") return {};
    auto rest = text.substr(scheme_end + 3);
    if (rest.empty() || rest.find('/') != std::string::npos || rest.find('?') != std::string::npos) return {};
    return text;
}

namespace {

bool is_folder_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || name.front() == '.') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

bool is_inside(const std::filesystem::path& inner, const std::filesystem::path& outer) {
    auto relative = inner.lexically_relative(outer);
    return !relative.empty() && *relative.begin() != "..";
}

// "results": a folder, or a list of folders and {"name", "path"} objects (several logdirs).
std::vector<ResultsFolder> read_results_folders(ConfigReader& reader) {
    const json::value* value = reader.find("results");
    if (value == nullptr || !value->is_array())
        return {ResultsFolder{"", reader.folder("results", ConfigReader::Presence::required)}};
    const auto& list = value->as_array();
    if (list.empty() || list.size() > 64)
        reader.fail("results", "must be a folder or a list of 1 to 64 folders, got " + std::to_string(list.size()));
    const std::string shape = "must list folders: a path, or {\"name\": \"…\", \"path\": \"…\"}";
    std::vector<ResultsFolder> folders;
    for (const auto& item : list) {
        ResultsFolder folder;
        const json::value* path = &item;
        if (item.is_object()) {
            for (const auto& field : item.as_object())
                if (field.key() != "name" && field.key() != "path")
                    reader.fail("results", "entry has an unknown key \"" + std::string(field.key()) + "\"; " + shape);
            auto name = item.as_object().find("name");
            if (name != item.as_object().end()) {
                if (!name->value().is_string()) reader.fail("results", "entry \"name\" must be a string");
                folder.name = std::string(name->value().as_string());
                if (!is_folder_name(folder.name))
                    reader.fail("results",
                                "name " + describe_json(name->value()) +
                                    " must be 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'");
            }
            auto it = item.as_object().find("path");
            path = it == item.as_object().end() ? nullptr : &it->value();
        }
        if (path == nullptr || !path->is_string() || path->as_string().empty())
            reader.fail("results", shape + ", got " + describe_json(item));
        folder.path =
            std::filesystem::path(reader.expand(std::string(path->as_string()), "results")).lexically_normal();
        if (folder.path.has_relative_path() && folder.path.filename().empty())
            folder.path = folder.path.parent_path();  // "/data/logs/" names the folder "logs"
        if (folder.name.empty()) {
            folder.name = folder.path.filename().string();
            if (!is_folder_name(folder.name))
                reader.fail("results", "folder " + describe_json(*path) +
                                           " has no usable name; give it one: {\"name\": \"…\", \"path\": …}");
        }
        for (const auto& other : folders) {
            if (other.name == folder.name)
                reader.fail("results", "two folders are named \"" + folder.name +
                                           "\"; name them apart: {\"name\": \"…\", \"path\": …}");
            if (other.path == folder.path || is_inside(folder.path, other.path) || is_inside(other.path, folder.path))
                reader.fail("results", "folders " + other.path.string() + " and " + folder.path.string() +
                                           " overlap: each run would be listed twice");
        }
        folders.push_back(std::move(folder));
    }
    if (folders.size() == 1) folders.front().name.clear();  // one folder: no prefix, as a plain string
    return folders;
}

}  // namespace

Config parse_config(const std::string& text, const std::string& file_label, const EnvLookup& env) {
    boost::system::error_code error;
    json::parse_options options;
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    json::value root = json::parse(text, error, {}, options);
    if (error) throw ConfigError(file_label + ": not valid JSON: " + error.message());
    if (!root.is_object()) throw ConfigError(file_label + ": the config must be a JSON object");
    Config config;
    config.settings = std::make_shared<ConfigReader>(std::move(root.as_object()), file_label, env);
    ConfigReader& reader = *config.settings;

    config.host = reader.string("host", "127.0.0.1");
    if (config.host.empty()) reader.fail("host", "must not be empty; use \"*\" for every interface");
    // The port can be a string in old configs ("12345"); accept it when it is all digits.
    if (const auto* port = reader.find("port"); port && port->is_string()) {
        const auto& s = port->as_string();
        bool digits = !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
        });
        if (!digits || std::stoi(std::string(s)) < 1 || std::stoi(std::string(s)) > 65535)
            reader.fail("port", "must be an integer from 1 to 65535, got " + describe_json(*port));
        config.port = static_cast<std::uint16_t>(std::stoi(std::string(s)));
    } else {
        config.port = static_cast<std::uint16_t>(reader.integer("port", 12345, 1, 65535));
    }

    const auto* users = reader.find("users");
    if (!users) reader.fail("users", "is missing: add {\"name\": \"password\"} (hash it with `ailab hash-password`)");
    if (!users->is_object() || users->as_object().empty())
        reader.fail("users", "must be a non-empty object of user name to password, got " + describe_json(*users));
    for (const auto& entry : users->as_object()) {
        std::string name(entry.key());
        if (name.empty()) reader.fail("users", "has an empty user name");
        if (!entry.value().is_string() || entry.value().as_string().empty())
            reader.fail("users", "password of \"" + name + "\" must be a non-empty string");
        std::string password(entry.value().as_string());
        if (password == "CHANGE_THIS")
            throw ConfigError(
                file_label + ": \"users\": the password of \"" + name +
                "\" is still CHANGE_THIS; set one: run `ailab hash-password` and put its output in the config");
        if (password.rfind("$argon2", 0) == 0 && password.rfind("$argon2id$", 0) != 0)
            reader.fail("users", "password hash of \"" + name + "\" must be argon2id (from `ailab hash-password`)");
        config.users.emplace(name, std::move(password));
        if (!config.password_is_hashed(name))
            config.warnings.push_back(file_label + ": the password of \"" + name +
                                      "\" is plain text; store a hash instead: run `ailab hash-password`");
    }

    config.workspace = reader.folder("workspace", ConfigReader::Presence::required);
    config.results_folders = read_results_folders(reader);
    config.results = config.results_folders.front().path;
    config.queue = reader.folder("queue", ConfigReader::Presence::required);

    if (reader.find("auto_detect_experiments") && reader.find("auto_detect_projects"))
        config.warnings.push_back(file_label +
                                  ": both \"auto_detect_experiments\" and \"auto_detect_projects\" are set; "
                                  "\"auto_detect_experiments\" wins");
    config.auto_detect_experiments =
        reader.boolean("auto_detect_experiments", reader.boolean("auto_detect_projects", false));

    if (const auto* projects = reader.find("projects")) {
        if (!projects->is_object())
            reader.fail("projects", "must be an object of project name to folder, got " + describe_json(*projects));
        for (const auto& entry : projects->as_object()) {
            std::string name(entry.key());
            const json::value* path = &entry.value();
            if (path->is_object()) {
                auto it = path->as_object().find("path");
                path = it == path->as_object().end() ? nullptr : &it->value();
            }
            if (!path || !path->is_string() || path->as_string().empty())
                reader.fail("projects", "entry \"" + name + "\" must be a folder path or {\"path\": folder}");
            config.projects.emplace(name, std::filesystem::path(expand_variables(std::string(path->as_string()),
                                                                                 file_label, "projects", env))
                                              .lexically_normal());
        }
    }

    if (const auto* gpus = reader.find("gpus")) {
        if (!gpus->is_array())
            reader.fail("gpus", "must be a list of GPU ids like [0, 1], got " + describe_json(*gpus));
        std::set<int> seen;
        for (const auto& id : gpus->as_array()) {
            if (!id.is_int64() || id.as_int64() < 0 || id.as_int64() > 1023)
                reader.fail("gpus", "must list GPU ids (integers from 0, as CUDA_VISIBLE_DEVICES counts), got " +
                                        describe_json(id));
            if (!seen.insert(static_cast<int>(id.as_int64())).second)
                reader.fail("gpus", "lists GPU " + std::to_string(id.as_int64()) + " twice");
            config.gpus.push_back(static_cast<int>(id.as_int64()));
        }
    }

    if (const auto* tls = reader.find("tls")) {
        if (tls->is_string() && tls->as_string() == "auto") {
            config.tls.mode = TlsMode::automatic;
        } else if (tls->is_bool() && !tls->as_bool()) {
            config.tls.mode = TlsMode::off;
        } else if (tls->is_object()) {
            const auto& t = tls->as_object();
            auto cert = t.find("cert");
            auto key = t.find("key");
            if (cert == t.end() || !cert->value().is_string() || key == t.end() || !key->value().is_string())
                reader.fail("tls", "must be \"auto\" or {\"cert\": file, \"key\": file}, got " + describe_json(*tls));
            config.tls.mode = TlsMode::files;
            config.tls.cert_file = expand_variables(std::string(cert->value().as_string()), file_label, "tls", env);
            config.tls.key_file = expand_variables(std::string(key->value().as_string()), file_label, "tls", env);
            for (const auto& file : {config.tls.cert_file, config.tls.key_file}) {
                std::ifstream probe(file);
                if (!probe) reader.fail("tls", "names " + file.string() + ", which cannot be read");
            }
        } else {
            reader.fail("tls", "must be \"auto\" or {\"cert\": file, \"key\": file}, got " + describe_json(*tls));
        }
    }

    if (const auto* origins = reader.find("allowed_origins")) {
        if (!origins->is_array())
            reader.fail("allowed_origins", "must be a list of origins like [\"https://gui.example.org\"]");
        for (const auto& origin : origins->as_array()) {
            std::string normal = origin.is_string() ? normalise_origin(origin.as_string()) : std::string();
            if (normal.empty())
                reader.fail("allowed_origins", "entries must be origins like \"https://host:port\" (no path), got " +
                                                   describe_json(origin));
            config.allowed_origins.push_back(normal);
        }
    }

    config.cluster = reader.boolean("cluster", false);
    config.threads = static_cast<int>(reader.integer("threads", 2, 1, 64));
    config.max_connections = static_cast<std::size_t>(reader.integer("max_connections", 4096, 16, 1'000'000));
    config.max_connections_per_address = static_cast<std::size_t>(reader.integer(
        "max_connections_per_address", std::min<std::int64_t>(1024, static_cast<std::int64_t>(config.max_connections)),
        1, static_cast<std::int64_t>(config.max_connections)));
    return config;
}

Config load_config(const std::filesystem::path& file, const EnvLookup& env) {
    std::string label = file.filename().string();
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(file.string() + ": cannot be read: " + std::strerror(errno));
    std::stringstream buffer;
    buffer << in.rdbuf();
    Config config = parse_config(buffer.str(), label, env);
    config.file = file;
    return config;
}

}  // namespace ailab::core
