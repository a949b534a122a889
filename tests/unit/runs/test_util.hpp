#pragma once
// Helpers for the runs tests: a real temporary folder (removed afterwards) and log writing.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

namespace ailab::runs::testing {

class TempFolder {
public:
    TempFolder() {
        std::string pattern = (std::filesystem::temp_directory_path() / "ailab-runs-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempFolder() {
        std::error_code error;
        // Make everything writable again (tests remove permissions) so it can be removed.
        for (auto it = std::filesystem::recursive_directory_iterator(path_, error);
             !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
            std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                         std::filesystem::perm_options::add, error);
        }
        std::filesystem::remove_all(path_, error);
    }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

inline void append_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << text;
}

inline double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "2024-01-02 10:00:00.000000" in local time, as training code writes it.
inline std::string local_timestamp(double unix_seconds) {
    std::time_t whole = static_cast<std::time_t>(unix_seconds);
    std::tm local{};
    localtime_r(&whole, &local);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%06d",
                  static_cast<int>((unix_seconds - static_cast<double>(whole)) * 1e6));
    return std::string(text) + fraction;
}

// One log line with the usual fields.
inline std::string log_line(double time, const std::string& goal, double progress, double loss, int step) {
    return "{\"timestamp\": \"" + local_timestamp(time) + "\", \"goal\": \"" + goal +
           "\", \"progress\": " + std::to_string(progress) +
           ", \"eta\": \"0:10:00\", \"score\": 0.5, \"loss\": " + std::to_string(loss) +
           ", \"step\": " + std::to_string(step) + "}\n";
}

}  // namespace ailab::runs::testing
