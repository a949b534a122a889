#pragma once
// Helpers for the files tests: a temporary folder with a root inside and a sibling outside it,
// a Roots that knows "project:p" (and "project:w" through the fallback walk), and shell commands.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "core/confined.hpp"
#include "files/roots.hpp"

namespace ailab::files::testing {

namespace fs = std::filesystem;

class TestTree {
public:
    TestTree() {
        std::string pattern = (fs::temp_directory_path() / "ailab-files-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        base_ = pattern;
        fs::create_directories(root());
        fs::create_directories(outside());
    }
    ~TestTree() {
        std::error_code ignored;
        fs::remove_all(base_, ignored);
    }
    TestTree(const TestTree&) = delete;
    TestTree& operator=(const TestTree&) = delete;

    fs::path base() const { return base_; }
    fs::path root() const { return base_ / "root"; }
    fs::path outside() const { return base_ / "outside"; }

    void write(const fs::path& relative, const std::string& text) const {
        fs::create_directories((root() / relative).parent_path());
        std::ofstream(root() / relative, std::ios::binary) << text;
    }
    std::string read(const fs::path& path) const {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

private:
    fs::path base_;
};

// "project:p" is tree.root() through openat2 where the kernel has it, "project:w" the same folder
// through the checked walk; "bad" (no colon) is malformed; any other name is unknown.
class TestRoots : public Roots {
public:
    explicit TestRoots(const fs::path& folder) {
        folders_["project:p"] = std::make_shared<const core::ConfinedRoot>(core::ConfinedRoot::open(folder).value());
        folders_["project:w"] =
            std::make_shared<const core::ConfinedRoot>(core::ConfinedRoot::open(folder, core::Resolver::walk).value());
    }
    core::Result<Root> resolve(std::string_view text) const override {
        if (text.find(':') == std::string_view::npos) return core::Error::invalid("a root is kind:name");
        const auto found = folders_.find(std::string(text));
        if (found == folders_.end()) return core::Error::from_errno(ENOENT, "no such root " + std::string(text));
        Root root;
        root.name = std::string(text);
        root.folder = found->second;
        root.read_only_paths.insert("locked.txt");
        return root;
    }

private:
    std::map<std::string, std::shared_ptr<const core::ConfinedRoot>> folders_;
};

// Runs a shell command and returns its standard output; the exit status goes to `status`.
inline std::string run_command(const std::string& command, int& status) {
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("popen failed");
    char buffer[4096];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, got);
    status = ::pclose(pipe);
    return output;
}

}  // namespace ailab::files::testing
