#include "client/credentials.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>

#include "client_test_util.hpp"
#include "core/file.hpp"

using namespace ailab::client;
using ailab::client::testing::TempFolder;

namespace {

mode_t mode_of(const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return 07777;
    return status.st_mode & 07777;
}

Credentials two_servers() {
    Credentials credentials;
    credentials.servers["http://127.0.0.1:12345"] = {"ada", "token-a", 1.5e9, false, std::nullopt};
    credentials.servers["https://gpu1:443"] = {"bob", "token-b", 2e9, false, std::string(64, 'a')};
    credentials.default_server = "https://gpu1:443";
    return credentials;
}

// Restores the umask when a test ends.
struct UmaskGuard {
    mode_t saved;
    explicit UmaskGuard(mode_t mask) : saved(::umask(mask)) {}
    ~UmaskGuard() { ::umask(saved); }
};

}  // namespace

TEST(Credentials, WrittenWithMode0600InAFolderOnlyTheOwnerCanList) {
    TempFolder temp;
    // Bad environment: a umask that would make new files world-readable and writable.
    UmaskGuard guard(0);
    const auto file = temp.path() / "config" / "ailab" / "credentials.json";
    ASSERT_TRUE(save_credentials(file, two_servers()));
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(mode_of(file.parent_path()), 0700u);
    EXPECT_EQ(mode_of(file.parent_path().parent_path()), 0700u);
    // Only the file: no temporary file is left beside it.
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(file.parent_path())) ++entries;
    EXPECT_EQ(entries, 1);
}

TEST(Credentials, AWorldReadableFileIsReplacedByA0600One) {
    TempFolder temp;
    const auto file = temp.path() / "credentials.json";
    {
        std::ofstream out(file);
        out << R"({"default":null,"servers":{}})";
    }
    // Bad input: an old file that others may read (e.g. copied by hand).
    std::filesystem::permissions(file, std::filesystem::perms::all);
    ASSERT_TRUE(save_credentials(file, two_servers()));
    EXPECT_EQ(mode_of(file), 0600u);
}

TEST(Credentials, TwoServersAndTheDefaultSurviveARoundTrip) {
    TempFolder temp;
    const auto file = temp.path() / "credentials.json";
    ASSERT_TRUE(save_credentials(file, two_servers()));
    auto loaded = load_credentials(file).value();
    EXPECT_EQ(loaded.default_server, "https://gpu1:443");
    ASSERT_EQ(loaded.servers.size(), 2u);
    const auto& a = loaded.servers.at("http://127.0.0.1:12345");
    EXPECT_EQ(a.user, "ada");
    EXPECT_EQ(a.token, "token-a");
    EXPECT_DOUBLE_EQ(a.expires_at, 1.5e9);
    EXPECT_FALSE(a.fingerprint.has_value());
    const auto& b = loaded.servers.at("https://gpu1:443");
    EXPECT_EQ(b.fingerprint.value(), std::string(64, 'a'));

    // The shape the Python client reads: exactly these keys, "fingerprint" null when unpinned.
    auto json = boost::json::parse(ailab::core::read_small_file(file).value()).as_object();
    EXPECT_EQ(json.size(), 2u);
    EXPECT_EQ(json.at("default").as_string(), "https://gpu1:443");
    const auto& entry = json.at("servers").at("http://127.0.0.1:12345").as_object();
    EXPECT_EQ(entry.size(), 5u);
    for (const char* key : {"user", "token", "expires_at", "insecure", "fingerprint"})
        EXPECT_TRUE(entry.contains(key)) << key;
    EXPECT_TRUE(entry.at("fingerprint").is_null());
    EXPECT_TRUE(entry.at("insecure").is_bool());
}

TEST(Credentials, AMissingFileIsEmptyAndADamagedOneIsAnError) {
    TempFolder temp;
    auto empty = load_credentials(temp.path() / "none.json");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->servers.empty());
    EXPECT_TRUE(empty->default_server.empty());

    // Bad input: not JSON, a wrong shape, an entry without a token.
    for (const char* text : {"{not json", "[]", R"({"servers":[]})", R"({"servers":{"http://a":{"user":"x"}}})"}) {
        const auto file = temp.path() / "bad.json";
        std::ofstream(file) << text;
        auto loaded = load_credentials(file);
        ASSERT_FALSE(loaded) << text;
        EXPECT_NE(loaded.error().message.find("bad.json"), std::string::npos) << loaded.error().message;
    }
    // A default that names no entry is forgotten rather than trusted.
    auto dangling = credentials_from_json(R"({"default":"http://gone","servers":{}})").value();
    EXPECT_TRUE(dangling.default_server.empty());
}

TEST(Credentials, PathFollowsXdgConfigHome) {
    const char* saved_config = std::getenv("XDG_CONFIG_HOME");
    const std::string saved = saved_config ? saved_config : "";
    ::setenv("XDG_CONFIG_HOME", "/tmp/xdg-test", 1);
    EXPECT_EQ(credentials_path(), std::filesystem::path("/tmp/xdg-test/ailab/credentials.json"));
    // Bad input: a relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
    ::setenv("XDG_CONFIG_HOME", "relative", 1);
    const char* home = std::getenv("HOME");
    EXPECT_EQ(credentials_path(), std::filesystem::path(home ? home : ".") / ".config/ailab/credentials.json");
    if (saved_config) {
        ::setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
    } else {
        ::unsetenv("XDG_CONFIG_HOME");
    }
}
