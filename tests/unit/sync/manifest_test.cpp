// Manifests as the server receives them (docs/API.md "Code sync"): every refusal names the entry,
// limits name the limit and the largest files, and the canonical text is the same for the same
// files whatever order they came in.
#include "sync/manifest.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sync/hash.hpp"

namespace ailab::sync {
namespace {

const std::string hash_a = hash_bytes("a");
const std::string hash_b = hash_bytes("b");

std::string file_json(const std::string& path_json, std::int64_t size = 1, const std::string& hash = hash_a) {
    return R"({"path":)" + path_json + R"(,"size":)" + std::to_string(size) + R"(,"mode":420,"hash":")" + hash +
           R"("})";
}

std::string body(const std::vector<std::string>& entries) {
    std::string text = R"({"files":[)";
    for (std::size_t i = 0; i < entries.size(); ++i) text += (i > 0 ? "," : "") + entries[i];
    return text + "]}";
}

// Parses and expects a refusal; returns it.
ManifestError refused(const std::string& json, const Limits& limits = {}) {
    ManifestError error;
    auto manifest = parse_manifest(json, limits, error);
    EXPECT_FALSE(manifest.has_value()) << json;
    EXPECT_FALSE(error.message.empty()) << json;
    return error;
}

TEST(Manifest, ParsesSortsAndWritesTheCanonicalForm) {
    // Entries out of order, with a key the server does not know and a body key ("git") beside files.
    const std::string json = R"({"git":{"commit":"abc"},"files":[)"
                             R"({"path":"src/b.py","size":1,"mode":493,"hash":")" +
                             hash_b +
                             R"(","extra":true},)"
                             R"({"path":"data","link":"src/x"},)"
                             R"({"path":"a.py","size":1,"hash":")" +
                             hash_a + R"("}]})";
    ManifestError error;
    auto manifest = parse_manifest(json, {}, error);
    ASSERT_TRUE(manifest.has_value()) << error.message;
    ASSERT_EQ(manifest->files.size(), 3u);
    EXPECT_EQ(manifest->files[0].path, "a.py");
    EXPECT_EQ(manifest->files[0].mode, 0644u);  // mode defaults to 0644
    EXPECT_EQ(manifest->files[1].path, "data");
    EXPECT_EQ(manifest->files[1].link, "src/x");
    EXPECT_EQ(manifest->files[2].mode, 0755u);
    EXPECT_EQ(manifest->total_bytes(), 2);
    EXPECT_EQ(to_json(*manifest),
              R"({"files":[{"path":"a.py","size":1,"mode":420,"hash":")" + hash_a +
                  R"("},{"path":"data","link":"src/x"},{"path":"src/b.py","size":1,"mode":493,"hash":")" + hash_b +
                  R"("}]})");
    // The canonical text parses back to itself.
    auto again = parse_manifest(to_json(*manifest), {}, error);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(to_json(*again), to_json(*manifest));
}

TEST(Manifest, CanonicalTextDoesNotDependOnOrder) {
    Manifest first{{{"b", 1, 0644, hash_b, ""}, {"a", 1, 0644, hash_a, ""}}};
    Manifest second{{{"a", 1, 0644, hash_a, ""}, {"b", 1, 0644, hash_b, ""}}};
    EXPECT_EQ(to_json(first), to_json(second));  // to_json sorts what is not sorted yet
    ASSERT_FALSE(validate(first, {}).has_value());
    EXPECT_EQ(first.files[0].path, "a");
    EXPECT_EQ(to_json(first), to_json(second));
    // Byte order: "a-b" < "a/b" < "a0" ('-' 0x2d, '/' 0x2f, '0' 0x30), as Python sorts the same strings.
    Manifest tricky{{{"a0", 1, 0644, hash_a, ""}, {"a/b", 1, 0644, hash_a, ""}, {"a-b", 1, 0644, hash_a, ""}}};
    ASSERT_FALSE(validate(tricky, {}).has_value());
    EXPECT_EQ(tricky.files[0].path, "a-b");
    EXPECT_EQ(tricky.files[1].path, "a/b");
    EXPECT_EQ(tricky.files[2].path, "a0");
}

TEST(Manifest, RefusesBadPathsNamingTheEntry) {
    // Bad input: "..", a climb, an inner "..", absolute paths, empty segments, ".", a backslash, a
    // NUL, an empty path and one over 4096 bytes. Each in files[1], after a good entry.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"("..")", R"(files[1]: path ".." leaves the snapshot)"},
        {R"("../x")", R"(files[1]: path "../x" leaves the snapshot)"},
        {R"("a/../../x")", R"(files[1]: path "a/../../x" leaves the snapshot)"},
        {R"("a/../b")", R"(files[1]: path "a/../b" has a ".." segment)"},
        {R"("/etc/passwd")", R"(files[1]: path "/etc/passwd" is absolute)"},
        {R"("a//b")", R"(files[1]: path "a//b" has an empty segment)"},
        {R"("a/")", R"(files[1]: path "a/" has an empty segment)"},
        {R"("./a")", R"(files[1]: path "./a" has a "." segment)"},
        {R"("a\\b")", R"(files[1]: path "a\\b" holds a backslash)"},
        {R"("a\u0000b")", R"(files[1]: path "a\x00b" holds a NUL byte)"},
        {R"("")", "files[1]: the path is empty"},
        {"\"" + std::string(4097, 'x') + "\"", "is longer than 4096 bytes"},
        {"7", R"(files[1]: "path" must be a string)"},
    };
    for (const auto& [path, expected] : cases) {
        const auto error = refused(body({file_json(R"("ok.py")"), file_json(path)}));
        EXPECT_NE(error.message.find(expected), std::string::npos) << error.message;
        EXPECT_FALSE(error.over_limit);
        EXPECT_FALSE(is_safe_relative_path(path.size() > 2 ? path.substr(1, path.size() - 2) : ""));
    }
}

TEST(Manifest, RefusesBadHashesSizesAndModes) {
    // Bad input: hash text that is not 64 lower-case hex digits, a missing hash, sizes that are not
    // whole numbers >= 0, modes beyond the permission bits.
    const std::string upper = [] {
        std::string text = hash_bytes("a");
        for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return text;
    }();
    EXPECT_NE(refused(body({file_json(R"("a.py")", 1, upper)}))
                  .message.find(R"(files[0] ("a.py"): hash ")" + upper + R"(" is not 64 lower-case hex digits)"),
              std::string::npos);
    EXPECT_NE(refused(body({file_json(R"("a.py")", 1, "abc")})).message.find("is not 64 lower-case hex"),
              std::string::npos);
    EXPECT_NE(refused(body({file_json(R"("a.py")", 1, std::string(63, 'a') + "g")})).message.find("hex"),
              std::string::npos);
    EXPECT_NE(refused(body({R"({"path":"a.py","size":1})"})).message.find(R"("hash" must be a string)"),
              std::string::npos);
    EXPECT_NE(refused(body({R"({"path":"a.py","size":1,"hash":5})"})).message.find("hash"), std::string::npos);
    EXPECT_NE(refused(body({file_json(R"("a.py")", -1)})).message.find("size -1 is negative"), std::string::npos);
    EXPECT_NE(refused(body({R"({"path":"a.py","size":1.5,"hash":")" + hash_a + R"("})"})).message.find("whole number"),
              std::string::npos);
    EXPECT_NE(refused(body({R"({"path":"a.py","size":"1","hash":")" + hash_a + R"("})"})).message.find("whole number"),
              std::string::npos);
    EXPECT_NE(refused(body({R"({"path":"a.py","hash":")" + hash_a + R"("})"})).message.find(R"("size" is missing)"),
              std::string::npos);
    EXPECT_NE(refused(body({R"({"path":"a.py","size":1,"mode":33188,"hash":")" + hash_a + R"("})"}))
                  .message.find("permission bits"),
              std::string::npos);
    EXPECT_NE(refused(body({R"({"path":"a.py","size":1,"mode":"644","hash":")" + hash_a + R"("})"}))
                  .message.find("permission bits"),
              std::string::npos);
}

TEST(Manifest, RefusesBodiesThatAreNotManifests) {
    // Bad input: not JSON, not an object, no files array, an entry that is not an object.
    EXPECT_NE(refused("{nope").message.find("not valid JSON"), std::string::npos);
    EXPECT_NE(refused("[1]").message.find("not a JSON object"), std::string::npos);
    EXPECT_NE(refused("{}").message.find("no \"files\" array"), std::string::npos);
    EXPECT_NE(refused(R"({"files":{}})").message.find("no \"files\" array"), std::string::npos);
    EXPECT_NE(refused(R"({"files":[1]})").message.find("files[0]: not an object"), std::string::npos);
    // Not UTF-8 (Boost.JSON refuses it while parsing).
    refused(body({file_json("\"a\xff\"")}));
}

TEST(Manifest, RefusesDuplicatesAndEntriesBelowAFileOrLink) {
    // Bad input: the same path twice; a file below a file; a file below a link (materializing it
    // would write through the link).
    const auto twice = refused(body({file_json(R"("a.py")"), file_json(R"("b.py")"), file_json(R"("a.py")")}));
    EXPECT_NE(twice.message.find(R"(files[2]: path "a.py" appears twice (also files[0]))"), std::string::npos)
        << twice.message;
    const auto below_file = refused(body({file_json(R"("a")"), file_json(R"("a/b.py")")}));
    EXPECT_NE(below_file.message.find(R"(files[1]: path "a/b.py" lies below files[0] ("a"), which is a file)"),
              std::string::npos)
        << below_file.message;
    const auto below_link = refused(body({R"({"path":"d","link":"real"})", file_json(R"("d/x.py")")}));
    EXPECT_NE(below_link.message.find("which is a link"), std::string::npos) << below_link.message;
}

TEST(Manifest, RefusesLinksThatLeaveTheSnapshot) {
    // Bad input: a link to ../../etc, an absolute target, an empty target, a link with a hash too,
    // and a chain: "s/t" -> ".." is fine alone and so is "s/u" -> "t/.." read lexically, but
    // together "s/u" resolves to the snapshot's parent.
    const auto climbs = refused(body({R"({"path":"a/l","link":"../../etc"})"}));
    EXPECT_NE(climbs.message.find(R"(files[0] ("a/l"): link target "../../etc" leaves the snapshot)"),
              std::string::npos)
        << climbs.message;
    const auto absolute = refused(body({R"({"path":"l","link":"/etc/passwd"})"}));
    EXPECT_NE(absolute.message.find(R"(link target "/etc/passwd" is absolute)"), std::string::npos);
    EXPECT_NE(refused(body({R"({"path":"l","link":""})"})).message.find("non-empty string"), std::string::npos);
    EXPECT_NE(refused(body({R"({"path":"l","link":"x","hash":")" + hash_a + R"("})"})).message.find("both"),
              std::string::npos);
    const auto chain = refused(body({R"({"path":"s/t","link":".."})", R"({"path":"s/u","link":"t/.."})"}));
    EXPECT_NE(chain.message.find(R"(files[1] ("s/u"): link target "t/.." leaves the snapshot through the link "s/t")"),
              std::string::npos)
        << chain.message;

    // Fine: a link up and over inside the snapshot, a link to the root, a loop (it leads nowhere).
    ManifestError error;
    EXPECT_TRUE(parse_manifest(body({R"({"path":"sub/data","link":"../shared/data"})"}), {}, error)) << error.message;
    EXPECT_TRUE(parse_manifest(body({R"({"path":"sub/root","link":".."})"}), {}, error)) << error.message;
    EXPECT_TRUE(parse_manifest(body({R"({"path":"x","link":"y"})", R"({"path":"y","link":"x/../x"})"}), {}, error))
        << error.message;
}

TEST(Manifest, PathAndLinkRulesOnTheirOwn) {
    EXPECT_TRUE(is_safe_relative_path("src/a.py"));
    EXPECT_TRUE(is_safe_relative_path("..a/b.."));  // dots inside a name are fine
    EXPECT_TRUE(is_safe_relative_path(std::string(4096, 'x')));
    EXPECT_FALSE(is_safe_relative_path(std::string(4097, 'x')));
    EXPECT_FALSE(is_safe_relative_path(std::string_view("a\0b", 3)));
    EXPECT_FALSE(is_safe_relative_path("a/./b"));
    EXPECT_FALSE(is_safe_relative_path("a/../b"));

    EXPECT_TRUE(link_stays_inside("a/b/l", "../../x"));
    EXPECT_FALSE(link_stays_inside("a/b/l", "../../../x"));
    EXPECT_TRUE(link_stays_inside("l", "."));
    EXPECT_FALSE(link_stays_inside("l", ".."));
    EXPECT_FALSE(link_stays_inside("l", "x/../../y"));  // climbs out before coming back
    EXPECT_TRUE(link_stays_inside("l", "x/./y//z"));
    EXPECT_FALSE(link_stays_inside("l", "/abs"));
    EXPECT_FALSE(link_stays_inside("l", ""));
}

TEST(Manifest, LimitsNameTheLimitAndTheLargestFiles) {
    // Bad input: over the count, over one file's size, over the total; the five largest files are
    // named, largest first, and the sixth is not.
    std::vector<std::string> entries;
    for (int i = 0; i < 7; ++i) entries.push_back(file_json("\"f" + std::to_string(i) + "\"", 100 * (i + 1)));

    Limits count;
    count.max_files = 6;
    const auto too_many = refused(body(entries), count);
    EXPECT_TRUE(too_many.over_limit);
    EXPECT_NE(too_many.message.find("7 files, over the limit of 6 files (sync_max_files)"), std::string::npos)
        << too_many.message;
    EXPECT_NE(too_many.message.find(R"("f6" (700 B), "f5" (600 B), "f4" (500 B), "f3" (400 B), "f2" (300 B))"),
              std::string::npos)
        << too_many.message;
    EXPECT_EQ(too_many.message.find("\"f1\""), std::string::npos);

    Limits one;
    one.max_file_bytes = 650;
    const auto too_big = refused(body(entries), one);
    EXPECT_TRUE(too_big.over_limit);
    EXPECT_NE(too_big.message.find(
                  R"("f6" holds 700 B, over the limit of 650 B for one file (sync_max_file_mib); the largest: "f6")"),
              std::string::npos)
        << too_big.message;

    Limits total;
    total.max_total_bytes = 2 * 1024;
    const auto too_much = refused(body(entries), total);
    EXPECT_TRUE(too_much.over_limit);
    EXPECT_NE(too_much.message.find("the files hold 2.7 KiB, over the limit of 2.0 KiB in total (sync_max_total_mib)"),
              std::string::npos)
        << too_much.message;

    // A size past 2^63 is over any limit, not wrapped around.
    const auto huge = refused(body({R"({"path":"h","size":18446744073709551615,"hash":")" + hash_a + R"("})"}));
    EXPECT_TRUE(huge.over_limit) << huge.message;

    // Exactly at the limits is fine.
    Limits exact;
    exact.max_files = 7;
    exact.max_file_bytes = 700;
    exact.max_total_bytes = 2800;
    ManifestError error;
    EXPECT_TRUE(parse_manifest(body(entries), exact, error)) << error.message;
}

TEST(Manifest, ValidateRefusesWhatCodeBuiltWrong) {
    // Bad input built in code: a name that is not UTF-8 (it could not travel as JSON, and the
    // canonical text would change it), a link that leaves, a mode with the file type bits.
    Manifest not_utf8{{{"a\xff", 1, 0644, hash_a, ""}}};
    auto error = validate(not_utf8, {});
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->message.find(R"(files[0]: path "a\xff" is not valid UTF-8)"), std::string::npos) << error->message;

    Manifest leaving{{{"l", 0, 0644, "", "../x"}}};
    EXPECT_TRUE(validate(leaving, {}).has_value());

    Manifest mode{{{"a", 1, 0100644, hash_a, ""}}};
    error = validate(mode, {});
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->message.find("permission bits"), std::string::npos);
}

TEST(Manifest, MessagesEscapeControlCharacters) {
    // Bad input: a path with a newline and an escape byte that also climbs out.
    const auto error = refused(body({file_json(R"("a\n\u001b/../../x")")}));
    EXPECT_NE(error.message.find(R"("a\n\x1b/../../x" leaves the snapshot)"), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ailab::sync
