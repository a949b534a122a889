# AI Lab: the two commands.
#   make run   installs what is missing, builds, and starts AI Lab on a demo config (loopback)
#   make test  builds and passes every test: unit, integration, UI and browser end-to-end
# (CI also runs the unit and integration tests under ASan+UBSan, the lint checks, and every fuzz
# target for 30 s.)

SHELL := /bin/bash
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
DEMO ?= demo
PORT ?= 12345
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=
# ccache (installed by scripts/install-deps.sh) for C++ only: the embedded UI's assembler file
# .incbin's the assets, which a compiler cache cannot see. Evaluated when a recipe runs, after
# `deps`. CCACHE_BASEDIR lets a clone in another folder (CI's) hit what this one compiled.
CCACHE_LAUNCHER = $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps build server run test test-unit test-ui test-e2e test-asan lint fuzz format bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CCACHE_LAUNCHER) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Only the server binary (what `make run` needs), not the tests and benchmarks.
server: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target ailab

# Writes $(DEMO)/config.json once (loopback, generated password printed once), a demo results
# folder with simulated runs that keep writing, then serves until Ctrl-C.
run: server
	@mkdir -p $(DEMO)/results
	@$(BUILD)/ailab init-config $(DEMO)/config.json --results $(DEMO)/results --state $(DEMO)/state --port $(PORT)
	@python3 scripts/demo_runs.py $(DEMO)/results > $(DEMO)/demo_runs.log 2>&1 & echo $$! > $(DEMO)/demo_runs.pid
	@trap 'kill $$(cat $(DEMO)/demo_runs.pid) 2>/dev/null; rm -f $(DEMO)/demo_runs.pid' EXIT INT TERM; \
	  echo "Open http://127.0.0.1:$(PORT)/ and log in as admin (password above, or in your notes)."; \
	  $(BUILD)/ailab $(DEMO)/config.json

test: build
	@$(MAKE) --no-print-directory test-unit test-ui test-e2e
	@if [ "$${CI:-}" = "true" ]; then $(MAKE) --no-print-directory lint test-asan fuzz FUZZ_SECONDS=30; fi

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-ui: build
	cd ui && npm run --silent check && npm test --silent

test-e2e: build
	cd ui && AILAB_BIN=$(abspath $(BUILD))/ailab AILAB_TEST_OUT=$(abspath $(BUILD))/test-output npm run --silent test:e2e

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAILAB_SANITIZE=ON -DAILAB_WITH_UI=OFF -DAILAB_BUILD_BENCH=OFF $(CCACHE_LAUNCHER)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

lint: build
	scripts/lint.sh $(BUILD)

# Every libFuzzer target (tests/fuzz) for FUZZ_SECONDS each, two at a time, in build-fuzz/ (clang).
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp')

bench: build
	bench/run_all.sh $(BUILD) --save

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz ui/dist
