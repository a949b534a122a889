// The ignore rules of code sync must leave out exactly what git leaves out. One tree of tricky
// cases (anchored and unanchored patterns, folder-only patterns, negation, the `**` forms,
// character classes, escaped `#`/`!`/`*`, trailing spaces kept or trimmed, a CRLF line, nested
// .gitignore files, a negation that tries to re-include a file below an excluded folder) is
// checked three ways: against the expectation written next to each path, against real
// `git ls-files --others --exclude-standard`, and against `git check-ignore --no-index`.
#include "sync/ignore.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sync_test_util.hpp"

namespace ailab::sync {
namespace {

using testing::TempFolder;
using testing::write_file;

enum class Kind { file, folder };
enum class Expect { kept, ignored };

struct Case {
    std::string path;
    Kind kind;
    Expect expect;
};

const std::map<std::string, std::string>& ignore_files() {
    static const std::map<std::string, std::string> files = {
        {".gitignore",
         "# a comment line\n"
         "\\#hash.txt\n"
         "\\!bang.txt\n"
         "*.log\n"
         "!keep.log\n"
         "/anchored.txt\n"
         "build/\n"
         "docs/*.md\n"
         "!docs/README.md\n"
         "**/deep/secret.txt\n"
         "cache/**\n"
         "!cache/keep/\n"
         "a/**/z.txt\n"
         "[abc].dat\n"
         "[!x]y.bin\n"
         "[^q]w.txt\n"
         "[]]x.txt\n"
         "[a-c]r.txt\n"
         "*.[ch]\n"
         "foo?.txt\n"
         "\\*star.txt\n"
         "trail.txt   \n"
         "space\\ .txt\\ \n"
         "excluded/\n"
         "!excluded/back.txt\n"
         "onlyfile\n"
         "[[:digit:]]*.num\n"
         "dironly/\n"
         "mid/*/end.txt\n"
         "lead**/x.txt\n"
         "**/any\n"
         "tail/**\n"
         "crlf.txt\r\n"
         "\n"
         "   \n"},
        {"sub/.gitignore", "*.tmp\n!important.tmp\n/local.txt\nnested/\n!y.log\n"},
        {"sub/deeper/.gitignore", "!*.log\n"},
        // Never read: git does not look into a folder it leaves out.
        {"excluded/.gitignore", "!*\n"},
        {"build/.gitignore", "!out.o\n"},
    };
    return files;
}

const std::vector<Case>& cases() {
    static const std::vector<Case> list = {
        {"#hash.txt", Kind::file, Expect::ignored},  // "\#" is a literal '#', not a comment
        {"hash.txt", Kind::file, Expect::kept},
        {"!bang.txt", Kind::file, Expect::ignored},  // "\!" is a literal '!', not a negation
        {"bang.txt", Kind::file, Expect::kept},
        {"x.log", Kind::file, Expect::ignored},
        {"keep.log", Kind::file, Expect::kept},
        {"sub/z.log", Kind::file, Expect::ignored},
        {"sub/keep.log", Kind::file, Expect::kept},
        {"sub/y.log", Kind::file, Expect::kept},         // re-included by sub/.gitignore
        {"sub/deeper/w.log", Kind::file, Expect::kept},  // re-included by the deeper file
        {"anchored.txt", Kind::file, Expect::ignored},
        {"sub/anchored.txt", Kind::file, Expect::kept},  // "/anchored.txt" is the root's only
        {"build", Kind::folder, Expect::ignored},
        {"build/out.o", Kind::file, Expect::ignored},  // build/.gitignore's "!out.o" is not read
        {"sub/build", Kind::folder, Expect::ignored},  // "build/" matches at any depth
        {"sub/build/out.o", Kind::file, Expect::ignored},
        {"build.txt", Kind::file, Expect::kept},
        {"notdir/build", Kind::file, Expect::kept},  // "build/" matches folders only
        {"docs/a.md", Kind::file, Expect::ignored},
        {"docs/README.md", Kind::file, Expect::kept},
        {"docs/sub/b.md", Kind::file, Expect::kept},       // '*' does not cross '/'
        {"deep/secret.txt", Kind::file, Expect::ignored},  // leading "**/": zero folders
        {"x/y/deep/secret.txt", Kind::file, Expect::ignored},
        {"deep/other.txt", Kind::file, Expect::kept},
        {"cache", Kind::folder, Expect::kept},  // "cache/**" matches inside only
        {"cache/a.txt", Kind::file, Expect::ignored},
        {"cache/keep", Kind::folder, Expect::kept},
        {"cache/keep/b.txt", Kind::file, Expect::ignored},  // still matched by "cache/**"
        {"a/z.txt", Kind::file, Expect::ignored},           // inner "/**/": zero folders
        {"a/b/c/z.txt", Kind::file, Expect::ignored},
        {"q/a/z.txt", Kind::file, Expect::kept},  // "a/**/z.txt" is anchored
        {"a.dat", Kind::file, Expect::ignored},
        {"d.dat", Kind::file, Expect::kept},
        {"ay.bin", Kind::file, Expect::ignored},
        {"xy.bin", Kind::file, Expect::kept},  // "[!x]"
        {"pw.txt", Kind::file, Expect::ignored},
        {"qw.txt", Kind::file, Expect::kept},     // "[^q]"
        {"]x.txt", Kind::file, Expect::ignored},  // ']' first in a class is literal
        {"br.txt", Kind::file, Expect::ignored},
        {"dr.txt", Kind::file, Expect::kept},  // outside [a-c]
        {"m.c", Kind::file, Expect::ignored},
        {"m.h", Kind::file, Expect::ignored},
        {"m.cpp", Kind::file, Expect::kept},
        {"foo1.txt", Kind::file, Expect::ignored},
        {"foo.txt", Kind::file, Expect::kept},
        {"foo12.txt", Kind::file, Expect::kept},
        {"*star.txt", Kind::file, Expect::ignored},
        {"xstar.txt", Kind::file, Expect::kept},       // "\*" is a literal '*'
        {"trail.txt", Kind::file, Expect::ignored},    // unescaped trailing spaces are trimmed
        {"space .txt ", Kind::file, Expect::ignored},  // an escaped trailing space is kept
        {"space .txt", Kind::file, Expect::kept},
        {"excluded", Kind::folder, Expect::ignored},
        {"excluded/back.txt", Kind::file, Expect::ignored},  // "!excluded/back.txt" cannot re-include
        {"excluded/other", Kind::file, Expect::ignored},
        {"onlyfile", Kind::file, Expect::ignored},
        {"sub/onlyfile", Kind::file, Expect::ignored},
        {"1a.num", Kind::file, Expect::ignored},  // [[:digit:]]
        {"a1.num", Kind::file, Expect::kept},
        {"dironly", Kind::file, Expect::kept},
        {"sub/dironly", Kind::folder, Expect::ignored},
        {"sub/dironly/f", Kind::file, Expect::ignored},
        {"mid/q/end.txt", Kind::file, Expect::ignored},
        {"mid/q/r/end.txt", Kind::file, Expect::kept},
        {"mid/end.txt", Kind::file, Expect::kept},
        {"leadfoo/x.txt", Kind::file, Expect::ignored},  // git cuts "lead", then "**/" is real
        {"lead/a/x.txt", Kind::file, Expect::ignored},
        {"leadx/y/x.txt", Kind::file, Expect::ignored},
        {"any", Kind::file, Expect::ignored},
        {"q/any", Kind::folder, Expect::ignored},
        {"q/any/f", Kind::file, Expect::ignored},
        {"tail", Kind::folder, Expect::kept},
        {"tail/f", Kind::file, Expect::ignored},
        {"tail/d/f", Kind::file, Expect::ignored},
        {"crlf.txt", Kind::file, Expect::ignored},  // "\r\n" line ending
        {"a.tmp", Kind::file, Expect::kept},        // sub/.gitignore applies below sub/ only
        {"sub/a.tmp", Kind::file, Expect::ignored},
        {"sub/important.tmp", Kind::file, Expect::kept},
        {"sub/local.txt", Kind::file, Expect::ignored},
        {"sub/q/local.txt", Kind::file, Expect::kept},
        {"local.txt", Kind::file, Expect::kept},
        {"sub/nested", Kind::folder, Expect::ignored},
        {"sub/nested/f", Kind::file, Expect::ignored},
    };
    return list;
}

// The rules as code sync builds them: the defaults, then each folder's .gitignore, parents first.
IgnoreRules rules_from(const std::map<std::string, std::string>& files) {
    IgnoreRules rules;
    for (const auto& [path, text] : files) {
        const auto slash = path.rfind('/');
        rules.add(slash == std::string::npos ? "" : path.substr(0, slash), text);
    }
    return rules;
}

TEST(Ignore, TrickyCasesAsWritten) {
    // std::map orders "build/..", "excluded/..", "sub/..", "sub/deeper/..": parents first.
    const IgnoreRules rules = rules_from(ignore_files());
    for (const auto& c : cases()) {
        EXPECT_EQ(rules.ignored(c.path, c.kind == Kind::folder), c.expect == Expect::ignored) << c.path;
    }
}

// Builds the tree and the .gitignore files in a real git repository.
void build_tree(const TempFolder& folder) {
    for (const auto& [path, text] : ignore_files()) write_file(folder / path, text);
    for (const auto& c : cases()) {
        if (c.kind == Kind::folder)
            std::filesystem::create_directories(folder / c.path);
        else
            write_file(folder / c.path, "x");
    }
    // Folders must not be empty, or git has nothing to show in them.
    for (const auto& c : cases())
        if (c.kind == Kind::folder) write_file(folder / c.path / "inside.txt", "x");
}

// What code sync keeps, walking the tree as scan_folder does (without following links).
void walk(const std::filesystem::path& root, const std::string& relative, IgnoreRules& rules,
          std::set<std::string>& kept) {
    const auto folder = relative.empty() ? root : root / relative;
    if (std::filesystem::exists(folder / ".gitignore")) rules.add(relative, testing::read_file(folder / ".gitignore"));
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        const std::string path = relative.empty() ? name : relative + "/" + name;
        const bool is_folder = entry.is_directory() && !entry.is_symlink();
        if (rules.ignored(path, is_folder)) continue;
        if (is_folder)
            walk(root, path, rules, kept);
        else
            kept.insert(path);
    }
}

std::set<std::string> split_nul(const std::string& text) {
    std::set<std::string> parts;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\0', start);
        parts.insert(text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return parts;
}

TEST(Ignore, KeepsWhatGitKeeps) {
    if (!testing::have_command("git")) GTEST_SKIP() << "git is not installed";
    TempFolder folder;
    build_tree(folder);
    const std::string git = "git -C '" + folder.path().string() + "' -c core.excludesFile=/dev/null ";
    testing::run_command(git + "init -q");
    const std::set<std::string> by_git =
        split_nul(testing::run_command(git + "ls-files -z --others --exclude-standard"));

    IgnoreRules rules;
    std::set<std::string> kept;
    walk(folder.path(), "", rules, kept);
    EXPECT_EQ(kept, by_git);
    // The expectation written beside each file agrees too.
    for (const auto& c : cases()) {
        if (c.kind == Kind::file) {
            EXPECT_EQ(by_git.count(c.path) == 0, c.expect == Expect::ignored) << c.path;
        }
    }
}

TEST(Ignore, AnswersLikeGitCheckIgnoreForEveryPath) {
    if (!testing::have_command("git")) GTEST_SKIP() << "git is not installed";
    TempFolder folder;
    build_tree(folder);
    const std::string git = "git -C '" + folder.path().string() + "' -c core.excludesFile=/dev/null ";
    testing::run_command(git + "init -q");
    std::string input;
    std::vector<std::pair<std::string, bool>> paths;  // every file and folder but .git's
    for (auto it = std::filesystem::recursive_directory_iterator(folder.path());
         it != std::filesystem::recursive_directory_iterator(); ++it) {
        const std::string path = std::filesystem::relative(it->path(), folder.path()).string();
        if (path == ".git") {
            it.disable_recursion_pending();
            continue;
        }
        paths.emplace_back(path, it->is_directory());
        input += path;
        input.push_back('\0');
    }
    write_file(folder / ".git/paths", input);
    // Exit status 1 means "nothing is ignored"; that would fail the comparison below.
    const std::set<std::string> by_git = split_nul(testing::run_command(
        git + "check-ignore --no-index -z --stdin < '" + (folder / ".git/paths").string() + "'", 1));
    const IgnoreRules rules = rules_from(ignore_files());
    for (const auto& [path, is_folder] : paths) {
        EXPECT_EQ(rules.ignored(path, is_folder), by_git.count(path) == 1) << path;
    }
}

TEST(Ignore, DefaultsLeaveOutToolFolders) {
    const IgnoreRules rules;
    EXPECT_TRUE(rules.ignored(".git", true));
    EXPECT_TRUE(rules.ignored(".git", false));  // a worktree's .git file
    EXPECT_TRUE(rules.ignored("pkg/__pycache__", true));
    EXPECT_TRUE(rules.ignored("pkg/__pycache__/m.cpython-311.pyc", false));
    EXPECT_TRUE(rules.ignored("m.pyc", false));
    EXPECT_TRUE(rules.ignored("notebooks/.ipynb_checkpoints", true));
    EXPECT_TRUE(rules.ignored(".venv/bin/python", false));
    EXPECT_TRUE(rules.ignored("ui/node_modules/x/index.js", false));
    EXPECT_FALSE(rules.ignored("m.py", false));
    EXPECT_FALSE(rules.ignored("gitignore", false));
    EXPECT_FALSE(rules.ignored("venv", true));
}

TEST(Ignore, AilabignoreReadAfterGitignoreCanReinclude) {
    IgnoreRules rules;
    rules.add("", "*.ckpt\n");                  // .gitignore
    rules.add("", "!best.ckpt\n.venv-old/\n");  // .ailabignore
    EXPECT_TRUE(rules.ignored("last.ckpt", false));
    EXPECT_FALSE(rules.ignored("best.ckpt", false));
    EXPECT_TRUE(rules.ignored(".venv-old", true));
    // It may re-include a default too.
    rules.add("", "!.venv\n");
    EXPECT_FALSE(rules.ignored(".venv/lib/x.py", false));
}

TEST(Ignore, RulesOfASubfolderStayInIt) {
    // Bad input: a sub-folder's pattern that would match at the root if its base were ignored.
    IgnoreRules rules;
    rules.add("lib", "/secret\n*.bak\n");
    EXPECT_TRUE(rules.ignored("lib/secret", false));
    EXPECT_TRUE(rules.ignored("lib/x/y.bak", false));
    EXPECT_FALSE(rules.ignored("secret", false));
    EXPECT_FALSE(rules.ignored("y.bak", false));
    EXPECT_FALSE(rules.ignored("library/y.bak", false));  // "lib" is not a prefix of "library/"
    EXPECT_FALSE(rules.ignored("lib", true));             // a folder's own file does not apply to it
}

TEST(Ignore, MalformedPatternsMatchNothingAndDoNotCrash) {
    // Bad input: an unclosed class, an unknown [:class:], a lone backslash, a lone '!', a NUL.
    IgnoreRules rules;
    static constexpr char text[] = "[abc\n[[:nope:]]x\n\\\n!\n/\na\0b\n";
    rules.add("", std::string_view(text, sizeof text - 1));
    EXPECT_FALSE(rules.ignored("[abc", false));
    EXPECT_FALSE(rules.ignored("ax", false));
    EXPECT_FALSE(rules.ignored("\\", false));
    EXPECT_TRUE(rules.ignored("a", false));  // "a\0b" is read up to the NUL, as git does

    // Bad input: a hostile line of 200,000 "*a" (matching recurses per star) is left out.
    std::string hostile;
    for (int i = 0; i < 100'000; ++i) hostile += "*a";
    rules.add("", hostile + "\n");
    EXPECT_FALSE(rules.ignored(std::string(4000, 'a'), false));
    // Bad input: "a/**/" sixteen times against a path of 2,000 segments takes exponential time
    // in git's algorithm; a step budget ends it (without it this test does not finish).
    std::string nested;
    for (int i = 0; i < 16; ++i) nested += "a/**/";
    IgnoreRules slow;
    slow.add("", nested + "b\n");
    std::string deep;
    while (deep.size() < 4000) deep += "a/";
    deep.pop_back();
    EXPECT_FALSE(slow.ignored(deep, false));
    // A long but sane pattern (up to 4096 bytes, like a path) still works.
    rules.add("", std::string(4000, 'b') + "*\n");
    EXPECT_TRUE(rules.ignored(std::string(4000, 'b') + "c", false));
}

}  // namespace
}  // namespace ailab::sync
