// Benchmarks of the files routes (issue 10), server side: each call goes through the Router as a
// request from the socket layer would (token check, the handler on this thread, the JSON answer),
// without the socket. Data in a temporary folder (or the folder given with AILAB_FILES_BENCH_DIR):
//
//   ListFolder10k/page1      GET /files/list of a folder of 10,000 files, the first page (every
//                            entry is read and sorted; 5,000 are answered); goal <= 20 ms
//   ListFolder10k/both_pages both pages (offset 0 and 5000)
//   Save1MiB                 PUT /files/content of 1 MiB with If-Match (temporary file, fdatasync,
//                            rename); goal <= 10 ms
//   RangeFirst64KiBOf1GiB    GET /files/content with Range: bytes=0-65535 of a 1 GiB file (written
//                            for real, not sparse)

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "files/content.hpp"
#include "files/file_roots.hpp"
#include "files/projects.hpp"
#include "files/routes.hpp"
#include "net/router.hpp"

namespace fs = std::filesystem;
using namespace ailab;

namespace {

struct Fixture {
    fs::path base;
    std::unique_ptr<files::Projects> projects;
    std::unique_ptr<files::FileRoots> roots;
    files::ContentStore content;
    net::Router router;
    net::TokenVerifier verify = [](std::string_view) { return std::optional<std::string>("bench"); };

    Fixture() {
        const char* given = std::getenv("AILAB_FILES_BENCH_DIR");
        base = given != nullptr ? fs::path(given) : fs::temp_directory_path() / "ailab-files-bench";
        const auto project = base / "project";
        fs::create_directories(project / "many");
        if (!fs::exists(project / "many/f09999.txt"))
            for (int i = 0; i < 10'000; ++i) {
                char name[32];
                std::snprintf(name, sizeof name, "f%05d.txt", i);
                std::ofstream(project / "many" / name) << i;
            }
        if (!fs::exists(project / "huge.log") || fs::file_size(project / "huge.log") != (std::uintmax_t{1} << 30)) {
            std::ofstream out(project / "huge.log", std::ios::binary | std::ios::trunc);
            std::string line(1 << 20, 'x');
            for (std::size_t i = 0; i < line.size(); i += 64) line[i] = '\n';
            for (int i = 0; i < 1024; ++i) out << line;
        }
        projects = std::make_unique<files::Projects>(base, std::map<std::string, fs::path>{{"bench", project}},
                                                     files::AutoDetect::off, fs::path());
        roots = std::make_unique<files::FileRoots>(*projects, nullptr, nullptr);
        files::register_file_routes(router, *roots, content);
    }

    net::Response call(net::Method method, std::string path, std::map<std::string, std::string> query,
                       std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "") {
        net::Request request;
        request.method = method;
        request.path = std::move(path);
        request.query = std::move(query);
        request.headers = std::move(headers);
        request.headers.emplace_back("authorization", "Bearer bench");
        request.body = std::move(body);
        return router.dispatch(request, verify);
    }
};

Fixture& fixture() {
    static Fixture instance;
    return instance;
}

void ListFolder10k(benchmark::State& state) {
    auto& f = fixture();
    const bool both = state.range(0) == 1;
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto first = f.call(net::Method::get, "/api/v1/files/list", {{"root", "project:bench"}, {"path", "many"}});
        if (first.status != 200) state.SkipWithError(first.body.c_str());
        bytes = first.body.size();
        if (both) {
            auto second = f.call(net::Method::get, "/api/v1/files/list",
                                 {{"root", "project:bench"}, {"path", "many"}, {"offset", "5000"}});
            if (second.status != 200) state.SkipWithError(second.body.c_str());
            bytes += second.body.size();
        }
        benchmark::DoNotOptimize(bytes);
    }
    state.counters["answer_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(ListFolder10k)->Arg(0)->Arg(1)->ArgName("both_pages")->Unit(benchmark::kMillisecond)->MinTime(2.0);

void Save1MiB(benchmark::State& state) {
    auto& f = fixture();
    std::string body(1 << 20, 'a');
    auto created = f.call(net::Method::put, "/api/v1/files/content", {{"root", "project:bench"}, {"path", "save.bin"}},
                          {{"if-none-match", "*"}}, body);
    std::string etag(created.header("ETag"));
    if (etag.empty()) {  // it existed from an earlier run
        etag = std::string(
            f.call(net::Method::get, "/api/v1/files/content", {{"root", "project:bench"}, {"path", "save.bin"}})
                .header("ETag"));
    }
    int round = 0;
    for (auto _ : state) {
        body[0] = static_cast<char>('a' + (++round % 26));  // a change every time
        auto saved = f.call(net::Method::put, "/api/v1/files/content",
                            {{"root", "project:bench"}, {"path", "save.bin"}}, {{"if-match", etag}}, body);
        if (saved.status != 200) state.SkipWithError(saved.body.c_str());
        etag = std::string(saved.header("ETag"));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(Save1MiB)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void RangeFirst64KiBOf1GiB(benchmark::State& state) {
    auto& f = fixture();
    for (auto _ : state) {
        auto part = f.call(net::Method::get, "/api/v1/files/content", {{"root", "project:bench"}, {"path", "huge.log"}},
                           {{"range", "bytes=0-65535"}});
        if (part.status != 206 || part.body.size() != 65536) state.SkipWithError("not a 206 of 64 KiB");
        benchmark::DoNotOptimize(part.body.data());
    }
}
BENCHMARK(RangeFirst64KiBOf1GiB)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
