#pragma once
// Which files code sync leaves out: .gitignore files (in every folder, as git reads them), an
// .ailabignore in the same syntax (same places; read after .gitignore, so it can re-include with
// `!`), and the defaults: .git, __pycache__, *.pyc, .ipynb_checkpoints, .venv, node_modules.
//
// Syntax (gitignore(5)): blank lines and `#` comments; `\#`/`\!` escapes; trailing spaces trimmed
// unless escaped; `!` negates; a trailing `/` matches folders only; a pattern with a `/` at the
// start or in the middle is anchored to the folder of its file, else it matches at any depth;
// `*`, `?`, `[a-z]`/`[!a-z]` do not match `/`; `**/` leading, `/**` trailing and `/**/` inner
// match any number of folders. A file under an excluded folder stays excluded (git's rule: a
// negation cannot re-include it).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ailab::sync {

class IgnoreRules {
public:
    // The defaults only.
    IgnoreRules();
    ~IgnoreRules();
    IgnoreRules(IgnoreRules&&) noexcept;
    IgnoreRules& operator=(IgnoreRules&&) noexcept;

    // Adds the lines of one ignore file found in `folder` ("" for the root; '/'-separated,
    // relative to the synced root). Later lines win over earlier ones, as in git.
    void add(std::string_view folder, std::string_view text);

    // `path` is relative to the root, '/'-separated. Folders must be asked with is_folder true.
    bool ignored(std::string_view path, bool is_folder) const;

private:
    struct Pattern;
    std::vector<Pattern> patterns_;
};

}  // namespace ailab::sync
