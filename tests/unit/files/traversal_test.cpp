// The path-traversal corpus (tests/fixtures/traversal_cases.txt, >= 200 cases) against the path
// rules and core::ConfinedRoot, through openat2 (Resolver::automatic) and through the checked walk
// (Resolver::walk): each case must get its class's status, and no case, even one the path rules
// would refuse, may make the ConfinedRoot hand out a byte from outside the root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "files/paths.hpp"
#include "support/traversal_tree.hpp"
#include "temp_root.hpp"

namespace ailab::files {
namespace {

using testing::TraversalCase;

int expected_status(const std::string& kind) {
    if (kind == "ok") return 200;
    if (kind == "missing") return 404;
    if (kind == "outside" || kind == "special") return 403;
    if (kind == "folder" || kind == "bad") return 400;
    throw std::runtime_error("unknown class " + kind);
}

// What GET /files/content does with a decoded path, without HTTP: the rules, the confined open,
// the checks on the descriptor. Returns the status and the bytes read for a 200.
std::pair<int, std::string> read_like_the_route(const core::ConfinedRoot& root, const std::string& decoded) {
    auto path = check_path(decoded);
    if (!path) return {status_of(path.error()), ""};
    auto fd = root.open_file(*path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (!fd) return {status_of(fd.error()), ""};
    struct stat status {};
    if (::fstat(fd->get(), &status) != 0) return {500, ""};
    if (S_ISDIR(status.st_mode)) return {400, ""};
    if (!S_ISREG(status.st_mode)) return {403, ""};
    std::string bytes(4096, '\0');
    const auto n = ::read(fd->get(), bytes.data(), bytes.size());
    bytes.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return {200, bytes};
}

class Traversal : public ::testing::TestWithParam<core::Resolver> {
protected:
    void SetUp() override {
        testing::make_traversal_tree(temp_.path());
        root_ = test::root_over(temp_.path() / "root", GetParam());
        cases_ = testing::load_traversal_cases(AILAB_TRAVERSAL_CASES);
    }
    test::TempDir temp_;
    Root root_;
    std::vector<TraversalCase> cases_;
};

TEST_P(Traversal, CorpusHasEnoughCasesOfEveryClass) {
    // A corpus that lost its file or most of its lines would make the other tests pass vacuously.
    ASSERT_GE(cases_.size(), 200u);
    std::map<std::string, int> per_class;
    for (const auto& item : cases_) ++per_class[item.kind];
    for (const auto* kind : {"ok", "folder", "missing", "bad", "outside", "special"})
        EXPECT_GT(per_class[kind], 0) << kind;
}

TEST_P(Traversal, EveryCaseGetsItsClassStatus) {
    for (const auto& item : cases_) {
        auto decoded = testing::decode_query_value(item.text);
        if (!decoded) {
            // The server refuses a bad escape while parsing the query (400) before any route runs.
            EXPECT_EQ(item.kind, "bad") << item.text;
            continue;
        }
        auto [status, bytes] = read_like_the_route(*root_.folder, *decoded);
        EXPECT_EQ(status, expected_status(item.kind)) << "case: " << item.text;
        EXPECT_EQ(bytes.find(testing::outside_secret), std::string::npos) << "case: " << item.text;
        if (status == 200) {
            EXPECT_EQ(bytes.rfind("inside", 0), 0u) << "case: " << item.text;
        }
    }
}

TEST_P(Traversal, ConfinedRootAloneNeverReadsOutside) {
    // Without the path rules: "..", absolute paths and the rest go straight to the ConfinedRoot,
    // as read_file, as a folder and as a rename source. Nothing from outside may come back or move.
    for (const auto& item : cases_) {
        auto decoded = testing::decode_query_value(item.text);
        if (!decoded) continue;
        auto text = root_.folder->read_file(*decoded);
        if (text) {
            EXPECT_EQ(text->find(testing::outside_secret), std::string::npos) << "case: " << item.text;
        }
        auto folder = root_.folder->open_folder(*decoded);
        if (folder) {
            // Whatever folder opened must lie beneath the root.
            EXPECT_TRUE(relative_path_of(*root_.folder, folder->get()))
                << "a folder outside the root was opened for case: " << item.text;
        }
        (void)root_.folder->rename_noreplace(*decoded, "moved-here");
        EXPECT_TRUE(std::filesystem::exists(temp_.path() / "outside/secret.txt")) << "case: " << item.text;
        EXPECT_TRUE(std::filesystem::exists(temp_.path() / "rootsecret/secret.txt")) << "case: " << item.text;
        // Put back whatever an inside rename moved, so later cases see the same tree.
        if (std::filesystem::exists(std::filesystem::symlink_status(temp_.path() / "root/moved-here")))
            (void)root_.folder->rename_noreplace("moved-here", *decoded);
    }
}

INSTANTIATE_TEST_SUITE_P(Resolvers, Traversal, ::testing::Values(core::Resolver::automatic, core::Resolver::walk),
                         [](const auto& info) { return info.param == core::Resolver::walk ? "walk" : "openat2"; });

TEST(PathRules, NormalisesAndRefuses) {
    // Bad input: every kind of spelling the rules must refuse, and the harmless ones they keep.
    EXPECT_EQ(*check_path(""), "");
    EXPECT_EQ(*check_path("a//b/"), "a/b");
    EXPECT_EQ(*check_path("%2e%2e"), "%2e%2e");  // a literal name after the one decoding
    for (const char* bad : {"..", "a/..", "./a", "/a", "a\\b", "\xC0\xAE\xC0\xAE", "a/.", "\xED\xA0\x80"})
        EXPECT_EQ(status_of(check_path(bad).error()), 400) << bad;
    EXPECT_EQ(status_of(check_path(std::string("a\0b", 3)).error()), 400);
    EXPECT_EQ(status_of(check_path(std::string(5000, 'a')).error()), 400);
}

}  // namespace
}  // namespace ailab::files
