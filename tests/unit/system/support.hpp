#pragma once
// Helpers shared by the system tests: fixture paths, temporary folders, the fake NVML's controls.

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ailab::sys::testing {

inline std::filesystem::path fixtures() { return AILAB_PROC_FIXTURES; }
inline const char* fake_nvml_path() { return AILAB_FAKE_NVML; }

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "ailab-system-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A writable copy of a recorded proc root, so a test can move stat.next over stat between samples.
class ProcRoot {
public:
    explicit ProcRoot(const std::string& machine) {
        std::filesystem::copy(fixtures() / machine, temp_.path(), std::filesystem::copy_options::recursive);
    }
    const std::filesystem::path& path() const { return temp_.path(); }
    void advance() {
        std::filesystem::copy_file(path() / "stat.next", path() / "stat",
                                   std::filesystem::copy_options::overwrite_existing);
    }

private:
    TempDir temp_;
};

// The fake NVML's test controls. The test keeps its own dlopen reference for the whole run, so the
// library (and its counters) stays loaded while samplers open and close it.
class FakeNvml {
public:
    static FakeNvml& instance() {
        static FakeNvml fake;
        return fake;
    }
    void set_scenario(const char* name) { set_scenario_(name); }
    int init_count() { return init_count_(); }
    int shutdown_count() { return shutdown_count_(); }
    long query_count() { return query_count_(); }
    void lose_gpu(unsigned int nvml_index) { lose_gpu_(nvml_index); }

private:
    FakeNvml() {
        handle_ = ::dlopen(fake_nvml_path(), RTLD_NOW | RTLD_LOCAL);
        if (handle_ == nullptr) throw std::runtime_error(std::string("cannot load the fake NVML: ") + ::dlerror());
        set_scenario_ = reinterpret_cast<void (*)(const char*)>(::dlsym(handle_, "fake_nvml_set_scenario"));
        init_count_ = reinterpret_cast<int (*)()>(::dlsym(handle_, "fake_nvml_init_count"));
        shutdown_count_ = reinterpret_cast<int (*)()>(::dlsym(handle_, "fake_nvml_shutdown_count"));
        query_count_ = reinterpret_cast<long (*)()>(::dlsym(handle_, "fake_nvml_query_count"));
        lose_gpu_ = reinterpret_cast<void (*)(unsigned int)>(::dlsym(handle_, "fake_nvml_lose_gpu"));
        if (!set_scenario_ || !init_count_ || !shutdown_count_ || !query_count_ || !lose_gpu_) {
            throw std::runtime_error("the fake NVML lacks its test controls");
        }
    }
    void* handle_ = nullptr;  // deliberately never closed: the process ends first
    void (*set_scenario_)(const char*) = nullptr;
    int (*init_count_)() = nullptr;
    int (*shutdown_count_)() = nullptr;
    long (*query_count_)() = nullptr;
    void (*lose_gpu_)(unsigned int) = nullptr;
};

}  // namespace ailab::sys::testing
