#pragma once
// A temporary folder for the files unit tests, removed at the end, and a Root over a folder.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "files/roots.hpp"

namespace ailab::files::test {

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "ailab-files-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = std::filesystem::canonical(pattern);
    }
    ~TempDir() {
        std::error_code error;
        std::filesystem::remove_all(path_, error);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline Root root_over(const std::filesystem::path& folder, core::Resolver resolver = core::Resolver::automatic) {
    auto opened = core::ConfinedRoot::open(folder, resolver);
    if (!opened) throw std::runtime_error(opened.error().message);
    Root root;
    root.name = "project:test";
    root.folder = std::make_shared<const core::ConfinedRoot>(std::move(*opened));
    return root;
}

}  // namespace ailab::files::test
