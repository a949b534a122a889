// Config parsing: every key good and bad, variable expansion, CHANGE_THIS, hashed and plain passwords.
#include <gtest/gtest.h>

#include <pwd.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>

#include "core/config.hpp"
#include "core/config_reader.hpp"

using namespace ailab::core;

namespace {

EnvLookup fake_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (name == "USER") return "alice";
        if (name == "HOME") return "/home/alice";
        if (name == "DATA") return "/mnt/data";
        return std::nullopt;
    };
}

boost::json::object base() {
    return {{"host", "*"},
            {"port", 12345},
            {"users", {{"admin", "s3cret-pass"}}},
            {"workspace", "/home/$USER/Git"},
            {"results", "/home/$USER/Results"},
            {"queue", "/tmp/ailab_queue"},
            {"auto_detect_experiments", false},
            {"projects", boost::json::object{}},
            {"gpus", {0}}};
}

Config parse(const boost::json::object& object) {
    return parse_config(boost::json::serialize(object), "config.json", fake_env());
}

std::string error_of(const boost::json::object& object) {
    try {
        parse(object);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "";
}

boost::json::object with(std::string key, boost::json::value value) {
    auto object = base();
    object[key] = std::move(value);
    return object;
}

}  // namespace

TEST(Config, TheUsersExistingConfigParses) {
    auto config = parse(base());
    EXPECT_EQ(config.host, "*");
    EXPECT_EQ(config.port, 12345);
    EXPECT_EQ(config.workspace, "/home/alice/Git");
    EXPECT_EQ(config.results, "/home/alice/Results");
    EXPECT_EQ(config.queue, "/tmp/ailab_queue");
    EXPECT_EQ(config.gpus, std::vector<int>{0});
    EXPECT_FALSE(config.auto_detect_experiments);
    EXPECT_EQ(config.tls.mode, TlsMode::off);
    // A plain-text password is accepted, with a warning naming `ailab hash-password`.
    ASSERT_EQ(config.warnings.size(), 1u);
    EXPECT_NE(config.warnings[0].find("ailab hash-password"), std::string::npos);
}

TEST(Config, PortErrorsNameFileKeyAndValue) {
    EXPECT_EQ(error_of(with("port", "abc")), "config.json: \"port\" must be an integer from 1 to 65535, got \"abc\"");
    EXPECT_NE(error_of(with("port", 0)).find("\"port\" must be an integer from 1 to 65535, got 0"), std::string::npos);
    EXPECT_NE(error_of(with("port", 70000)).find("got 70000"), std::string::npos);
    EXPECT_NE(error_of(with("port", 1.5)).find("\"port\""), std::string::npos);
    EXPECT_EQ(parse(with("port", "8080")).port, 8080);  // old configs wrote the port as a string
}

TEST(Config, ChangeThisIsRefusedWithAHint) {
    auto message = error_of(with("users", boost::json::object{{"admin", "CHANGE_THIS"}}));
    EXPECT_NE(message.find("CHANGE_THIS"), std::string::npos);
    EXPECT_NE(message.find("ailab hash-password"), std::string::npos);
}

TEST(Config, UsersMustBeANonEmptyMapOfStrings) {
    EXPECT_NE(error_of(with("users", boost::json::object{})).find("\"users\""), std::string::npos);
    EXPECT_NE(error_of(with("users", boost::json::array{})).find("\"users\""), std::string::npos);
    EXPECT_NE(error_of(with("users", boost::json::object{{"admin", 5}})).find("\"admin\""), std::string::npos);
    auto object = base();
    object.erase("users");
    EXPECT_NE(error_of(object).find("\"users\" is missing"), std::string::npos);
    // bcrypt or argon2i hashes are not what hash-password writes.
    EXPECT_NE(
        error_of(with("users", boost::json::object{{"admin", "$argon2i$v=19$m=1,t=1,p=1$abc$def"}})).find("argon2id"),
        std::string::npos);
}

TEST(Config, HashedPasswordsGiveNoWarning) {
    auto config =
        parse(with("users", boost::json::object{{"admin", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA"}}));
    EXPECT_TRUE(config.password_is_hashed("admin"));
    EXPECT_TRUE(config.warnings.empty());
}

TEST(Config, FoldersAreRequiredAndExpanded) {
    for (const char* key : {"workspace", "results", "queue"}) {
        auto object = base();
        object.erase(key);
        EXPECT_NE(error_of(object).find(std::string("\"") + key + "\" is missing"), std::string::npos) << key;
        EXPECT_NE(error_of(with(key, 3)).find(std::string("\"") + key + "\""), std::string::npos) << key;
        EXPECT_NE(error_of(with(key, "")).find(std::string("\"") + key + "\""), std::string::npos) << key;
    }
    EXPECT_EQ(parse(with("results", "${DATA}/runs")).results, "/mnt/data/runs");
    EXPECT_EQ(parse(with("results", "~/r")).results, "/home/alice/r");
    EXPECT_EQ(parse(with("results", "$HOME/a/../b")).results, "/home/alice/b");
    EXPECT_EQ(error_of(with("results", "$NOPE/x")), "config.json: \"results\" uses $NOPE, which is not set");
    EXPECT_NE(error_of(with("results", "${DATA/x")).find("unclosed"), std::string::npos);
}

TEST(Config, ProcessEnvironmentFallsBackForUserAndHome) {
    // Services and CI often run without $USER/$HOME: the passwd entry stands in.
    std::optional<std::string> saved_user, saved_home;
    if (const char* value = std::getenv("USER")) saved_user = value;
    if (const char* value = std::getenv("HOME")) saved_home = value;
    unsetenv("USER");
    unsetenv("HOME");
    auto env = process_environment();
    const passwd* entry = getpwuid(geteuid());
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(env("USER"), std::string(entry->pw_name));
    EXPECT_EQ(env("HOME"), std::string(entry->pw_dir));
    EXPECT_FALSE(env("AILAB_SURELY_UNSET_VARIABLE_42").has_value());
    setenv("USER", "someone-else", 1);
    EXPECT_EQ(env("USER"), "someone-else");  // the environment wins when set
    if (saved_user)
        setenv("USER", saved_user->c_str(), 1);
    else
        unsetenv("USER");
    if (saved_home) setenv("HOME", saved_home->c_str(), 1);
}

TEST(Config, AutoDetectAcceptsBothSpellings) {
    auto old_spelling = base();
    old_spelling.erase("auto_detect_experiments");
    old_spelling["auto_detect_projects"] = true;
    EXPECT_TRUE(parse(old_spelling).auto_detect_experiments);
    // With both present, the new spelling wins and a warning says so.
    auto both = parse(with("auto_detect_projects", true));
    EXPECT_FALSE(both.auto_detect_experiments);
    EXPECT_EQ(both.warnings.size(), 2u);
    EXPECT_TRUE(parse(with("auto_detect_experiments", true)).auto_detect_experiments);
    EXPECT_NE(error_of(with("auto_detect_experiments", "yes")).find("must be true or false"), std::string::npos);
}

TEST(Config, ProjectsAndGpus) {
    auto config =
        parse(with("projects", boost::json::object{{"vision", "$HOME/Git/vision"}, {"nlp", {{"path", "/src/nlp"}}}}));
    EXPECT_EQ(config.projects.at("vision"), "/home/alice/Git/vision");
    EXPECT_EQ(config.projects.at("nlp"), "/src/nlp");
    EXPECT_NE(error_of(with("projects", boost::json::array{})).find("\"projects\""), std::string::npos);
    EXPECT_NE(error_of(with("projects", boost::json::object{{"x", 1}})).find("\"x\""), std::string::npos);
    EXPECT_EQ(parse(with("gpus", boost::json::array{2, 0})).gpus, (std::vector<int>{2, 0}));
    EXPECT_NE(error_of(with("gpus", boost::json::array{-1})).find("\"gpus\""), std::string::npos);
    EXPECT_NE(error_of(with("gpus", boost::json::array{0, 0})).find("twice"), std::string::npos);
    EXPECT_NE(error_of(with("gpus", "0,1")).find("\"gpus\""), std::string::npos);
}

TEST(Config, Tls) {
    EXPECT_EQ(parse(with("tls", "auto")).tls.mode, TlsMode::automatic);
    EXPECT_NE(error_of(with("tls", "yes")).find("\"tls\""), std::string::npos);
    EXPECT_NE(error_of(with("tls", boost::json::object{{"cert", "/nonexistent.pem"}, {"key", "/nonexistent.key"}}))
                  .find("cannot be read"),
              std::string::npos);
    auto directory = std::filesystem::temp_directory_path() / ("ailab-config-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(directory);
    std::ofstream(directory / "c.pem") << "x";
    std::ofstream(directory / "k.pem") << "x";
    auto config = parse(with(
        "tls", boost::json::object{{"cert", (directory / "c.pem").string()}, {"key", (directory / "k.pem").string()}}));
    EXPECT_EQ(config.tls.mode, TlsMode::files);
    EXPECT_EQ(config.tls.cert_file, directory / "c.pem");
    std::filesystem::remove_all(directory);
}

TEST(Config, AllowedOriginsAreNormalised) {
    auto config =
        parse(with("allowed_origins", boost::json::array{"HTTPS://Gui.Example.org/", "http://127.0.0.1:8080"}));
    EXPECT_EQ(config.allowed_origins, (std::vector<std::string>{"https://gui.example.org", "http://127.0.0.1:8080"}));
    EXPECT_NE(error_of(with("allowed_origins", boost::json::array{"https://x.org/path"})).find("\"allowed_origins\""),
              std::string::npos);
    EXPECT_NE(error_of(with("allowed_origins", boost::json::array{"ftp://x"})).find("\"allowed_origins\""),
              std::string::npos);
    EXPECT_NE(error_of(with("allowed_origins", "https://x.org")).find("\"allowed_origins\""), std::string::npos);
}

TEST(Config, FlagsAndNumbers) {
    EXPECT_TRUE(parse(with("cluster", true)).cluster);
    EXPECT_EQ(parse(with("max_connections", 100)).max_connections, 100u);
    EXPECT_EQ(parse(with("max_connections", 100)).max_connections_per_address, 100u);
    EXPECT_NE(error_of(with("max_connections", 3)).find("\"max_connections\""), std::string::npos);
    EXPECT_NE(error_of(with("cluster", 1)).find("\"cluster\" must be true or false"), std::string::npos);
    EXPECT_NE(error_of(with("host", "")).find("\"host\""), std::string::npos);
}

// Unknown keys are only known once every feature read its section (tests/unit/app checks the
// warning); the core parser leaves unread exactly the keys it does not own.
TEST(Config, CoreKeysAreReadOthersAreLeftForFeatures) {
    auto config = parse(with("colour", "blue"));
    ASSERT_TRUE(config.settings);
    const auto unread = config.settings->unread_keys();
    EXPECT_NE(std::find(unread.begin(), unread.end(), "colour"), unread.end());
    for (const auto* core_key : {"host", "port", "users", "results", "workspace", "queue", "gpus"})
        EXPECT_EQ(std::find(unread.begin(), unread.end(), core_key), unread.end()) << core_key;
}

TEST(Config, BrokenJsonAndMissingFile) {
    try {
        parse_config("{\"port\": ", "config.json", fake_env());
        FAIL() << "no error";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()).rfind("config.json: not valid JSON", 0), 0u);
    }
    EXPECT_THROW(parse_config("[1,2]", "config.json", fake_env()), ConfigError);
    EXPECT_THROW(load_config("/nonexistent/ailab.json"), ConfigError);
}

TEST(Config, NormaliseOrigin) {
    EXPECT_EQ(normalise_origin("http://LOCALHOST:5173"), "http://localhost:5173");
    EXPECT_EQ(normalise_origin("null"), "");
    EXPECT_EQ(normalise_origin("https://"), "");
}

TEST(Config, ResultsMayListSeveralFolders) {
    // A plain string is one folder with no name: run paths and ids are what they always were.
    auto single = parse(base());
    ASSERT_EQ(single.results_folders.size(), 1u);
    EXPECT_EQ(single.results_folders[0].name, "");
    EXPECT_EQ(single.results_folders[0].path, "/home/alice/Results");

    // Strings and {"name","path"} objects; a string is named after its folder ("/data/tb/" → "tb").
    auto config =
        parse(with("results", boost::json::array{"$HOME/Results", "/data/tb/",
                                                 boost::json::object{{"name", "b"}, {"path", "/data/b/logs"}}}));
    ASSERT_EQ(config.results_folders.size(), 3u);
    EXPECT_EQ(config.results, "/home/alice/Results");  // the first: jobs' AILAB_RESULTS
    EXPECT_EQ(config.results_folders[0].name, "Results");
    EXPECT_EQ(config.results_folders[1].name, "tb");
    EXPECT_EQ(config.results_folders[1].path, "/data/tb");
    EXPECT_EQ(config.results_folders[2].name, "b");
    EXPECT_EQ(config.results_folders[2].path, "/data/b/logs");

    // A list of one is the same as the plain string: no prefix.
    auto one = parse(with("results", boost::json::array{"/data/tb"}));
    ASSERT_EQ(one.results_folders.size(), 1u);
    EXPECT_EQ(one.results_folders[0].name, "");
}

TEST(Config, BadResultsListsAreRefusedWithTheReason) {
    using boost::json::array;
    using boost::json::object;
    EXPECT_NE(error_of(with("results", array{})).find("1 to 64 folders"), std::string::npos);
    EXPECT_NE(error_of(with("results", array{"/a/logs", "/b/logs"})).find("two folders are named \"logs\""),
              std::string::npos);
    EXPECT_NE(error_of(with("results", array{"/a", "/a/inner"})).find("overlap"), std::string::npos);
    EXPECT_NE(error_of(with("results", array{"/a", object{{"name", "z"}, {"path", "/a/"}}})).find("overlap"),
              std::string::npos);
    EXPECT_NE(error_of(with("results", array{"/a", 5})).find("must list folders"), std::string::npos);
    EXPECT_NE(error_of(with("results", array{"/a", object{{"name", "x"}}})).find("must list folders"),
              std::string::npos);
    EXPECT_NE(error_of(with("results", array{"/a", object{{"name", "../up"}, {"path", "/b"}}})).find("letters, digits"),
              std::string::npos);
    EXPECT_NE(error_of(with("results", array{"/a", object{{"path", "/b"}, {"pat", "/c"}}})).find("unknown key \"pat\""),
              std::string::npos);
    EXPECT_NE(error_of(with("results", array{"/a", "/"})).find("no usable name"), std::string::npos);
    // Every message names the file and the key.
    EXPECT_EQ(error_of(with("results", array{})).rfind("config.json: \"results\"", 0), 0u);
}
