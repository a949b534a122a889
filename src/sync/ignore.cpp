#include "sync/ignore.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>

// The matcher follows git's dir.c (parse_path_pattern, match_basename, match_pathname,
// trim_trailing_spaces) and wildmatch.c (dowild), so that what git leaves out, code sync leaves
// out too; tests/unit/sync/ignore_test.cpp compares it with `git ls-files` and `git check-ignore`.

namespace ailab::sync {

struct IgnoreRules::Pattern {
    std::string base;                // the folder of the ignore file with a trailing '/', "" for the root
    std::string text;                // without the leading '!', a trailing '/' and (anchored) a leading '/'
    std::size_t literal_prefix = 0;  // bytes of `text` before its first wildcard character
    bool negative = false;           // "!pattern": re-includes
    bool folder_only = false;        // "pattern/": matches folders only
    bool basename_only = false;      // no '/' inside: matches the last segment, at any depth
    bool ends_with = false;          // "*literal" (a fast path of basename matching)

    // git's match_basename / match_pathname, for a path below `base`.
    // `budget` counts matching steps; once spent, nothing matches any more.
    bool matches(std::string_view path, std::string_view basename, bool is_folder, std::int64_t& budget) const;
};

namespace {

constexpr std::size_t max_pattern_bytes = 4096;
// Matching steps for one ignored() call: ordinary rules take tens to hundreds; this many take a
// few milliseconds.
constexpr std::int64_t match_step_budget = std::int64_t{1} << 20;

enum class Slashes { match_any, stop_at_slash };  // fnmatch without / with WM_PATHNAME

enum WildResult { wild_match = 0, wild_no_match = 1, wild_abort_all = -1, wild_abort_to_starstar = -2 };

bool is_glob_special(char c) { return c == '*' || c == '?' || c == '[' || c == '\\'; }

// A pattern or a name seen as a C string: reading at the end gives '\0', as git's code expects.
struct Cursor {
    const char* at;
    const char* end;
    unsigned char operator*() const { return at < end ? static_cast<unsigned char>(*at) : 0; }
    unsigned char operator[](std::ptrdiff_t offset) const {
        return at + offset < end ? static_cast<unsigned char>(at[offset]) : 0;
    }
};

bool class_matches(std::string_view name, unsigned char c) {
    if (name == "alnum") return std::isalnum(c) != 0;
    if (name == "alpha") return std::isalpha(c) != 0;
    if (name == "blank") return c == ' ' || c == '\t';
    if (name == "cntrl") return std::iscntrl(c) != 0;
    if (name == "digit") return std::isdigit(c) != 0;
    if (name == "graph") return std::isgraph(c) != 0;
    if (name == "lower") return std::islower(c) != 0;
    if (name == "print") return std::isprint(c) != 0;
    if (name == "punct") return std::ispunct(c) != 0;
    if (name == "space") return std::isspace(c) != 0;
    if (name == "upper") return std::isupper(c) != 0;
    if (name == "xdigit") return std::isxdigit(c) != 0;
    return false;
}

bool is_class_name(std::string_view name) {
    static constexpr std::array<std::string_view, 12> known = {"alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                                               "lower", "print", "punct", "space", "upper", "xdigit"};
    return std::ranges::find(known, name) != known.end();
}

// git's dowild(), case-sensitive (core.ignorecase is off on Linux), with a step budget: git's
// pruning keeps ordinary patterns linear, but a hostile "a/**/a/**/…" against a deep path takes
// exponential time (in git too); a spent budget ends the match as "no match".
int wild(const char* pattern_start, Cursor p, Cursor text, Slashes slashes, std::int64_t& budget) {
    if (--budget < 0) return wild_abort_all;
    const bool pathname = slashes == Slashes::stop_at_slash;
    for (; *p != 0; ++text.at, ++p.at) {
        if (--budget < 0) return wild_abort_all;
        unsigned char p_ch = *p;
        unsigned char t_ch = *text;
        if (t_ch == 0 && p_ch != '*') return wild_abort_all;
        switch (p_ch) {
        case '\\':
            // A literal match of the next character (a trailing '\\' matches nothing).
            ++p.at;
            p_ch = *p;
            if (t_ch != p_ch) return wild_no_match;
            continue;
        default:
            if (t_ch != p_ch) return wild_no_match;
            continue;
        case '?':
            if (pathname && t_ch == '/') return wild_no_match;
            continue;
        case '*': {
            bool match_slash = false;
            ++p.at;
            if (*p == '*') {
                const char* previous = p.at - 2;
                while (*p == '*') ++p.at;
                if ((previous < pattern_start || *previous == '/') &&
                    (*p == 0 || *p == '/' || (*p == '\\' && p[1] == '/'))) {
                    // "**/" may match no folder at all: try the rest of the pattern right here.
                    if (*p == '/' && wild(pattern_start, Cursor{p.at + 1, p.end}, text, slashes, budget) == wild_match)
                        return wild_match;
                    match_slash = true;
                } else {
                    match_slash = !pathname;  // a "**" not between slashes is a plain "*"
                }
            } else {
                match_slash = !pathname;
            }
            if (*p == 0) {
                // A trailing "**" matches everything; a trailing "*" only what has no more '/'.
                if (!match_slash) {
                    for (const char* c = text.at; c < text.end; ++c)
                        if (*c == '/') return wild_abort_to_starstar;
                }
                return wild_match;
            }
            if (!match_slash && *p == '/') {
                // One '*' followed by '/' matches up to the next slash.
                const char* slash = text.at;
                while (slash < text.end && *slash != '/') ++slash;
                if (slash == text.end) return wild_no_match;
                text.at = slash;
                break;  // the slash is consumed by the loop
            }
            for (;;) {
                if (t_ch == 0 || budget < 0) break;
                if (!is_glob_special(static_cast<char>(*p))) {
                    // Skip ahead to the next occurrence of the literal that follows the star.
                    const unsigned char literal = *p;
                    while ((t_ch = *text) != 0 && (match_slash || t_ch != '/')) {
                        if (t_ch == literal || --budget < 0) break;
                        ++text.at;
                    }
                    if (t_ch != literal) return match_slash ? wild_abort_all : wild_abort_to_starstar;
                }
                const int matched = wild(pattern_start, p, text, slashes, budget);
                if (matched != wild_no_match) {
                    if (!match_slash || matched != wild_abort_to_starstar) return matched;
                } else if (!match_slash && t_ch == '/') {
                    return wild_abort_to_starstar;
                }
                ++text.at;
                t_ch = *text;
            }
            return wild_abort_all;
        }
        case '[': {
            ++p.at;
            p_ch = *p;
            if (p_ch == '^') p_ch = '!';
            const bool negated = p_ch == '!';
            if (negated) {
                ++p.at;
                p_ch = *p;
            }
            unsigned char previous = 0;
            bool matched = false;
            do {
                if (p_ch == 0) return wild_abort_all;
                if (p_ch == '\\') {
                    ++p.at;
                    p_ch = *p;
                    if (p_ch == 0) return wild_abort_all;
                    if (t_ch == p_ch) matched = true;
                } else if (p_ch == '-' && previous != 0 && p[1] != 0 && p[1] != ']') {
                    ++p.at;
                    p_ch = *p;
                    if (p_ch == '\\') {
                        ++p.at;
                        p_ch = *p;
                        if (p_ch == 0) return wild_abort_all;
                    }
                    if (t_ch <= p_ch && t_ch >= previous) matched = true;
                    p_ch = 0;  // so that `previous` becomes 0: no range right after a range
                } else if (p_ch == '[' && p[1] == ':') {
                    p.at += 2;
                    const char* name_start = p.at;
                    while ((p_ch = *p) != 0 && p_ch != ']') ++p.at;
                    if (p_ch == 0) return wild_abort_all;
                    const std::ptrdiff_t length = p.at - name_start - 1;
                    if (length < 0 || p.at[-1] != ':') {
                        // No ":]": a plain '[' inside the set.
                        p.at = name_start - 2;
                        p_ch = '[';
                        if (t_ch == p_ch) matched = true;
                        continue;
                    }
                    const std::string_view name(name_start, static_cast<std::size_t>(length));
                    if (!is_class_name(name)) return wild_abort_all;  // malformed [:class:]
                    if (class_matches(name, t_ch)) matched = true;
                    p_ch = 0;
                } else if (t_ch == p_ch) {
                    matched = true;
                }
            } while (previous = p_ch, ++p.at, (p_ch = *p) != ']');
            if (matched == negated || (pathname && t_ch == '/')) return wild_no_match;
            continue;
        }
        }
    }
    return *text != 0 ? wild_no_match : wild_match;
}

bool wild_matches(std::string_view pattern, std::string_view text, Slashes slashes, std::int64_t& budget) {
    const Cursor p{pattern.data(), pattern.data() + pattern.size()};
    const Cursor t{text.data(), text.data() + text.size()};
    return wild(pattern.data(), p, t, slashes, budget) == wild_match;
}

std::size_t simple_length(std::string_view text) {
    std::size_t length = 0;
    while (length < text.size() && !is_glob_special(text[length])) ++length;
    return length;
}

// git's trim_trailing_spaces: trailing ' ' go unless escaped with a backslash.
std::string_view trim_trailing_spaces(std::string_view line) {
    std::size_t last_space = std::string_view::npos;
    for (std::size_t i = 0; i < line.size(); ++i) {
        switch (line[i]) {
        case ' ':
            if (last_space == std::string_view::npos) last_space = i;
            break;
        case '\\':
            ++i;
            if (i == line.size()) return line;
            [[fallthrough]];
        default: last_space = std::string_view::npos;
        }
    }
    return last_space == std::string_view::npos ? line : line.substr(0, last_space);
}

constexpr std::string_view default_rules =
    ".git\n"
    "__pycache__\n"
    "*.pyc\n"
    ".ipynb_checkpoints\n"
    ".venv\n"
    "node_modules\n";

}  // namespace

IgnoreRules::IgnoreRules() { add("", default_rules); }
IgnoreRules::~IgnoreRules() = default;
IgnoreRules::IgnoreRules(IgnoreRules&&) noexcept = default;
IgnoreRules& IgnoreRules::operator=(IgnoreRules&&) noexcept = default;

void IgnoreRules::add(std::string_view folder, std::string_view text) {
    std::string base(folder);
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (!base.empty()) base.push_back('/');

    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
        if (line.empty() || line.front() == '#') continue;
        if (line.back() == '\r') line.remove_suffix(1);
        line = line.substr(0, line.find('\0'));  // git reads each pattern as a C string
        line = trim_trailing_spaces(line);

        Pattern pattern;
        pattern.base = base;
        if (!line.empty() && line.front() == '!') {
            pattern.negative = true;
            line.remove_prefix(1);
        }
        if (!line.empty() && line.back() == '/') {
            pattern.folder_only = true;
            line.remove_suffix(1);
        }
        if (line.empty()) continue;  // matches nothing
        // Matching recurses once per '*': a line longer than any path could be (a hostile
        // .gitignore of "*a*a*a…") is left out rather than risking the stack.
        if (line.size() > max_pattern_bytes) continue;
        pattern.basename_only = line.find('/') == std::string_view::npos;
        if (!pattern.basename_only && line.front() == '/') line.remove_prefix(1);
        pattern.text = std::string(line);
        pattern.literal_prefix = simple_length(pattern.text);
        pattern.ends_with = pattern.text.front() == '*' && simple_length(line.substr(1)) == line.size() - 1;
        patterns_.push_back(std::move(pattern));
    }
}

bool IgnoreRules::Pattern::matches(std::string_view path, std::string_view basename, bool is_folder,
                                   std::int64_t& budget) const {
    if (folder_only && !is_folder) return false;
    // The patterns of an ignore file apply to what lies below its folder only.
    if (path.size() <= base.size() || path.compare(0, base.size(), base) != 0) return false;
    const std::string_view pattern = text;
    if (basename_only) {
        if (literal_prefix == pattern.size()) return basename == pattern;
        if (ends_with) {
            const std::string_view suffix = pattern.substr(1);
            return basename.size() >= suffix.size() && basename.substr(basename.size() - suffix.size()) == suffix;
        }
        return wild_matches(pattern, basename, Slashes::match_any, budget);
    }
    std::string_view name = path.substr(base.size());
    if (literal_prefix > name.size() || name.compare(0, literal_prefix, pattern.substr(0, literal_prefix)) != 0)
        return false;
    // As git does, the literal prefix is cut off before wildcard matching (which matters to a
    // "**" right after it: "foo**/bar" then behaves like "**/bar" below "foo").
    const std::string_view rest = pattern.substr(literal_prefix);
    name.remove_prefix(literal_prefix);
    if (rest.empty() && name.empty()) return true;
    return wild_matches(rest, name, Slashes::stop_at_slash, budget);
}

namespace {

// The last pattern that matches decides: true when it is not a negation.
template <typename Patterns>
bool last_match_excludes(const Patterns& patterns, std::string_view path, bool is_folder, std::int64_t& budget) {
    const std::size_t slash = path.rfind('/');
    const std::string_view basename = slash == std::string_view::npos ? path : path.substr(slash + 1);
    for (auto it = patterns.rbegin(); it != patterns.rend(); ++it)
        if (it->matches(path, basename, is_folder, budget)) return !it->negative;
    return false;
}

}  // namespace

bool IgnoreRules::ignored(std::string_view path, bool is_folder) const {
    std::int64_t budget = match_step_budget;
    // A folder that is left out takes everything below it along, whatever later lines say.
    for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1))
        if (last_match_excludes(patterns_, path.substr(0, slash), true, budget)) return true;
    return last_match_excludes(patterns_, path, is_folder, budget);
}

}  // namespace ailab::sync
