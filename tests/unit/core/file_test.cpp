// core::read_small_file / read_pseudo_file, core::split, core::Error and core::ConfigReader.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "core/config.hpp"
#include "core/config_reader.hpp"
#include "core/fd.hpp"
#include "core/file.hpp"
#include "core/strings.hpp"

using namespace ailab::core;

namespace {

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("ailab-core-" + std::to_string(getpid()) + "-" + name);
}

}  // namespace

TEST(File, ReadsARegularFileUpToTheLimit) {
    const auto path = temp_path("small");
    std::ofstream(path) << "hello world";
    auto text = read_small_file(path);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, "hello world");
    auto cut = read_small_file(path, 5);
    ASSERT_TRUE(cut);
    EXPECT_EQ(*cut, "hello");
    std::filesystem::remove(path);
}

TEST(File, RefusesFifosAndDevicesWithoutBlocking) {
    const auto fifo = temp_path("fifo");
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    auto text = read_small_file(fifo);  // would block forever without O_NONBLOCK + fstat
    ASSERT_FALSE(text);
    EXPECT_NE(text.error().message.find("not a regular file"), std::string::npos) << text.error().message;
    std::filesystem::remove(fifo);
    auto zero = read_small_file("/dev/zero");  // would never end without the check
    ASSERT_FALSE(zero);
    EXPECT_TRUE(zero.error().is(boost::system::errc::invalid_argument));
}

TEST(File, MissingFileSaysWhich) {
    auto text = read_small_file("/nonexistent/ailab-config.json");
    ASSERT_FALSE(text);
    EXPECT_TRUE(text.error().is(boost::system::errc::no_such_file_or_directory));
    EXPECT_NE(text.error().message.find("ailab-config.json"), std::string::npos);
    EXPECT_THROW(text.value(), ErrorException);
}

TEST(File, ReadsPseudoFilesWhoseSizeIsZero) {
    std::string buffer;
    ASSERT_TRUE(read_pseudo_file("/proc/self/status", buffer));
    EXPECT_NE(buffer.find("VmRSS"), std::string::npos);
    ASSERT_TRUE(read_pseudo_file("/proc/self/status", buffer, 16));
    EXPECT_EQ(buffer.size(), 16u);
}

TEST(Fd, ClosesOnceAndMoves) {
    OwnedFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    const int raw = fd.get();
    OwnedFd moved(std::move(fd));
    EXPECT_FALSE(fd);  // NOLINT(bugprone-use-after-move): the point of the test
    EXPECT_EQ(moved.get(), raw);
    moved.reset();
    EXPECT_EQ(fcntl(raw, F_GETFD), -1);
}

TEST(Strings, Split) {
    EXPECT_EQ(split("a//b", '/'), (std::vector<std::string_view>{"a", "", "b"}));
    EXPECT_EQ(split("a//b/", '/', EmptyParts::skip), (std::vector<std::string_view>{"a", "b"}));
    EXPECT_EQ(split("", ',', EmptyParts::skip).size(), 0u);
    EXPECT_TRUE(starts_with_ignoring_case("Bearer x", "bearer "));
    EXPECT_FALSE(starts_with_ignoring_case("Bear", "bearer"));
}

TEST(ConfigReader, TypedKeysNamedErrorsAndUnreadKeys) {
    ConfigReader reader(boost::json::object{{"n", 5}, {"flag", true}, {"dir", "~/x"}, {"extra", 1}}, "c.json",
                        [](const std::string& name) -> std::optional<std::string> {
                            if (name == "HOME") return std::string("/home/u");
                            return std::nullopt;
                        });
    EXPECT_EQ(reader.integer("n", 0, 1, 10), 5);
    EXPECT_TRUE(reader.boolean("flag", false));
    EXPECT_EQ(reader.folder("dir", ConfigReader::Presence::required), "/home/u/x");
    EXPECT_EQ(reader.integer("absent", 7, 1, 10), 7);
    EXPECT_EQ(reader.unread_keys(), (std::vector<std::string>{"extra"}));
    try {
        reader.integer("n", 0, 6, 10);
        FAIL() << "no error";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()), "c.json: \"n\" must be an integer from 6 to 10, got 5");
    }
    EXPECT_THROW(reader.folder("missing", ConfigReader::Presence::required), ConfigError);
}
