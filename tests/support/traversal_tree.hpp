#pragma once
// The tree the path-traversal corpus (tests/fixtures/traversal_cases.txt) is answered on, and a
// reader of the corpus. Shared by the unit tests of the confined paths (tests/unit/files) and the
// integration test of the files routes. `base/root` is the root; `base/outside/secret.txt` and
// `base/rootsecret/secret.txt` (a sibling whose name starts with the root's: Jupyter's prefix bug)
// hold "SECRET-OUTSIDE", which no answer may ever contain.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ailab::testing {

inline constexpr const char* outside_secret = "SECRET-OUTSIDE";

struct TraversalCase {
    std::string kind;  // ok, folder, missing, bad, outside, special
    std::string text;  // as sent in the query string ("" for "(empty)")
};

inline std::vector<TraversalCase> load_traversal_cases(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::vector<TraversalCase> cases;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line.front() == '#') continue;
        const auto space = line.find(' ');
        if (space == std::string::npos) throw std::runtime_error("a corpus line without a space: " + line);
        TraversalCase item{line.substr(0, space), line.substr(space + 1)};
        if (item.text == "(empty)") item.text.clear();
        cases.push_back(std::move(item));
    }
    return cases;
}

// Decodes a query value once as the server does ("+" is a space), but keeps a NUL (%00) so the
// POST routes can be sent it in JSON; nullopt for a bad escape.
inline std::optional<std::string> decode_query_value(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            auto hex = [](char c) -> int {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            const int high = hex(text[i + 1]);
            const int low = hex(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// Builds base/root (see make_traversal_cases.py), base/outside and base/rootsecret. Every file
// inside holds a text starting with "inside".
inline void make_traversal_tree(const std::filesystem::path& base) {
    namespace fs = std::filesystem;
    const auto root = base / "root";
    write_text(base / "outside/secret.txt", outside_secret);
    write_text(base / "rootsecret/secret.txt", outside_secret);
    write_text(root / "file.txt", "inside file");
    write_text(root / "dir/inner.txt", "inside inner");
    write_text(root / "dir/sub/deep.txt", "inside deep");
    write_text(root / "a#b", "inside hash");
    write_text(root / "semi;colon", "inside semicolon");
    write_text(root / "%2e%2e", "inside literal percent");
    write_text(root / "space name.txt", "inside space");
    write_text(root / "\xC3\xA9t\xC3\xA9.txt", "inside utf-8");
    fs::create_symlink("dir/inner.txt", root / "link_in");
    fs::create_symlink("link_in", root / "link_chain");
    fs::create_symlink("dir", root / "link_dir_in");
    fs::create_symlink(root / "file.txt", root / "link_abs_in");
    fs::create_symlink("../outside/secret.txt", root / "link_out");
    fs::create_symlink("link_out", root / "link_chain_out");
    fs::create_symlink("../outside", root / "link_dir_out");
    fs::create_symlink(base / "outside/secret.txt", root / "link_abs_out");
    fs::create_symlink(base / "outside", root / "link_abs_dir_out");
    fs::create_symlink("../rootsecret/secret.txt", root / "link_sibling");
    fs::create_symlink(base / "rootsecret/secret.txt", root / "link_root_abs_sibling");
    fs::create_symlink("/etc/passwd", root / "link_etc");
    fs::create_symlink("/proc/self/root/etc/passwd", root / "link_proc");
    fs::create_symlink("../..", root / "dir/link_up");
    fs::create_symlink("..", root / "dir/link_root");
    if (::mkfifo((root / "fifo").c_str(), 0644) != 0) throw std::runtime_error("mkfifo failed");
    fs::create_symlink("fifo", root / "link_fifo");
}

}  // namespace ailab::testing
